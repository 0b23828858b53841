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


def card_precision_at_k(frame: pd.DataFrame, scores: np.ndarray, k: int = CARD_PRECISION_K) -> dict[str, Any]:
    """Per UTC day: rank customers by their highest score that day, take the top k, and count the fraction with at
    least one fraudulent transaction that day. An investigator can review about k cards a day; this says how many of
    them are worth it. Days with fewer than k customers divide by the number they have."""
    data = pd.DataFrame(
        {
            "day": frame["event_time_ms"].to_numpy() // DAY_MS,
            "customer": frame["customer_id"].to_numpy(),
            "score": scores,
            "label": frame["label"].to_numpy(),
        }
    )
    per_customer = data.groupby(["day", "customer"], sort=True).agg(score=("score", "max"), fraud=("label", "max"))
    per_customer = per_customer.reset_index()
    # Ties broken by customer id so the metric is a function of the data, not of sort stability.
    per_customer = per_customer.sort_values(["day", "score", "customer"], ascending=[True, False, True], kind="stable")
    top = per_customer.groupby("day", sort=True).head(k)
    daily = top.groupby("day", sort=True)["fraud"].mean()
    return {"k": k, "days": int(len(daily)), "mean": _round(float(daily.mean())) if len(daily) else None}


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


def evaluate(frame: pd.DataFrame, scores: np.ndarray) -> dict[str, Any]:
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
        "cardPrecisionAt100": card_precision_at_k(frame, scores),
        "brier": _round(brier_score_loss(labels, scores)) if len(labels) else None,
        "reliability": reliability_table(labels, scores),
    }
