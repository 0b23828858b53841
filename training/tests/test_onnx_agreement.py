"""The exported ONNX model scores like native LightGBM, and the check refuses a model that does not."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnx
import pytest

from fraudtrain import model as mdl
from fraudtrain.search import INCUMBENT
from fraudtrain.split import TEST, TRAIN, plan_split
from fraudtrain.table import load_manifest, load_table
from tests.conftest import Synthetic


TREES = 200


@pytest.fixture(scope="module")
def fitted(synthetic: Synthetic) -> tuple[mdl.Trained, np.ndarray, tuple[str, ...]]:
    manifest = load_manifest(synthetic.manifest)
    names = manifest.feature_names
    table = load_table(synthetic.table, names, manifest.table_sha256)
    plan = plan_split(table.frame, 7)
    x = table.frame[list(names)].to_numpy()
    y = table.frame["label"].to_numpy()
    tr = plan.mask(TRAIN)
    trained = mdl.fit(x[tr], y[tr], names, 42, INCUMBENT, TREES)
    return trained, x[plan.mask(TEST)], names


def test_onnx_matches_native_within_1e_5(fitted: tuple[mdl.Trained, np.ndarray, tuple[str, ...]]) -> None:
    trained, x_test, names = fitted
    scorer = mdl.OnnxScorer(mdl.export_onnx(trained.booster, "synthetic-v1", names))
    native = mdl.native_positive_scores(trained.booster, x_test)
    onnx_pos = scorer.probabilities(x_test)[:, 1].astype(np.float64)
    assert np.max(np.abs(onnx_pos - native)) <= 1e-5
    assert mdl.check_agreement(trained.booster, scorer, x_test, "test") <= 1e-5


def test_check_refuses_a_model_that_disagrees(fitted: tuple[mdl.Trained, np.ndarray, tuple[str, ...]]) -> None:
    trained, x_test, names = fitted
    # Fewer trees: a stand-in for any export that lost or changed part of the model.
    truncated = lgb.Booster(model_str=trained.booster.model_to_string(num_iteration=trained.best_iteration // 2))
    scorer = mdl.OnnxScorer(mdl.export_onnx(truncated, "synthetic-v1", names))
    with pytest.raises(mdl.DisagreementError, match="disagree on the test set"):
        mdl.check_agreement(trained.booster, scorer, x_test, "test")


def test_float32_thresholds_fix_routing_without_changing_native_scores(
    synthetic: Synthetic, fitted: tuple[mdl.Trained, np.ndarray, tuple[str, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    trained, x_test, names = fitted
    manifest = load_manifest(synthetic.manifest)
    table = load_table(synthetic.table, names, manifest.table_sha256)
    plan = plan_split(table.frame, 7)
    x = table.frame[list(names)].to_numpy()
    y = table.frame["label"].to_numpy()
    tr = plan.mask(TRAIN)
    # The same training without the rewrite: on this table some split midpoints (first seen: 0.06570000000000002 on
    # terminal_risk_30d) round up onto an input value such as float32(0.0657), and ONNX routes those rows the other way.
    monkeypatch.setattr(mdl, "float32_thresholds", lambda text: text)
    raw = mdl.fit(x[tr], y[tr], names, 42, INCUMBENT, TREES)
    monkeypatch.undo()
    with pytest.raises(mdl.DisagreementError):
        mdl.check_agreement(raw.booster, mdl.OnnxScorer(mdl.export_onnx(raw.booster, "v", names)), x_test, "test")
    # Rewritten, native scores on float32 inputs are exactly the same numbers as before.
    assert np.array_equal(
        mdl.native_positive_scores(raw.booster, x_test), mdl.native_positive_scores(trained.booster, x_test)
    )


def test_onnx_interface_comes_from_the_manifest(trained: Path, synthetic: Synthetic) -> None:
    model = onnx.load_from_string((trained / "model.onnx").read_bytes())
    (graph_input,) = model.graph.input
    assert graph_input.name == "input"
    assert graph_input.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = graph_input.type.tensor_type.shape.dim
    assert [d.HasField("dim_value") for d in dims] == [False, True] and dims[1].dim_value == 15
    assert [o.name for o in model.graph.output] == ["label", "probabilities"]
    props = {p.key: p.value for p in model.metadata_props}
    assert props["fraudscore.featureSchemaVersion"] == load_manifest(synthetic.manifest).feature_schema_version
