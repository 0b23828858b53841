"""Metric sets with their confidence intervals, and the comparison of the model with its baselines."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .metrics import DailyCards, evaluate
from .split import DAY_MS
from .uncertainty import DayBootstrap, intervals, margin

# Headline metrics reported for a baseline (the model's sets also carry count, fraud rate and reliability).
HEADLINE = ("aucRoc", "averagePrecision", "cardPrecisionAt100", "brier")
# Metrics on which the model's margin over each baseline is reported (and AUC for information).
MARGINS = ("cardPrecisionAt100", "averagePrecision", "aucRoc")


class EvaluationSet:
    """One set of rows (test, in-time test, reference; the caller has dropped the customers known to be compromised,
    fraudtrain/protocol.py, and card precision drops the cards detected on earlier days): metrics plus day-bootstrap intervals for any scores, with the
    same resampled days for every model so that their differences are paired."""

    def __init__(self, frame: pd.DataFrame, seed: int) -> None:
        self.frame = frame
        self.cards = DailyCards(frame, drop_detected=True)
        day = frame["event_time_ms"].to_numpy() // DAY_MS
        self.boot = DayBootstrap(self.cards, day, frame["label"].to_numpy(), seed)

    def evaluate(self, scores: np.ndarray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        metrics = evaluate(self.frame, scores, self.cards)
        reps = self.boot.replicates(scores)
        return {**metrics, "intervals": intervals(self.boot, reps)}, reps

    def headline(self, scores: np.ndarray) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        metrics, reps = self.evaluate(scores)
        return {k: metrics[k] for k in (*HEADLINE, "intervals")}, reps


def _point(metrics: dict[str, Any], key: str) -> float | None:
    value = metrics[key]
    return value["mean"] if isinstance(value, dict) else value


def margins(model: dict[str, Any], model_reps: dict[str, np.ndarray], base: dict[str, Any],
            base_reps: dict[str, np.ndarray]) -> dict[str, Any]:
    """The model minus the baseline on each MARGINS metric, with its paired interval and a within-noise verdict."""
    return {m: margin(_point(model, m), _point(base, m), model_reps[m], base_reps[m]) for m in MARGINS}
