"""Baselines in every card, and the gate: a model that does not beat them is refused unless a reason is given."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import fraudtrain.train as train_module
from fraudtrain.baselines import BASELINES, shortfalls
from fraudtrain.protocol import known_compromised
from fraudtrain.split import TEST, plan_split
from fraudtrain.table import load_manifest, load_table
from tests.conftest import ALLOW_REASON, Synthetic, train_into


def cp(mean: float) -> dict:
    return {"k": 100, "days": 7, "mean": mean}


def test_beating_means_strictly_higher_except_a_tie_at_the_ceiling() -> None:
    model = {"cardPrecisionAt100": cp(0.30), "averagePrecision": 0.80}
    ceilings = {"cardPrecisionAt100": 0.30, "averagePrecision": 1.0}
    assert shortfalls(model, {"lr": {"cardPrecisionAt100": cp(0.29), "averagePrecision": 0.79}}, ceilings) == []
    # Equal AP is not beating it.
    assert shortfalls(model, {"lr": {"cardPrecisionAt100": cp(0.29), "averagePrecision": 0.80}}, ceilings) == [
        "averagePrecision 0.8 vs lr 0.8"
    ]
    # Both at the ceiling of card precision: nothing could rank better, no shortfall.
    assert shortfalls(model, {"rf": {"cardPrecisionAt100": cp(0.30), "averagePrecision": 0.7}}, ceilings) == []
    below_ceiling = {"cardPrecisionAt100": 0.31, "averagePrecision": 1.0}
    assert shortfalls(model, {"rf": {"cardPrecisionAt100": cp(0.30), "averagePrecision": 0.7}}, below_ceiling) == [
        "cardPrecisionAt100 0.3 vs rf 0.3"
    ]
    assert shortfalls({"cardPrecisionAt100": cp(None), "averagePrecision": None}, {"rf": model}, ceilings) == [
        "cardPrecisionAt100 None vs rf 0.3",
        "averagePrecision None vs rf 0.8",
    ]


def test_the_baselines_are_a_scaled_logistic_regression_and_a_seeded_random_forest() -> None:
    lr, rf = (b.make(7) for b in BASELINES)
    assert [b.key for b in BASELINES] == ["logisticRegression", "randomForest"]
    assert type(lr.steps[0][1]).__name__ == "StandardScaler"
    assert rf.random_state == 7 and rf.n_jobs == 1


@pytest.fixture
def oracle_baselines(synthetic: Synthetic, monkeypatch: pytest.MonkeyPatch) -> None:
    """Baselines that score the test rows with their labels: no model can beat them."""
    manifest = load_manifest(synthetic.manifest)
    frame = load_table(synthetic.table, manifest.feature_names, manifest.table_sha256).frame
    # The test rows the trainer evaluates: the test window without the customers already known to be compromised.
    evaluated = plan_split(frame, 7).mask(TEST) & ~known_compromised(frame, train_module._delay_days(manifest.raw))
    truth = frame["label"].to_numpy()[evaluated].astype(float)

    def oracle(baseline, seed, x_train, y_train, x_score):  # noqa: ANN001, ANN202
        assert len(x_score) == len(truth)
        return truth

    monkeypatch.setattr(train_module, "fit_and_score", oracle)


def test_a_model_below_its_baselines_is_refused_and_nothing_is_written(
    synthetic: Synthetic, oracle_baselines: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert train_into(synthetic, tmp_path / "out", allow_below_baseline=False) == 2
    err = capsys.readouterr().err
    assert "does not beat every baseline" in err and "averagePrecision" in err and "--allow-below-baseline" in err
    assert not (tmp_path / "out").exists()


def test_allow_below_baseline_writes_the_reason_into_the_card(
    synthetic: Synthetic, oracle_baselines: None, tmp_path: Path
) -> None:
    assert train_into(synthetic, tmp_path) == 0
    card = json.loads((tmp_path / "card.json").read_text())
    base = card["baselines"]
    assert base["beatsAll"] is False and base["allowBelowBaseline"] == ALLOW_REASON
    assert any(s.startswith("averagePrecision") for s in base["shortfalls"])
    assert card["training"]["args"]["allowBelowBaseline"] == ALLOW_REASON
    assert base["models"]["randomForest"]["metrics"]["averagePrecision"] == 1.0
    assert base["models"]["randomForest"]["margin"]["averagePrecision"]["value"] < 0
    assert ALLOW_REASON in (tmp_path / "card.md").read_text()


def test_a_model_that_beats_its_baselines_needs_no_reason(
    synthetic: Synthetic, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Baselines that rank at random.
    monkeypatch.setattr(
        train_module, "fit_and_score", lambda b, seed, x, y, xs: np.random.default_rng(seed).random(len(xs))
    )
    assert train_into(synthetic, tmp_path, allow_below_baseline=False) == 0
    card = json.loads((tmp_path / "card.json").read_text())
    base = card["baselines"]
    assert base["beatsAll"] is True and base["shortfalls"] == [] and base["allowBelowBaseline"] is None
    at_ceiling = card["metrics"]["test"]["cardPrecisionAt100"]["mean"] == base["ceilings"]["cardPrecisionAt100"]
    for b in base["models"].values():
        assert b["margin"]["averagePrecision"]["value"] > 0
        # A tie is no shortfall only at the ceiling (every fraudulent card still in play in both top-100s).
        assert b["margin"]["cardPrecisionAt100"]["value"] > 0 or (
            at_ceiling and b["margin"]["cardPrecisionAt100"]["value"] == 0
        )
