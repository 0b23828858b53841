"""Reference distributions for drift monitoring and the held-out expectation of the live metrics.

Written into the model card's `monitoring` section (read by src/core/monitoring/reference.ts, which documents the
format). The binning rule is shared with the worker's TypeScript (src/core/monitoring/binning.ts) and pinned by the
golden fixtures in test/fixtures/drift (training/tools/make_drift_fixtures.py):

- inner bin edges = deciles of the values (numpy's default linear quantile), identical edges merged; the bins are
  (-inf, e0), [e0, e1), ..., [e_last, +inf), and a value v falls into bin searchsorted(edges, v, side="right");
- shares = count per bin / number of values;
- PSI floors every share of both sides at EPSILON before (a - e) * ln(a / e), so an empty bin stays finite.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sklearn.metrics import average_precision_score, roc_auc_score

from .metrics import card_precision_at_k
from .split import DAY_MS

QUANTILES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
# Same as DEFAULT_PSI_EPSILON in src/core/monitoring/reference.ts: a bin holding 0.01 % counts as holding that much.
EPSILON = 1e-4
SCORE_SAMPLE_SIZE = 10_000
BOOTSTRAP_RESAMPLES = 1000
CONFIDENCE = 0.95


def decile_edges(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return np.empty(0)
    # np.unique sorts and merges identical edges (a 0/1 flag gets at most two edges, not nine).
    return np.unique(np.quantile(values, QUANTILES))


def bin_counts(edges: np.ndarray, values: np.ndarray) -> np.ndarray:
    index = np.searchsorted(edges, np.asarray(values, dtype=np.float64), side="right")
    return np.bincount(index, minlength=len(edges) + 1)


def binned_reference(values: np.ndarray) -> dict[str, list[float]]:
    values = np.asarray(values, dtype=np.float64)
    edges = decile_edges(values)
    counts = bin_counts(edges, values)
    return {"edges": [float(e) for e in edges], "shares": [float(c) / len(values) for c in counts]}


def psi(reference_shares: np.ndarray, actual_counts: np.ndarray, epsilon: float = EPSILON) -> float:
    actual = np.asarray(actual_counts, dtype=np.float64)
    expected = np.maximum(np.asarray(reference_shares, dtype=np.float64), epsilon)
    actual = np.maximum(actual / actual.sum(), epsilon)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def score_sample(scores: np.ndarray, seed: int, size: int = SCORE_SAMPLE_SIZE) -> list[float]:
    """At most `size` scores drawn without replacement by a seeded generator, ascending (the worker's KS input)."""
    scores = np.asarray(scores, dtype=np.float64)
    if len(scores) > size:
        scores = np.random.default_rng(seed).choice(scores, size=size, replace=False)
    return [float(s) for s in np.sort(scores)]


def monitoring_reference(
    feature_names: tuple[str, ...] | list[str],
    train_features: np.ndarray,
    heldout_scores: np.ndarray,
    seed: int,
    expectations: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The card's `monitoring` section. Features: the training rows as the model saw them (float32). Score: the
    held-out rows, scored by the exported model -- the best picture of what the live score should look like."""
    train_features = np.asarray(train_features)
    if train_features.ndim != 2 or train_features.shape[1] != len(feature_names):
        raise ValueError(f"train_features: expected [rows, {len(feature_names)}], got {train_features.shape}")
    if len(heldout_scores) == 0:
        raise ValueError("heldout_scores: empty; the score reference needs the held-out split's scores")
    section: dict[str, Any] = {
        "epsilon": EPSILON,
        "features": {
            name: binned_reference(train_features[:, i].astype(np.float64)) for i, name in enumerate(feature_names)
        },
        "score": {
            "bins": binned_reference(heldout_scores),
            "sample": score_sample(heldout_scores, seed),
            "rows": "test",
        },
    }
    if expectations is not None:
        section["expectations"] = expectations
    return section


def _or_nan(value: float | None) -> float:
    return np.nan if value is None else float(value)


def bootstrap_expectations(frame: pd.DataFrame, scores: np.ndarray, seed: int,
                           resamples: int = BOOTSTRAP_RESAMPLES) -> dict[str, Any]:
    """AUC, average precision and card precision@100 on the held-out split, each with a percentile confidence
    interval from a bootstrap over UTC days: whole days are drawn with replacement, because rows of one day share
    customers, terminals and fraud campaigns (days, not rows, are the independent units). Card precision@100 is a
    mean of per-day values, so a resample's is the mean over its drawn days. A resample with a single class gives
    no AUC/AP and is left out of those intervals; a metric undefined on the whole split is omitted. The interval is
    widened to contain the point estimate if the percentiles miss it (possible with few days), so that
    lower <= value <= upper always holds."""
    labels = frame["label"].to_numpy().astype(np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    days = frame["event_time_ms"].to_numpy() // DAY_MS
    unique_days = np.unique(days)
    rows_of = [np.flatnonzero(days == d) for d in unique_days]
    # The metric's own definition, one day at a time (its mean over days is the card's figure).
    cp_of = np.array([_or_nan(card_precision_at_k(frame.iloc[rows], scores[rows])["mean"]) for rows in rows_of])

    def ranking(index: np.ndarray) -> tuple[float | None, float | None]:
        y, s = labels[index], scores[index]
        if not 0 < y.sum() < len(y):
            return None, None
        return float(roc_auc_score(y, s)), float(average_precision_score(y, s))

    point_auc, point_ap = ranking(np.arange(len(labels)))
    point = {"auc": point_auc, "average_precision": point_ap,
             "card_precision_at_100": float(np.nanmean(cp_of)) if np.isfinite(cp_of).any() else None}
    samples: dict[str, list[float]] = {name: [] for name in point}
    rng = np.random.default_rng(seed)
    for draw in rng.integers(0, len(unique_days), size=(resamples, len(unique_days))):
        auc, ap = ranking(np.concatenate([rows_of[i] for i in draw]))
        if auc is not None:
            samples["auc"].append(auc)
            samples["average_precision"].append(ap)
        cp = cp_of[draw]
        if np.isfinite(cp).any():
            samples["card_precision_at_100"].append(float(np.nanmean(cp)))
    tail = (1 - CONFIDENCE) / 2
    method = (f"bootstrap over {len(unique_days)} held-out days, {resamples} resamples, "
              f"{CONFIDENCE:.0%} percentile interval")
    out: dict[str, Any] = {}
    for name, value in point.items():
        if value is None or not samples[name]:
            continue
        lower, upper = np.quantile(samples[name], [tail, 1 - tail])
        out[name] = {"value": round(value, 6), "lower": round(float(min(lower, value)), 6),
                     "upper": round(float(max(upper, value)), 6), "method": method}
    return out
