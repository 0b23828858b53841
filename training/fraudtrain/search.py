"""Model selection: a small, seeded search over LightGBM settings, scored on the time-aware folds.

What is scored is what investigators feel: card precision@100 per day (the share of the 100 most suspicious cards of
each validation day that are fraudulent), averaged over every validation day of every fold; average precision
(mean over folds) breaks ties. AUC is not looked at. The number of trees is part of the search: each fit is scored
every TREE_STEP trees up to its cap, and the chosen count is the one the final model is trained with.

Within the retrain budget by halving: every candidate is first scored on the most recent fold only (the one closest
to the days the model will serve); the best third of them go on to the earlier folds, and the choice is made among
those on all folds. At demo scale this is about 55 fits instead of 96.

Gradient boosting only (GRID). LightGBM's random-forest mode (RF_GRID: bagged, feature-subsampled deep trees
averaged) can join with RF_SHARE > 0, and was tried: on the demo table the folds chose it (card precision@100 0.046
against 0.040), but its scores saturate (each pure leaf adds about 1/fraud-rate in log-odds): 2.2 % of held-out
payments scored >= 0.5, the 1 % alert threshold was 0.9966 and the Brier score four times boosting's, a score the
topology's decision thresholds cannot use. Selection on ranking alone cannot see that, so it stays out by default.

Deterministic: the candidates are a seeded sample of fixed grids, each fit uses the pinned single-thread LightGBM
settings of model.lightgbm_params, and ties are broken by fewer trees, then by candidate order.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import lightgbm as lgb
import numpy as np
import pandas as pd

from . import model as mdl
from .folds import Fold
from .metrics import DECIMALS, DailyCards, average_precision

CANDIDATES = 32
# Share of the candidates kept after the most recent fold (at least one).
KEEP = 1 / 3
TREE_STEP = 25
# The grid sampled from. Class weighting multiplies the weight of fraudulent rows (LightGBM scale_pos_weight); the
# feature and bagging fractions are the share of features each tree may split on and of rows each tree sees
# (resampled every tree): what makes a random forest hard to beat on rare, bursty fraud is exactly that decorrelation.
# lambda_l2 shrinks every leaf towards zero (1.0 is the pinned default of model.lightgbm_params).
GRID = {
    "learning_rate": (0.02, 0.05, 0.1),
    "num_leaves": (7, 15, 31, 63),
    "min_data_in_leaf": (20, 50, 100, 200),
    "scale_pos_weight": (1.0, 3.0, 10.0),
    "feature_fraction": (0.5, 0.8, 1.0),
    "bagging_fraction": (0.5, 0.8, 1.0),
    "lambda_l2": (1.0, 10.0),
}
# LightGBM's random-forest mode: every tree on a bootstrap-sized bag of the rows (bagging_fraction 0.632, resampled
# each tree) and a share of the features, deep trees; the trees are averaged (model.averaged_as_sum for ONNX).
RF_GRID = {
    "num_leaves": (63, 255),
    "min_data_in_leaf": (5, 20),
    "scale_pos_weight": (1.0, 3.0),
    "feature_fraction": (0.3, 0.5),
}
RF_FIXED = {"boosting": "rf", "bagging_fraction": 0.632}
RF_SHARE = 0.0
RF_MAX_TREES = 200
# The trainer's settings before model selection existed: always a candidate, so selection can only keep or beat it
# on the folds.
INCUMBENT = {"learning_rate": 0.05, "num_leaves": 31, "min_data_in_leaf": 50, "scale_pos_weight": 1.0,
             "feature_fraction": 0.8, "bagging_fraction": 0.8, "lambda_l2": 1.0}
# Tree cap per fit: about the same total shrinkage (learning rate x trees) for every learning rate.
SHRINKAGE_BUDGET = 12.0
MAX_TREES = 400


def max_trees(settings: dict[str, Any]) -> int:
    if settings.get("boosting") == "rf":
        return RF_MAX_TREES
    return min(MAX_TREES, int(round(SHRINKAGE_BUDGET / settings["learning_rate"] / TREE_STEP)) * TREE_STEP)


def _grid(spec: dict[str, tuple[float, ...]], fixed: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    keys = tuple(spec)
    return [{**dict(zip(keys, values)), **(fixed or {})} for values in itertools.product(*(spec[k] for k in keys))]


def _sample(pool: list[dict[str, Any]], size: int, stream: int, seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng([seed, stream])
    picked = rng.choice(len(pool), size=min(size, len(pool)), replace=False)
    return [pool[i] for i in sorted(int(i) for i in picked)]


def candidates(seed: int, count: int = CANDIDATES) -> list[dict[str, Any]]:
    """The incumbent first, then seeded samples (without replacement): random-forest settings for RF_SHARE of the
    rest (none below 4 candidates), gradient-boosting settings for the others."""
    if count < 1:
        raise ValueError(f"--search-candidates must be at least 1, got {count}")
    forests = int(round((count - 1) * RF_SHARE)) if count >= 4 else 0
    boosted = [c for c in _grid(GRID) if c != INCUMBENT]
    return ([dict(INCUMBENT)] + _sample(boosted, count - 1 - forests, 5_318_008, seed)
            + _sample(_grid(RF_GRID, RF_FIXED), forests, 2_718_281, seed))


@dataclass(frozen=True)
class FoldData:
    fold: Fold
    x_train: np.ndarray
    y_train: np.ndarray
    x_valid: np.ndarray
    y_valid: np.ndarray
    cards: DailyCards


@dataclass
class Scored:
    """One candidate on every fold: per checkpoint, the per-day card precisions pooled over folds and the APs."""

    index: int
    settings: dict[str, Any]
    checkpoints: list[int]
    daily: list[list[np.ndarray]] = field(default_factory=list)  # [fold][checkpoint] -> per-day precision
    ap: list[list[float]] = field(default_factory=list)  # [fold][checkpoint]

    def at(self, c: int) -> tuple[float, float, list[dict[str, float]]]:
        days = np.concatenate([fold[c] for fold in self.daily])
        per_fold = [
            {"cardPrecisionAt100": _round(float(self.daily[f][c].mean())), "averagePrecision": _round(self.ap[f][c])}
            for f in range(len(self.daily))
        ]
        return _round(float(days.mean())), _round(float(np.mean([fold[c] for fold in self.ap]))), per_fold


def _round(value: float) -> float:
    return round(float(value), DECIMALS)


def fold_data(frame: pd.DataFrame, x: np.ndarray, day: np.ndarray, fit_rows: np.ndarray, valid_rows: np.ndarray,
              fold: Fold) -> FoldData:
    train = fit_rows & fold.train_mask(day)
    valid = valid_rows & fold.valid_mask(day)
    labels = frame["label"].to_numpy()
    if labels[train].sum() == 0 or labels[valid].sum() == 0:
        raise ValueError(
            f"model selection: fold {fold} has no fraud in its training or validation days; "
            "train on a longer table"
        )
    return FoldData(fold, x[train], labels[train], x[valid], labels[valid], DailyCards(frame[valid], drop_detected=True))


def _score(settings: dict[str, Any], seed: int, data: FoldData, dataset: lgb.Dataset) -> tuple[list[np.ndarray], list[float]]:
    params = {**mdl.lightgbm_params(seed), **settings}
    trees = max_trees(settings)
    booster = lgb.train(params, dataset, num_boost_round=trees)
    raw = np.zeros(len(data.y_valid))
    daily, ap = [], []
    for start in range(0, trees, TREE_STEP):
        # Raw scores rank like probabilities; summed chunk by chunk, each checkpoint costs TREE_STEP trees.
        raw += booster.predict(data.x_valid, raw_score=True, start_iteration=start, num_iteration=TREE_STEP)
        daily.append(data.cards.per_day(raw))
        ap.append(average_precision(data.y_valid, raw))
    return daily, ap


@dataclass(frozen=True)
class Selection:
    settings: dict[str, Any]
    trees: int
    summary: dict[str, Any]  # for the card
    seconds: float  # wall time, printed, never in the card (it would break byte-identical retrains)
    cpu_seconds: float


def _best(s: Scored) -> tuple[tuple[float, float, int, int], int, float, float, list[dict[str, float]]]:
    """A candidate's best tree count on the folds it was scored on: highest card precision, then highest AP, then
    fewer trees; the sort key leads (ties between candidates go to the earlier one)."""
    best = None
    for c, trees in enumerate(s.checkpoints):
        cp, ap, per_fold = s.at(c)
        key = (-cp, -ap, trees, s.index)
        if best is None or key < best[0]:
            best = (key, trees, cp, ap, per_fold)
    assert best is not None
    return best


def select(folds: list[FoldData], seed: int, count: int = CANDIDATES,
           progress: Callable[[str], None] = lambda _: None) -> Selection:
    wall, cpu = time.perf_counter(), time.process_time()
    pool = candidates(seed, count)
    scored = [Scored(i, c, list(range(TREE_STEP, max_trees(c) + 1, TREE_STEP))) for i, c in enumerate(pool)]

    def run(fold: FoldData, who: list[Scored]) -> None:
        dataset = mdl.dataset(fold.x_train, fold.y_train, seed)
        for s in who:
            daily, ap = _score(s.settings, seed, fold, dataset)
            s.daily.insert(0, daily)  # folds are visited latest first; kept in time order
            s.ap.insert(0, ap)

    run(folds[-1], scored)
    on_latest = sorted(((_best(s), s) for s in scored), key=lambda pair: pair[0][0])
    latest_fold = [
        {"candidate": s.index, **s.settings, "trees": b[1], "cardPrecisionAt100": b[2], "averagePrecision": b[3]}
        for b, s in on_latest
    ]
    kept = [s for _, s in on_latest][: max(1, round(len(scored) * KEEP))]
    best_on_latest = len(kept)
    # The former fixed settings always go on, so the card can say what selection gained over them on every fold.
    kept += [s for s in scored if s.index == 0 and s not in kept]
    progress(f"latest fold: {len(scored)} candidates scored, {len(kept)} kept")
    for i, fold in enumerate(folds[-2::-1]):
        run(fold, kept)
        progress(f"fold {len(folds) - 1 - i}/{len(folds)} scored ({len(kept)} candidates)")

    ranked = sorted((_best(s) + (s,) for s in kept), key=lambda r: r[0])  # every kept candidate, best first
    _, trees, cp, ap, per_fold, best = ranked[0]

    def entry(r: tuple) -> dict[str, Any]:
        return {"candidate": r[5].index, **r[5].settings, "trees": r[1], "cardPrecisionAt100": r[2],
                "averagePrecision": r[3]}

    incumbent = next(r for r in ranked if r[5].index == 0)
    summary = {
        "method": (
            "seeded sample of a grid of LightGBM gradient-boosting settings; each scored every "
            f"{TREE_STEP} trees on time-aware folds (train on days [a, b), skip the label delay, validate on the "
            "days after); all candidates on the latest fold, the best third also on the earlier folds; chosen on "
            "card precision@100 per day over all validation days, then average precision (mean over folds), then "
            "fewer trees"
        ),
        "metric": "cardPrecisionAt100",
        "tieBreak": "averagePrecision",
        "grid": {k: list(v) for k, v in GRID.items()},
        **({"rfGrid": {**{k: list(v) for k, v in RF_GRID.items()}, **RF_FIXED}} if RF_SHARE > 0 else {}),
        "candidates": len(pool),
        "keptAfterLatestFold": best_on_latest,
        "treeStep": TREE_STEP,
        "maxTrees": {
            **{str(lr): max_trees({"learning_rate": lr}) for lr in GRID["learning_rate"]},
            **({"rf": RF_MAX_TREES} if RF_SHARE > 0 else {}),
        },
        "chosen": {**best.settings, "trees": trees, "cardPrecisionAt100": cp, "averagePrecision": ap,
                   "perFold": per_fold},
        # The former fixed settings, on the same folds.
        "incumbent": entry(incumbent),
        "leaderboard": [entry(r) for r in ranked],
        # Every candidate on the latest fold, best first: what the halving saw.
        "latestFold": latest_fold,
    }
    return Selection(best.settings, trees, summary, time.perf_counter() - wall, time.process_time() - cpu)
