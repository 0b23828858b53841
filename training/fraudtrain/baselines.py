"""Baselines fitted beside every model: what a plain logistic regression and a plain random forest reach on the very
same rows and features. A model that does not beat both where investigators feel it (card precision@100 per day and
average precision on the held-out test period) is not worth its complexity, and the trainer refuses it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

# The metrics a model must beat every baseline on (point estimates on the test period) to be accepted.
GATED = ("cardPrecisionAt100", "averagePrecision")


@dataclass(frozen=True)
class Baseline:
    key: str
    description: str
    params: dict[str, Any]
    make: Callable[[int], Any]


def _logistic_regression(seed: int) -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))


def _random_forest(seed: int) -> Any:
    # scikit-learn's defaults (100 fully grown trees, sqrt of the features per split); one thread, so the trees and
    # their scores do not depend on the machine.
    return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)


BASELINES = (
    Baseline(
        "logisticRegression",
        "logistic regression on standardised features (scikit-learn, lbfgs, C=1)",
        {"scaler": "StandardScaler", "C": 1.0, "solver": "lbfgs", "maxIter": 1000},
        _logistic_regression,
    ),
    Baseline(
        "randomForest",
        "random forest (scikit-learn defaults: 100 fully grown trees, sqrt(features) per split), fixed seed",
        {"nEstimators": 100, "maxDepth": None, "maxFeatures": "sqrt", "minSamplesLeaf": 1},
        _random_forest,
    ),
)


def fit_and_score(baseline: Baseline, seed: int, x_train: np.ndarray, y_train: np.ndarray,
                  x_score: np.ndarray) -> np.ndarray:
    """Fits on the model's training rows (float32 inputs, as the model sees them) and scores `x_score`."""
    estimator = baseline.make(seed)
    estimator.fit(np.asarray(x_train, dtype=np.float64), y_train)
    return np.asarray(estimator.predict_proba(np.asarray(x_score, dtype=np.float64))[:, 1], dtype=np.float64)


def shortfalls(model: dict[str, Any], baselines: dict[str, dict[str, Any]], ceilings: dict[str, float | None]) -> list[str]:
    """Where the model does not beat a baseline on a gated metric, in words. Beating means a strictly higher point
    estimate, except that a tie at the metric's ceiling (nothing could rank better) is no shortfall: when every
    fraudulent card of every day is already in both top-100s, card precision@100 cannot tell the models apart."""
    out = []
    for key, base in baselines.items():
        for metric in GATED:
            mine, theirs = _value(model, metric), _value(base, metric)
            at_ceiling = mine is not None and mine == theirs and mine == ceilings.get(metric)
            if mine is None or theirs is None or not (mine > theirs or at_ceiling):
                out.append(f"{metric} {mine} vs {key} {theirs}")
    return out


def _value(metrics: dict[str, Any], metric: str) -> float | None:
    value = metrics.get(metric)
    return value.get("mean") if isinstance(value, dict) else value
