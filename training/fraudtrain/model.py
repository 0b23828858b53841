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
# Boosters averaged into the exported model (fit, mean_as_sum): the chosen settings with this many bagging and
# feature-sampling seeds. Averaging removes the seed's share of the variance; measured on the demo table's selection
# folds (never the test week): average precision 0.704 for one booster of the former settings, 0.711 for three,
# 0.712 for five.
ENSEMBLE_MEMBERS = 5


def ensemble_members(settings: dict[str, Any]) -> int:
    """Members for the chosen settings: one when nothing is sampled (every seed would grow the same trees)."""
    sampled = settings.get("bagging_fraction", 1.0) < 1.0 or settings.get("feature_fraction", 1.0) < 1.0
    return ENSEMBLE_MEMBERS if sampled else 1

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
        # Quantile bins: at 255, the few rows above the amounts where fraud is certain share a bin with genuine
        # ones, and the trees cannot place that split (measured: average precision 0.864 vs 0.890 at 1023 on the
        # demo table, below a random forest's exact thresholds).
        "max_bin": 1023,
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
        # The search reuses one binned dataset across settings; pre-filtering would tie it to one min_data_in_leaf.
        "feature_pre_filter": False,
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


def dataset(x: np.ndarray, y: np.ndarray, seed: int, feature_names: tuple[str, ...] | None = None) -> lgb.Dataset:
    """The binned training data, binned with the pinned parameters (the bins shape the trees as much as the
    settings do, so the search and the final fit must bin alike)."""
    names = list(feature_names) if feature_names else "auto"
    return lgb.Dataset(x, label=y, feature_name=names, params=lightgbm_params(seed), free_raw_data=False)


def member_seeds(seed: int, member: int) -> dict[str, int]:
    """The row-bagging and feature-sampling seeds of ensemble member `member` (0: the pinned seeds themselves, so a
    one-member ensemble is the single booster). The binned dataset, and so its seed, is shared by every member."""
    if member == 0:
        return {}
    derived = int(np.random.default_rng([seed, 1_000_003, member]).integers(1, 2**31 - 1))
    return {"bagging_seed": derived, "feature_fraction_seed": derived}


def fit(x_train: np.ndarray, y_train: np.ndarray, feature_names: tuple[str, ...], seed: int,
        settings: dict[str, Any], trees: int, members: int = 1) -> Trained:
    """Exactly `trees` trees with the pinned parameters and the chosen settings (see search.py): the tree count
    was chosen on the time-aware folds, so there is no early stopping on a validation set here.

    With members > 1, that many boosters with other bagging and feature-sampling seeds (member_seeds) are fitted on
    the same binned rows and averaged in log-odds: one model of members x trees trees whose every leaf is divided by
    the member count (mean_as_sum), exported as one ONNX tree ensemble."""
    if members < 1:
        raise ValueError(f"ensemble: at least one member, got {members}")
    params = {**lightgbm_params(seed), **settings}
    forest = params.get("boosting") == "rf"
    data = dataset(x_train, y_train, seed, feature_names)
    originals, texts, iterations = [], [], []
    for member in range(members):
        booster = lgb.train({**params, **member_seeds(seed, member)}, data, num_boost_round=trees)
        original = float32_thresholds(booster.model_to_string(num_iteration=trees))
        iterations.append(booster.current_iteration())
        originals.append(original)
        texts.append(averaged_as_sum(original, iterations[-1]) if forest else original)
    model_str = texts[0] if members == 1 else mean_as_sum(texts)
    if forest or members > 1:
        # The rewritten trees must score as the boosters they came from: each forest as its averaged trees, the
        # ensemble as the mean of its members' raw scores.
        sample = to_model_input(x_train[:: max(1, len(x_train) // 5000)])
        diff = 0.0
        if len(sample):
            if forest:
                diff = max(_max_diff(lgb.Booster(model_str=t).predict(sample), lgb.Booster(model_str=o).predict(sample))
                           for t, o in zip(texts, originals))
            if members > 1:
                expected = np.mean([lgb.Booster(model_str=t).predict(sample, raw_score=True) for t in texts], axis=0)
                diff = max(diff, _max_diff(lgb.Booster(model_str=model_str).predict(sample, raw_score=True), expected))
        if not diff <= MAX_ABS_DIFF / 100:
            raise DisagreementError(f"the rewritten trees differ from the fitted boosters by {diff:.3g}")
    return Trained(booster=lgb.Booster(model_str=model_str), params=params, best_iteration=iterations[0])


def _max_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


def _scale_leaves(line: str, factor: float) -> str:
    return "leaf_value=" + " ".join(repr(float(v) / factor) for v in line[len("leaf_value=") :].split())


def averaged_as_sum(model_str: str, trees: int) -> str:
    """LightGBM's random-forest mode (boosting rf) averages its trees' outputs; the ONNX converter only sums them
    correctly (its rf branch divides by a fixed 100). Scaling every leaf by 1/trees and dropping average_output gives
    the same scores from a plain sum of trees, which converts exactly; fit() checks that the two agree."""
    return "\n".join(
        _scale_leaves(line, trees) if line.startswith("leaf_value=") else line
        for line in model_str.split("\n")
        if line != "average_output"
    )


def mean_as_sum(model_strs: list[str]) -> str:
    """One LightGBM model text whose plain sum of trees is the mean of the given models' raw scores: the trees of
    every model one after the other (renumbered), every leaf divided by the number of models. The header (features,
    bins, objective) and the parameters are the first model's: the members share one binned dataset and objective.
    A plain sum converts to ONNX exactly, as for averaged_as_sum; fit() checks the scores."""
    head, _, _ = model_strs[0].partition("\nTree=0\n")
    _, _, tail = model_strs[0].partition("\nend of trees\n")
    trees: list[str] = []
    for text in model_strs:
        body = text.partition("\nTree=0\n")[2].partition("\nend of trees\n")[0]
        for block in ("Tree=0\n" + body).split("\nTree="):
            lines = block.strip("\n").split("\n")
            lines[0] = f"Tree={len(trees)}"
            trees.append("\n".join(_scale_leaves(l, len(model_strs)) if l.startswith("leaf_value=") else l
                                   for l in lines))
    return head + "\n" + "\n\n\n".join(trees) + "\n\n\nend of trees\n" + tail


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
