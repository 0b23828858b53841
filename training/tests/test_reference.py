"""Reference distributions and held-out expectations (fraudtrain/reference.py): the same binning as the worker,
finite PSI with empty bins, and a card whose `monitoring` section the serving side can read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from fraudtrain import reference
from fraudtrain.split import DAY_MS
from tests.synthetic import FEATURE_NAMES

FIXTURES = Path(__file__).resolve().parents[2] / "test" / "fixtures" / "drift"


def test_binning_matches_the_committed_golden_values() -> None:
    """The worker's TypeScript is checked against these same files (test/unit/core/monitoring): both sides bin
    alike only if the trainer still produces them."""
    for case in json.loads((FIXTURES / "binning.json").read_text())["cases"]:
        ref = reference.binned_reference(np.asarray(case["reference"]))
        assert ref["edges"] == case["edges"], case["name"]
        assert ref["shares"] == pytest.approx(case["shares"], abs=1e-12)
        counts = reference.bin_counts(np.asarray(case["edges"]), np.asarray(case["actual"]))
        assert counts.tolist() == case["actualCounts"]
        assert reference.psi(np.asarray(case["shares"]), counts) == pytest.approx(case["psi"], abs=1e-12)


def test_deciles_merge_ties_and_bins_are_open_ended() -> None:
    flag = np.array([0.0] * 75 + [1.0] * 25)
    ref = reference.binned_reference(flag)
    assert ref["edges"] == [0.0, 1.0]
    assert ref["shares"] == [0.0, 0.75, 0.25]
    assert reference.bin_counts(np.array([0.0, 1.0]), np.array([-5.0, 0.0, 0.5, 1.0, 99.0])).tolist() == [1, 2, 2]


def test_psi_is_finite_with_empty_bins_on_either_side() -> None:
    assert reference.psi(np.array([0.0, 0.5, 0.5]), np.array([10, 0, 0])) < float("inf")
    assert reference.psi(np.array([0.5, 0.5]), np.array([5, 5])) == 0.0


def test_monitoring_section_shape() -> None:
    rng = np.random.default_rng(1)
    features = rng.normal(size=(500, len(FEATURE_NAMES))).astype(np.float32)
    scores = rng.beta(0.5, 10, 20_000)
    section = reference.monitoring_reference(FEATURE_NAMES, features, scores, seed=3)
    assert section["epsilon"] == reference.EPSILON
    assert list(section["features"]) == list(FEATURE_NAMES)
    for ref in section["features"].values():
        assert len(ref["shares"]) == len(ref["edges"]) + 1
        assert sum(ref["shares"]) == pytest.approx(1.0)
    sample = section["score"]["sample"]
    assert len(sample) == reference.SCORE_SAMPLE_SIZE and sample == sorted(sample)
    # Seeded: the same inputs give the same sample (the card must be reproducible byte for byte).
    assert reference.monitoring_reference(FEATURE_NAMES, features, scores, seed=3) == section
    with pytest.raises(ValueError, match="train_features"):
        reference.monitoring_reference(FEATURE_NAMES, features[:, :3], scores, seed=3)


def test_bootstrap_over_days_brackets_the_point_estimate() -> None:
    rng = np.random.default_rng(2)
    rows = 7 * 600
    labels = (rng.random(rows) < 0.05).astype(np.int64)
    scores = np.clip(rng.beta(0.6, 12, rows) + labels * rng.beta(2, 4, rows), 0, 1)
    frame = pd.DataFrame(
        {
            "event_time_ms": rng.integers(0, 7, rows) * DAY_MS + 1000,
            "customer_id": [f"C{c}" for c in rng.integers(0, 400, rows)],
            "label": labels,
        }
    )
    out = reference.bootstrap_expectations(frame, scores, seed=5, resamples=200)
    assert set(out) == {"auc", "average_precision", "card_precision_at_100"}
    for e in out.values():
        # Strictly inside: the interval is clamped to hold the point estimate, so only a strict check can fail.
        assert 0 <= e["lower"] < e["value"] < e["upper"] <= 1, "seven days of data leave some uncertainty"
        assert "7 held-out days" in e["method"]
    assert reference.bootstrap_expectations(frame, scores, seed=5, resamples=200) == out


def test_trained_card_carries_monitoring(trained: Path) -> None:
    card = json.loads((trained / "card.json").read_text())
    monitoring = card["monitoring"]
    assert sorted(monitoring["features"]) == sorted(card["input"]["features"])
    assert monitoring["score"]["rows"] == "test"
    assert 0 < len(monitoring["score"]["sample"]) <= reference.SCORE_SAMPLE_SIZE
    auc = monitoring["expectations"]["auc"]
    # Every test row, as the stream's evaluator sees them: the known compromised customers that the card's test
    # metrics leave out (handbook protocol) are in.
    assert card["split"]["rows"]["testKnownCompromised"] > 0
    assert monitoring["score"]["rows"] == "test" and 0.5 < auc["value"] <= 1
    assert auc["value"] != card["metrics"]["test"]["aucRoc"]
    assert auc["lower"] <= auc["value"] <= auc["upper"]
    assert "## Monitoring" in (trained / "card.md").read_text()
