"""The model search: seeded, deterministic, and it picks the best card precision@100 (then AP) on the folds."""

from __future__ import annotations

import numpy as np
import pytest

from fraudtrain import search
from fraudtrain.folds import plan_folds
from fraudtrain.split import DAY_MS, TRAIN, VALID, plan_split
from fraudtrain.table import load_manifest, load_table
from tests.conftest import Synthetic


def test_candidates_are_a_seeded_sample_of_the_grids_led_by_the_incumbent() -> None:
    a = search.candidates(42)
    assert len(a) == search.CANDIDATES and a[0] == search.INCUMBENT
    assert a == search.candidates(42) and a != search.candidates(43)
    assert len({tuple(sorted(c.items())) for c in a}) == len(a), "no candidate twice"
    forests = [c for c in a if c.get("boosting") == "rf"]
    assert len(forests) == round((search.CANDIDATES - 1) * search.RF_SHARE)
    search_with_forests = search.RF_SHARE
    try:
        search.RF_SHARE = 0.25
        forests = [c for c in search.candidates(42) if c.get("boosting") == "rf"]
    finally:
        search.RF_SHARE = search_with_forests
    assert len(forests) == round((search.CANDIDATES - 1) * 0.25)
    for c in forests:
        assert all(c[k] in values for k, values in search.RF_GRID.items())
        assert {k: c[k] for k in search.RF_FIXED} == search.RF_FIXED
    for c in a:
        if c not in forests:
            assert all(c[k] in values for k, values in search.GRID.items())
    assert len(search.candidates(42, 3)) == 3
    assert not any(c.get("boosting") == "rf" for c in search.candidates(42, 3))


def test_tree_caps_follow_the_learning_rate() -> None:
    def cap(lr: float) -> int:
        return search.max_trees({"learning_rate": lr})

    assert cap(0.1) < cap(0.05) <= cap(0.03) <= search.MAX_TREES
    assert all(cap(lr) % search.TREE_STEP == 0 for lr in search.GRID["learning_rate"])
    assert search.max_trees({"boosting": "rf", "learning_rate": 0.1}) == search.RF_MAX_TREES


def test_selection_is_deterministic_and_picks_the_top_of_its_leaderboard(synthetic: Synthetic) -> None:
    manifest = load_manifest(synthetic.manifest)
    frame = load_table(synthetic.table, manifest.feature_names, manifest.table_sha256).frame
    plan = plan_split(frame, 7)
    day = frame["event_time_ms"].to_numpy() // DAY_MS
    x = np.ascontiguousarray(frame[list(manifest.feature_names)].to_numpy(), dtype=np.float32)
    folds = [
        search.fold_data(frame, x, day, plan.mask(TRAIN), plan.mask(TRAIN) | plan.mask(VALID), f)
        for f in plan_folds(int(day.min()), plan.test_from_ms // DAY_MS, 7)
    ]
    first = search.select(folds, seed=42, count=3)
    again = search.select(folds, seed=42, count=3)
    assert first.summary == again.summary and first.settings == again.settings and first.trees == again.trees
    chosen, board = first.summary["chosen"], first.summary["leaderboard"]
    assert board[0]["trees"] == first.trees == chosen["trees"]
    assert {k: board[0][k] for k in search.GRID} == first.settings
    # Ordered by card precision, then AP: nobody on the board scores higher.
    key = [(e["cardPrecisionAt100"], e["averagePrecision"]) for e in board]
    assert key == sorted(key, reverse=True)
    assert len(chosen["perFold"]) == len(folds) == 3
    # Every fold validates on 7 days, so the pooled daily mean is the mean of the fold means.
    assert chosen["cardPrecisionAt100"] == pytest.approx(
        np.mean([f["cardPrecisionAt100"] for f in chosen["perFold"]]), abs=2e-6
    )
    assert first.summary["incumbent"]["candidate"] == 0
    # Halving: all three on the latest fold, the best one (plus the incumbent) on every fold.
    assert len(first.summary["latestFold"]) == 3 and first.summary["keptAfterLatestFold"] == 1
    assert {e["candidate"] for e in board} == {0, first.summary["latestFold"][0]["candidate"]}
