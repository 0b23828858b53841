"""Which rows train, which validate, which test.

Two rules combine:
- Out of time: the last `test_days` UTC calendar days of event time are the test set, every row of them. Fraud
  patterns drift, so the honest estimate of tomorrow's quality is measured on days after everything trained on.
- By hash: before that window, the table's `split` column (a stable hash of transaction_id, written by the backfill)
  picks train or valid. Rows hashed to "test" there are never trained on, in this or any later retrain, so a row
  that was held out once stays held out; they are reported as the in-time test set.

- Label delay: the hashed train rows of the `delay_days` days just before the test window are not trained on (role
  label_delay). On its first serving day a model has no labels for them yet; training on them would credit it with
  knowledge it cannot have (the handbook's protocol: train, skip the delay, test). They still validate.

A retrain on a longer table moves the window later: rows only ever move from test to train/valid by the out-of-time
rule, never from train to anything else, and the hash part never changes for a given transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

DAY_MS = 86_400_000

TRAIN = "train"
VALID = "valid"
TEST = "test"
TEST_IN_TIME = "test_in_time"
LABEL_DELAY = "label_delay"
ROLES = (TRAIN, VALID, TEST, TEST_IN_TIME, LABEL_DELAY)

METHOD = (
    "test = every row in the last testDays UTC calendar days of event time; before that, train/valid from the "
    "table's split column (stable hash of transaction_id); rows hashed to test before the window are never "
    "trained on and are reported as testInTime; train rows of the labelDelayDays days before the window are not trained on "
    "(their labels are not known when the model goes live)"
)


@dataclass(frozen=True)
class SplitPlan:
    # Start of the test window, epoch ms, aligned to a UTC midnight so that per-day metrics see whole days.
    test_from_ms: int
    roles: pd.Series  # one of TRAIN, VALID, TEST, TEST_IN_TIME per row, aligned with the table's index

    def mask(self, role: str) -> np.ndarray:
        return (self.roles == role).to_numpy()

    def counts(self) -> dict[str, int]:
        return {role: int(self.mask(role).sum()) for role in ROLES}


def holdout_window_start(max_event_time_ms: int, test_days: int) -> int:
    """The UTC midnight `test_days - 1` days before the day of the latest event: the last day may be partial."""
    if test_days < 1:
        raise ValueError(f"--test-days must be at least 1, got {test_days}")
    last_day = max_event_time_ms // DAY_MS
    return (last_day + 1 - test_days) * DAY_MS


def plan_split(frame: pd.DataFrame, test_days: int, delay_days: int = 0) -> SplitPlan:
    if delay_days < 0:
        raise ValueError(f"split: the label delay must be >= 0 days, got {delay_days}")
    event_time = frame["event_time_ms"].to_numpy()
    test_from = holdout_window_start(int(event_time.max()), test_days)
    hashed = frame["split"].to_numpy()
    in_window = event_time >= test_from
    in_delay = (event_time >= test_from - delay_days * DAY_MS) & (hashed == TRAIN)
    roles = np.where(in_window, TEST, np.where(hashed == "test", TEST_IN_TIME, np.where(in_delay, LABEL_DELAY, hashed)))
    plan = SplitPlan(test_from_ms=test_from, roles=pd.Series(roles, index=frame.index))
    counts = plan.counts()
    for role in (TRAIN, VALID, TEST):
        if counts[role] == 0:
            raise ValueError(
                f"split: no {role} rows (counts {counts}); the table spans too few days for --test-days {test_days} "
                "or its split column has no such value"
            )
    return plan
