"""Evaluation metrics reported in the model card. Scores are the ONNX model's float32 outputs: what serving sees."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from .split import DAY_MS

CARD_PRECISION_K = 100
RELIABILITY_BINS = 10
# Six decimals: far below any difference that matters for a ranking metric, and it keeps the card readable.
DECIMALS = 6


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), DECIMALS)


class DailyCards:
    """Card precision@k per UTC day, precomputed for one set of rows so that many score vectors (every candidate
    and tree count of the model search, every model of the card) are ranked cheaply and identically.

    Per day: rank customers by their highest score that day, take the top k, and count the fraction with at least
    one fraudulent transaction that day. An investigator can review about k cards a day; this says how many of them
    are worth it. Days with fewer than k customers divide by the number they have. Ties are broken by customer id,
    so the metric is a function of the data, not of sort stability.

    With drop_detected (the handbook's card_precision_top_k), a fraudulent card in the top k of a day is detected
    and blocked: it leaves the ranking of every later day. Customers already known to be compromised through their
    labels are dropped by the caller, from the rows (fraudtrain/protocol.py)."""

    def __init__(self, frame: pd.DataFrame, k: int = CARD_PRECISION_K, drop_detected: bool = False) -> None:
        self.k = k
        self.drop_detected = drop_detected
        day = frame["event_time_ms"].to_numpy() // DAY_MS
        # Customer ids ranked as strings: the tie-break order.
        customers, customer_rank = np.unique(frame["customer_id"].to_numpy().astype(str), return_inverse=True)
        # One group per (day, customer), numbered in (day, customer) order; rows sorted by group so that per-group
        # maxima are one reduceat.
        first = int(day.min()) if len(day) else 0
        group_keys, group = np.unique((day - first) * len(customers) + customer_rank, return_inverse=True)
        self._order = np.argsort(group, kind="stable")
        self._starts = np.flatnonzero(np.r_[True, np.diff(group[self._order]) != 0])
        self._group_day = group_keys // max(len(customers), 1) + first
        self._group_customer = group_keys % max(len(customers), 1)
        labels = frame["label"].to_numpy()[self._order]
        self._group_fraud = np.maximum.reduceat(labels, self._starts) if len(labels) else labels
        self.days = np.unique(self._group_day)

    def per_day(self, scores: np.ndarray) -> np.ndarray:
        """Card precision@k of each day in `self.days`, in day order."""
        if len(self.days) == 0:
            return np.zeros(0)
        best = np.maximum.reduceat(np.asarray(scores, dtype=np.float64)[self._order], self._starts)
        ranked = np.lexsort((self._group_customer, -best, self._group_day))
        top = self._top_detecting(ranked) if self.drop_detected else self._top(ranked)
        top_day = np.searchsorted(self.days, self._group_day[top])
        hits = np.bincount(top_day, weights=self._group_fraud[top], minlength=len(self.days))
        return hits / np.maximum(np.bincount(top_day, minlength=len(self.days)), 1)

    def _top(self, ranked: np.ndarray) -> np.ndarray:
        """The first k groups of each day in `ranked` (groups in day order, best first within a day)."""
        day_sorted = self._group_day[ranked]
        day_start = np.searchsorted(day_sorted, day_sorted, side="left")
        return ranked[np.arange(len(ranked)) - day_start < self.k]

    def _top_detecting(self, ranked: np.ndarray) -> np.ndarray:
        """As _top, day after day, leaving out the customers whose fraud an earlier day's top k detected."""
        detected = np.zeros(int(self._group_customer.max()) + 1 if len(ranked) else 0, dtype=bool)
        bounds = np.searchsorted(self._group_day[ranked], self.days, side="left").tolist() + [len(ranked)]
        tops = []
        for d in range(len(self.days)):
            groups = ranked[bounds[d] : bounds[d + 1]]
            top = groups[~detected[self._group_customer[groups]]][: self.k]
            detected[self._group_customer[top[self._group_fraud[top] > 0]]] = True
            tops.append(top)
        return np.concatenate(tops) if tops else ranked[:0]

    def ceiling(self) -> float | None:
        """The best mean any ranking can reach: each day, every fraudulent card still in play (up to k) in the top k."""
        if len(self.days) == 0:
            return None
        # Scores equal to the labels put every fraudulent card of a day first: the perfect ranking.
        best = np.empty(len(self._order))
        best[self._order] = np.repeat(self._group_fraud, np.diff(np.r_[self._starts, len(self._order)]))
        return _round(float(self.per_day(best).mean()))

    def summary(self, scores: np.ndarray) -> dict[str, Any]:
        daily = self.per_day(scores)
        return {"k": self.k, "days": int(len(daily)), "mean": _round(float(daily.mean())) if len(daily) else None}


def card_precision_at_k(frame: pd.DataFrame, scores: np.ndarray, k: int = CARD_PRECISION_K) -> dict[str, Any]:
    """Mean over UTC days of card precision@k (see DailyCards), with k and the number of days."""
    return DailyCards(frame, k).summary(scores)


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """Average precision as scikit-learn defines it (step-wise, tied scores form one threshold), without its input
    checks: the model search evaluates it thousands of times."""
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ordered = np.asarray(scores, dtype=np.float64)[order]
    last_of_tie = np.r_[np.flatnonzero(np.diff(ordered) != 0), len(ordered) - 1]
    tps = np.cumsum(np.asarray(labels, dtype=np.float64)[order])[last_of_tie]
    precision = tps / (last_of_tie + 1)
    gained = np.diff(tps, prepend=0.0)
    return float(np.sum(gained * precision) / tps[-1]) if len(tps) and tps[-1] > 0 else float("nan")


def reliability_table(labels: np.ndarray, scores: np.ndarray, bins: int = RELIABILITY_BINS) -> list[dict[str, Any]]:
    """Equal-width bins on [0, 1]; the last bin is closed so a score of exactly 1 is counted."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    index = np.clip(np.searchsorted(edges, scores, side="right") - 1, 0, bins - 1)
    table = []
    for b in range(bins):
        in_bin = index == b
        count = int(in_bin.sum())
        table.append(
            {
                "lower": _round(edges[b]),
                "upper": _round(edges[b + 1]),
                "count": count,
                "meanPredicted": _round(scores[in_bin].mean()) if count else None,
                "observedRate": _round(labels[in_bin].mean()) if count else None,
            }
        )
    return table


def evaluate(frame: pd.DataFrame, scores: np.ndarray, cards: DailyCards | None = None) -> dict[str, Any]:
    """Every metric of a card's metric set; `cards` is the frame's DailyCards when the caller already has it."""
    labels = frame["label"].to_numpy().astype(np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    both_classes = 0 < labels.sum() < len(labels)
    return {
        "rows": int(len(labels)),
        "frauds": int(labels.sum()),
        "fraudRate": _round(labels.mean()) if len(labels) else None,
        # Undefined with a single class: null, never a made-up 0.5.
        "aucRoc": _round(roc_auc_score(labels, scores)) if both_classes else None,
        "averagePrecision": _round(average_precision_score(labels, scores)) if both_classes else None,
        "cardPrecisionAt100": (cards or DailyCards(frame)).summary(scores),
        "brier": _round(brier_score_loss(labels, scores)) if len(labels) else None,
        "reliability": reliability_table(labels, scores),
    }
