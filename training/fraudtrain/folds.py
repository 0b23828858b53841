"""Time-aware validation folds for model selection: train on days [a, b), skip the label delay, validate after.

A fraud model is deployed on days after everything it learnt from, and the labels of its last `delay` days of
training data are not known yet when it goes live. A random split of the same days hides both effects and rewards
memorising the fraud rings of those days; the folds below reproduce them instead, as fraud teams validate:

    fold k:  train [a_k, b_k)  |  delay [b_k, b_k + delay)  |  validate [b_k + delay, b_k + delay + validDays)

The last fold's validation ends where the out-of-time test window starts, and each earlier fold sits `validDays`
earlier (rolling forward, one validation window after another, never overlapping). The training window is clamped
to the table's first day; a fold left with fewer than MIN_TRAIN_DAYS training days is dropped.

Which rows: a fold trains on the rows the final model trains on (hashed `train`) and validates on every row of its
validation days except those hashed `test`, which stay unseen by selection too (they are the in-time test set).
Days are UTC calendar days (epoch ms // DAY_MS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Defaults at demo scale: 21 training days (three weeks of terminal and customer behaviour), validation weeks like
# the test week, three folds (enough to average out one odd week, few enough to stay within the retrain budget).
TRAIN_DAYS = 21
VALID_DAYS = 7
MAX_FOLDS = 3
MIN_TRAIN_DAYS = 3


@dataclass(frozen=True)
class Fold:
    """Day numbers (UTC days since the epoch); every range is half-open."""

    train_from: int
    train_to: int
    valid_from: int
    valid_to: int

    def train_mask(self, day: np.ndarray) -> np.ndarray:
        return (day >= self.train_from) & (day < self.train_to)

    def valid_mask(self, day: np.ndarray) -> np.ndarray:
        return (day >= self.valid_from) & (day < self.valid_to)


def plan_folds(
    first_day: int,
    test_from_day: int,
    delay_days: int,
    train_days: int = TRAIN_DAYS,
    valid_days: int = VALID_DAYS,
    max_folds: int = MAX_FOLDS,
) -> list[Fold]:
    """Folds in time order, the latest validation window ending at `test_from_day`.

    Raises ValueError when not even one fold fits: the table is too short for the label delay and the windows.
    """
    if delay_days < 0 or train_days < 1 or valid_days < 1 or max_folds < 1:
        raise ValueError("folds: delay must be >= 0 and windows, fold count >= 1")
    folds: list[Fold] = []
    valid_to = test_from_day
    while len(folds) < max_folds:
        valid_from = valid_to - valid_days
        train_to = valid_from - delay_days
        train_from = max(first_day, train_to - train_days)
        if valid_from < first_day or train_to - train_from < MIN_TRAIN_DAYS:
            break
        folds.append(Fold(train_from, train_to, valid_from, valid_to))
        valid_to = valid_from
    if not folds:
        raise ValueError(
            f"model selection: the {test_from_day - first_day} days before the test window cannot hold one fold of "
            f">= {MIN_TRAIN_DAYS} training days, a {delay_days}-day label delay and {valid_days} validation days; "
            "train on a longer table or use fewer --test-days"
        )
    return folds[::-1]
