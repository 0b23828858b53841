"""Confidence intervals for the card's metrics: a percentile bootstrap over days.

Fraud comes in bursts (a compromised terminal, a ring of stolen cards), so the rows of one day are not independent
draws and resampling rows would make the intervals far too narrow. The unit resampled is the UTC day, as the test
window is a handful of days: each replicate draws as many days as the set has, with replacement, and recomputes
every metric on those days (a day drawn twice counts twice). Several models scored on the same rows share the same
draws, so the difference between two models gets its own, paired, interval: a margin is beyond noise only when that
interval excludes zero.

AUC and average precision are computed for all replicates at once from per-day cumulative counts along one sort of
the scores (the same step-wise definitions as scikit-learn, ties included); the draws are seeded, so the intervals
are part of the reproducible card.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .metrics import DECIMALS, DailyCards

RESAMPLES = 1000
LEVEL = 0.95
METRICS = ("aucRoc", "averagePrecision", "cardPrecisionAt100", "brier")
# Replicates are evaluated in blocks of this many: bounds memory to a few (block x distinct scores) matrices.
_BLOCK = 100


def _round(value: float) -> float | None:
    return round(float(value), DECIMALS) if np.isfinite(value) else None


@dataclass(frozen=True)
class Interval:
    low: float | None
    high: float | None

    def to_json(self) -> dict[str, float | None]:
        return {"low": self.low, "high": self.high}


def percentile_interval(values: np.ndarray, level: float = LEVEL) -> Interval:
    finite = values[np.isfinite(values)]
    if len(finite) == 0:
        return Interval(None, None)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(finite, [tail, 100 - tail])
    return Interval(_round(low), _round(high))


class DayBootstrap:
    """Seeded day resamples of one set of rows; `replicates(scores)` gives every metric under every resample."""

    def __init__(self, cards: DailyCards, day: np.ndarray, labels: np.ndarray, seed: int, resamples: int = RESAMPLES):
        self.cards = cards
        self.labels = np.asarray(labels, dtype=np.int64)
        days, self._row_day = np.unique(day, return_inverse=True)
        if not np.array_equal(days, cards.days):
            raise ValueError("bootstrap: the rows' days and the card-precision days differ")
        self.n_days = len(days)
        rng = np.random.default_rng([seed, 7_500_613])  # a fixed stream of its own, apart from the model's seeds
        draws = rng.integers(0, max(self.n_days, 1), size=(resamples, self.n_days))
        # counts[b, d]: how many times replicate b drew day d.
        self.counts = np.zeros((resamples, self.n_days))
        np.add.at(self.counts, (np.repeat(np.arange(resamples), self.n_days), draws.ravel()), 1.0)
        self.resamples = resamples

    def replicates(self, scores: np.ndarray) -> dict[str, np.ndarray]:
        scores = np.asarray(scores, dtype=np.float64)
        y = self.labels
        d = self.n_days
        # Per-day sums for the Brier score and the daily card precision: both are linear in the day counts.
        row_counts = np.bincount(self._row_day, minlength=d).astype(float)
        sq_error = np.bincount(self._row_day, weights=(scores - y) ** 2, minlength=d)
        brier = (self.counts @ sq_error) / (self.counts @ row_counts)
        precision = (self.counts @ self.cards.per_day(scores)) / max(d, 1)

        # Distinct scores, highest first; per day, how many positives and negatives score at or above each one.
        order = np.argsort(-scores, kind="stable")
        s_sorted = scores[order]
        last_of_tie = np.r_[np.flatnonzero(np.diff(s_sorted) != 0), len(s_sorted) - 1]
        pos = np.zeros((len(s_sorted), d))
        pos[np.arange(len(s_sorted)), self._row_day[order]] = y[order]
        neg = np.zeros_like(pos)
        neg[np.arange(len(s_sorted)), self._row_day[order]] = 1 - y[order]
        tp_day = np.cumsum(pos, axis=0)[last_of_tie]
        fp_day = np.cumsum(neg, axis=0)[last_of_tie]
        del pos, neg
        auc = np.empty(self.resamples)
        ap = np.empty(self.resamples)
        for start in range(0, self.resamples, _BLOCK):
            c = self.counts[start : start + _BLOCK]
            tp = c @ tp_day.T  # [block, thresholds]
            fp = c @ fp_day.T
            p, n = tp[:, -1:], fp[:, -1:]
            with np.errstate(divide="ignore", invalid="ignore"):
                # Average precision: sum over thresholds of (recall gained) x (precision there).
                gained = np.diff(np.concatenate([np.zeros_like(p), tp], axis=1), axis=1)
                ap[start : start + _BLOCK] = np.where(
                    p[:, 0] > 0, np.sum(np.where(gained > 0, gained * tp / (tp + fp), 0.0), axis=1) / p[:, 0], np.nan
                )
                # AUC: trapezoids under the ROC curve through (0, 0) and every threshold.
                tpr = np.concatenate([np.zeros_like(p), tp / p], axis=1)
                fpr = np.concatenate([np.zeros_like(n), fp / n], axis=1)
                area = np.sum(np.diff(fpr, axis=1) * (tpr[:, 1:] + tpr[:, :-1]) / 2, axis=1)
                auc[start : start + _BLOCK] = np.where((p[:, 0] > 0) & (n[:, 0] > 0), area, np.nan)
        return {"aucRoc": auc, "averagePrecision": ap, "cardPrecisionAt100": precision, "brier": brier}

    def describe(self) -> dict[str, Any]:
        return {
            "method": "percentile bootstrap over days",
            "level": LEVEL,
            "resamples": self.resamples,
            "days": self.n_days,
        }


def intervals(boot: DayBootstrap, reps: dict[str, np.ndarray]) -> dict[str, Any]:
    """The `intervals` block of a metric set: the method, and [low, high] for every metric."""
    return {**boot.describe(), **{m: percentile_interval(reps[m]).to_json() for m in METRICS}}


def margin(model: float | None, baseline: float | None, model_reps: np.ndarray, baseline_reps: np.ndarray,
           higher_is_better: bool = True) -> dict[str, Any]:
    """Model minus baseline, its paired interval, and whether the interval leaves zero out (beyond noise)."""
    if model is None or baseline is None:
        return {"value": None, "low": None, "high": None, "withinNoise": None}
    sign = 1.0 if higher_is_better else -1.0
    value = _round(sign * (model - baseline))
    interval = percentile_interval(sign * (model_reps - baseline_reps))
    within = interval.low is None or interval.high is None or interval.low <= 0.0 <= interval.high
    return {"value": value, **interval.to_json(), "withinNoise": bool(within)}
