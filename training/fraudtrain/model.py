"""LightGBM training with pinned randomness, ONNX export, and the ONNX-vs-native agreement check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import onnx
import onnxmltools
import onnxruntime as ort
from onnxmltools.convert.common.data_types import FloatTensorType

INPUT_NAME = "input"
OUTPUT_NAME = "probabilities"
POSITIVE_CLASS_INDEX = 1
# Highest default-domain opset onnxmltools 1.16 emits for trees; pinned so that a converter upgrade cannot silently
# change the graph (and so the model's sha256) for the same trees.
TARGET_OPSET = 15
# Graph name inside the ONNX file. onnxmltools puts a random uuid there when none is given, which alone would make
# two identical trainings produce different bytes.
GRAPH_NAME = "fraudscore_lightgbm"
MAX_ABS_DIFF = 1e-5

MAX_BOOST_ROUNDS = 600
# Stop when validation log loss has not improved for this many rounds: long enough to ride out noise on a
# 1%-positive problem, short enough to keep a retrain in minutes.
EARLY_STOPPING_ROUNDS = 50


def lightgbm_params(seed: int) -> dict[str, Any]:
    """Every source of randomness is pinned and threads are fixed at 1: LightGBM only promises identical models
    for identical data with deterministic=True and the same thread count (histogram sums are not associative)."""
    return {
        "objective": "binary",
        "metric": "binary_logloss",
        "learning_rate": 0.05,
        "num_leaves": 31,
        "max_depth": -1,
        # Fraud is rare; small leaves would memorise single fraud rings.
        "min_data_in_leaf": 50,
        "feature_fraction": 0.8,
        "bagging_fraction": 0.8,
        "bagging_freq": 1,
        "lambda_l2": 1.0,
        "max_bin": 255,
        "deterministic": True,
        "force_row_wise": True,
        "num_threads": 1,
        "seed": seed,
        "bagging_seed": seed,
        "feature_fraction_seed": seed,
        "data_random_seed": seed,
        "drop_seed": seed,
        "extra_seed": seed,
        "objective_seed": seed,
        "verbosity": -1,
    }


@dataclass(frozen=True)
class Trained:
    booster: lgb.Booster
    params: dict[str, Any]
    best_iteration: int


def to_model_input(values: np.ndarray) -> np.ndarray:
    """The serving path feeds float32; training sees exactly the same rounded values, so split thresholds land
    between representable float32 inputs and the exported float32 trees route every row as the native model does."""
    return np.ascontiguousarray(values, dtype=np.float32)


def train(
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_valid: np.ndarray,
    y_valid: np.ndarray,
    feature_names: tuple[str, ...],
    seed: int,
) -> Trained:
    params = lightgbm_params(seed)
    train_set = lgb.Dataset(x_train, label=y_train, feature_name=list(feature_names), free_raw_data=False)
    valid_set = lgb.Dataset(x_valid, label=y_valid, reference=train_set, free_raw_data=False)
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=MAX_BOOST_ROUNDS,
        valid_sets=[valid_set],
        valid_names=["valid"],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, first_metric_only=True, verbose=False)],
    )
    best = int(booster.best_iteration) or booster.current_iteration()
    # Keep exactly the best trees: the exported model and every native prediction then agree on the tree count
    # without relying on each API's default for best_iteration.
    model_str = float32_thresholds(booster.model_to_string(num_iteration=best))
    return Trained(booster=lgb.Booster(model_str=model_str), params=params, best_iteration=best)


def _round_down_to_float32(threshold: float) -> float:
    rounded = np.float32(threshold)
    if float(rounded) > threshold:
        rounded = np.nextafter(rounded, np.float32(-np.inf))
    return float(rounded)


def float32_thresholds(model_str: str) -> str:
    """Replace every numerical split threshold t by the largest float32 <= t.

    LightGBM splits at double midpoints between feature values; ONNX TreeEnsemble stores float32 thresholds, and
    the converter rounds to nearest. When the midpoint rounds up onto the next input value v, ONNX sends v left
    (v <= t32) while LightGBM sends it right (v > t): measured at 6e-4 max abs diff on the synthetic table. For a
    float32 input x, `x <= t` holds exactly when `x <= floor32(t)`, so after this rewrite the native model
    predicts exactly as before on float32 inputs and the float32 ONNX trees route every row the same way.
    """
    lines = model_str.split("\n")
    # In the model text a tree's threshold= line comes before its decision_type= line.
    pending: int | None = None
    for i, line in enumerate(lines):
        if line.startswith("threshold="):
            pending = i
        elif line.startswith("decision_type=") and pending is not None:
            kinds = [int(v) for v in line[len("decision_type=") :].split()]
            values = lines[pending][len("threshold=") :].split()
            if len(values) != len(kinds):
                raise RuntimeError("LightGBM model text: threshold and decision_type lengths differ")
            # Bit 0 of decision_type marks a categorical split, whose "threshold" is an index, not a value.
            rounded = [v if kind & 1 else repr(_round_down_to_float32(float(v))) for v, kind in zip(values, kinds)]
            lines[pending] = "threshold=" + " ".join(rounded)
            pending = None
    # tree_sizes holds each tree's byte length for parallel loading; the rewrite changes lengths, and without the
    # line LightGBM parses the trees sequentially.
    out = [line for line in lines if not line.startswith("tree_sizes=")]
    return "\n".join(out)


def native_positive_scores(booster: lgb.Booster, x: np.ndarray) -> np.ndarray:
    return np.asarray(booster.predict(to_model_input(x)), dtype=np.float64)


def export_onnx(booster: lgb.Booster, feature_schema_version: str, feature_names: tuple[str, ...]) -> bytes:
    model = onnxmltools.convert_lightgbm(
        booster,
        name=GRAPH_NAME,
        initial_types=[(INPUT_NAME, FloatTensorType([None, len(feature_names)]))],
        target_opset=TARGET_OPSET,
        zipmap=False,
    )
    # The file describes its own input so that a model lifted out of its directory can still be checked.
    # Name and version are deliberately left out: the same trees under another version keep the same bytes.
    onnx.helper.set_model_props(
        model,
        {
            "fraudscore.featureSchemaVersion": feature_schema_version,
            "fraudscore.featureNames": json.dumps(list(feature_names)),
        },
    )
    # onnxmltools gathers the opset imports in a set, so their order follows PYTHONHASHSEED; sorted, the bytes do not.
    opsets = sorted(model.opset_import, key=lambda o: (o.domain, o.version))
    del model.opset_import[:]
    model.opset_import.extend(opsets)
    onnx.checker.check_model(model)
    outputs = [o.name for o in model.graph.output]
    if OUTPUT_NAME not in outputs:
        raise RuntimeError(f"ONNX export: expected an output named {OUTPUT_NAME!r}, got {outputs}")
    return model.SerializeToString()


class OnnxScorer:
    def __init__(self, model_bytes: bytes) -> None:
        options = ort.SessionOptions()
        # One thread: the check and the metrics must not vary with the machine's core count.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(model_bytes, options, providers=["CPUExecutionProvider"])

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        # Fetch only probabilities: fetching label makes onnxruntime warn about its shape on every run.
        (out,) = self._session.run([OUTPUT_NAME], {INPUT_NAME: to_model_input(x)})
        return np.asarray(out)


class DisagreementError(RuntimeError):
    pass


def check_agreement(booster: lgb.Booster, scorer: OnnxScorer, x: np.ndarray, what: str) -> float:
    """Max |ONNX - native| over both class columns; raises above MAX_ABS_DIFF so a bad export is never written."""
    native_pos = native_positive_scores(booster, x)
    native = np.column_stack([1.0 - native_pos, native_pos])
    onnx_probs = scorer.probabilities(x).astype(np.float64)
    if onnx_probs.shape != native.shape:
        raise DisagreementError(f"ONNX output shape {onnx_probs.shape} != native {native.shape} on {what}")
    diff = float(np.max(np.abs(onnx_probs - native))) if len(x) else 0.0
    if not diff <= MAX_ABS_DIFF:
        raise DisagreementError(
            f"ONNX and native LightGBM disagree on the {what} set: max abs diff {diff:.3g} > {MAX_ABS_DIFF:g}; "
            "nothing was written"
        )
    return diff
