"""Seeded boosters averaged into one model: exported as a single sum of trees that scores as the members' mean."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from fraudtrain import model as mdl

NAMES = tuple(f"f{i}" for i in range(5))
SAMPLED = {"learning_rate": 0.1, "num_leaves": 7, "min_data_in_leaf": 20, "feature_fraction": 0.6, "bagging_fraction": 0.7}


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4000, 5)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] + rng.normal(size=len(x)) > 1.5).astype(int)
    return x, y


def test_an_ensemble_is_the_mean_of_its_members_in_log_odds_and_exports_exactly(data) -> None:
    x, y = data
    ensemble = mdl.fit(x, y, NAMES, 42, SAMPLED, 30, members=3)
    assert ensemble.booster.num_trees() == 90 and ensemble.best_iteration == 30
    # Each member refitted on its own: the ensemble's raw score is their mean, to float rounding.
    dataset = mdl.dataset(x, y, 42, NAMES)
    members = [
        lgb.train({**mdl.lightgbm_params(42), **SAMPLED, **mdl.member_seeds(42, m)}, dataset, num_boost_round=30)
        for m in range(3)
    ]
    raws = np.array([b.predict(x, raw_score=True) for b in members])
    assert np.max(np.abs(ensemble.booster.predict(x, raw_score=True) - raws.mean(axis=0))) < 1e-9
    # The members differ (their own sampling seeds), and the first is the single booster of the pinned seeds.
    assert np.max(np.abs(raws[1] - raws[0])) > 1e-3 and np.max(np.abs(raws[2] - raws[1])) > 1e-3
    single = mdl.fit(x, y, NAMES, 42, SAMPLED, 30)
    assert np.max(np.abs(single.booster.predict(x, raw_score=True) - raws[0])) < 1e-9
    scorer = mdl.OnnxScorer(mdl.export_onnx(ensemble.booster, "test+000000000000", NAMES))
    assert mdl.check_agreement(ensemble.booster, scorer, x, "train") <= mdl.MAX_ABS_DIFF


def test_an_ensemble_is_deterministic_and_its_size_matters(data) -> None:
    x, y = data
    export = lambda t: mdl.export_onnx(t.booster, "test+000000000000", NAMES)  # noqa: E731
    three = export(mdl.fit(x, y, NAMES, 42, SAMPLED, 20, members=3))
    assert three == export(mdl.fit(x, y, NAMES, 42, SAMPLED, 20, members=3))
    assert three != export(mdl.fit(x, y, NAMES, 42, SAMPLED, 20, members=2))
    assert three != export(mdl.fit(x, y, NAMES, 43, SAMPLED, 20, members=3))


def test_a_forest_mode_ensemble_averages_forests(data) -> None:
    x, y = data
    forest = {"boosting": "rf", "bagging_fraction": 0.632, "feature_fraction": 0.5, "num_leaves": 15,
              "min_data_in_leaf": 5}
    one, two = mdl.fit(x, y, NAMES, 42, forest, 20), mdl.fit(x, y, NAMES, 42, forest, 20, members=2)
    assert two.booster.num_trees() == 40
    native = mdl.native_positive_scores(two.booster, x)
    assert 0 < native.min() and native.max() < 1 and np.max(np.abs(native - mdl.native_positive_scores(one.booster, x))) > 0
    scorer = mdl.OnnxScorer(mdl.export_onnx(two.booster, "test+000000000000", NAMES))
    assert mdl.check_agreement(two.booster, scorer, x, "train") <= mdl.MAX_ABS_DIFF


def test_mean_as_sum_renumbers_the_trees_and_divides_every_leaf() -> None:
    def text(leaves: list[str]) -> str:
        trees = "\n\n\n".join(f"Tree={i}\nnum_leaves=2\nleaf_value={v}\nshrinkage=1" for i, v in enumerate(leaves))
        return f"tree\nversion=v4\nfeature_names=a\n\n{trees}\n\n\nend of trees\n\nparameters:\nend of parameters\n"

    merged = mdl.mean_as_sum([text(["1 -1", "0.5 0"]), text(["3 1"])])
    lines = merged.split("\n")
    assert [line for line in lines if line.startswith("Tree=")] == ["Tree=0", "Tree=1", "Tree=2"]
    assert [line for line in lines if line.startswith("leaf_value=")] == [
        "leaf_value=0.5 -0.5", "leaf_value=0.25 0.0", "leaf_value=1.5 0.5"]
    assert merged.startswith("tree\nversion=v4\nfeature_names=a\n\nTree=0\n")
    assert merged.endswith("\nend of trees\n\nparameters:\nend of parameters\n")


def test_members_only_when_something_is_sampled() -> None:
    assert mdl.ensemble_members(SAMPLED) == mdl.ENSEMBLE_MEMBERS > 1
    assert mdl.ensemble_members({"feature_fraction": 1.0, "bagging_fraction": 1.0}) == 1
    assert mdl.ensemble_members({"feature_fraction": 0.5, "bagging_fraction": 1.0}) == mdl.ENSEMBLE_MEMBERS
    assert mdl.member_seeds(42, 0) == {}
    seeds = [mdl.member_seeds(42, m)["bagging_seed"] for m in range(1, 5)]
    assert len(set(seeds)) == 4 and seeds == [mdl.member_seeds(42, m)["bagging_seed"] for m in range(1, 5)]
    assert seeds != [mdl.member_seeds(43, m)["bagging_seed"] for m in range(1, 5)]
