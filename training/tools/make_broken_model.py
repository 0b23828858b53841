"""Builds a deliberately broken ONNX model and its card: the test fixture for "no bad number leaves" (invariant 4).

The model has the serving signature of a real one (input `input` float32 [N, 15], output `probabilities` float32
[N, 2], column 1 = P(fraud)), but its P(fraud) is chosen by the row's first feature (`amount`, major units) and is
computed, not stored, the way a numerically broken model would produce it:

    amount == 1  ->  NaN         log(0 - 1): log of a negative number
    amount == 2  ->  +Infinity   1 / 0
    amount == 3  ->  -Infinity   log(0)
    amount == 4  ->  1.5         above the [0, 1] range
    amount == 5  ->  -0.25       below it
    otherwise    ->  0.25        a usable score

(0 is computed as amount - amount, so that no optimiser folds these into constants.) The card is valid and its
featureSchemaVersion is the serving engine's, so the pipeline loads the model like any other; only its outputs are
broken. Used by test/integration/contract/model-output.test.ts through test/fixtures/broken-registry.

Regenerate (from the repository root, after `npx tsc -p .` and `bash training/setup.sh`):

    schema=$(node -e "import('./dist/src/core/features/definitions.js').then((m) => \\
      console.log(m.FEATURE_SCHEMA.version + ' ' + m.FEATURE_SCHEMA.names.join(',')))")
    training/.venv/bin/python training/tools/make_broken_model.py --out test/fixtures/broken-model \\
      --feature-schema-version "${schema% *}" --features "${schema#* }"
    rm -rf test/fixtures/broken-registry
    node dist/src/cli/main.js models register --dir test/fixtures/broken-model \\
      --registry test/fixtures/broken-registry --champion

The output bytes depend only on the arguments and the onnx version, so a rerun reproduces the committed fixture.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import sys
from pathlib import Path
from typing import Any

import onnx
from onnx import TensorProto, helper

# Opset 13 has every operator used here (Slice with tensor inputs, Where, Equal on floats); IR version 8 is read by
# every onnxruntime the serving side may pin.
OPSET = 13
IR_VERSION = 8
NAME = "broken-scores"
VERSION = "1"
# Fixed so that the card's bytes, and so its sha256 in the registry, do not change on a rerun.
CREATED_AT = "2026-01-01T00:00:00.000Z"

# amount -> (graph value holding that row's P(fraud), what it is), in the order the Where chain tests them.
BROKEN_ROWS = (
    (1.0, "p_nan", "NaN: log(0 - 1)"),
    (2.0, "p_pos_inf", "+Infinity: 1 / 0"),
    (3.0, "p_neg_inf", "-Infinity: log(0)"),
    (4.0, "p_above", "1.5: above [0, 1]"),
    (5.0, "p_below", "-0.25: below [0, 1]"),
)


def scalar(name: str, value: float) -> onnx.NodeProto:
    return helper.make_node(
        "Constant", [], [name], value=helper.make_tensor(name + "_value", TensorProto.FLOAT, [], [value])
    )


def ints(name: str, values: list[int]) -> onnx.NodeProto:
    return helper.make_node(
        "Constant", [], [name], value=helper.make_tensor(name + "_value", TensorProto.INT64, [len(values)], values)
    )


def build_model(feature_count: int) -> onnx.ModelProto:
    nodes = [
        # amount = input[:, 0:1], shape [N, 1]
        ints("starts", [0]),
        ints("ends", [1]),
        ints("axes", [1]),
        helper.make_node("Slice", ["input", "starts", "ends", "axes"], ["amount"]),
        helper.make_node("Sub", ["amount", "amount"], ["zero"]),
        scalar("one", 1.0),
        scalar("c_above", 1.5),
        scalar("c_below", -0.25),
        scalar("c_usable", 0.25),
        helper.make_node("Sub", ["zero", "one"], ["minus_one"]),
        helper.make_node("Log", ["minus_one"], ["p_nan"]),
        helper.make_node("Div", ["one", "zero"], ["p_pos_inf"]),
        helper.make_node("Log", ["zero"], ["p_neg_inf"]),
        helper.make_node("Add", ["zero", "c_above"], ["p_above"]),
        helper.make_node("Add", ["zero", "c_below"], ["p_below"]),
        helper.make_node("Add", ["zero", "c_usable"], ["p_usable"]),
    ]
    # Innermost first: p = where(amount == 5, below, p_usable), then wrap amount == 4, 3, 2, 1 around it.
    current = "p_usable"
    for index, (amount, value, _) in enumerate(reversed(BROKEN_ROWS)):
        nodes.append(scalar(f"k{index}", amount))
        nodes.append(helper.make_node("Equal", ["amount", f"k{index}"], [f"is{index}"]))
        nodes.append(helper.make_node("Where", [f"is{index}", value, current], [f"w{index}"]))
        current = f"w{index}"
    nodes.append(helper.make_node("Sub", ["one", current], ["p_legit"]))
    nodes.append(helper.make_node("Concat", ["p_legit", current], ["probabilities"], axis=1))

    graph = helper.make_graph(
        nodes,
        "broken_scores",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", feature_count])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])],
    )
    model = helper.make_model(
        graph,
        producer_name="fraudscore training/tools/make_broken_model.py",
        opset_imports=[helper.make_opsetid("", OPSET)],
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def empty_metrics() -> dict[str, Any]:
    # Never evaluated: the fixture exists to misbehave, not to predict.
    return {
        "rows": 0,
        "frauds": 0,
        "fraudRate": None,
        "aucRoc": None,
        "averagePrecision": None,
        "cardPrecisionAt100": {"k": 100, "days": 0, "mean": None},
        "brier": None,
        "reliability": [],
    }


def build_card(model_bytes: bytes, feature_schema_version: str, features: list[str]) -> dict[str, Any]:
    lock = Path(__file__).resolve().parent.parent / "requirements.lock"
    nothing = sha256(b"")
    return {
        "cardFormat": 1,
        "name": NAME,
        "version": VERSION,
        "createdAt": CREATED_AT,
        "owner": "fraudscore-tests",
        "modelFile": "model.onnx",
        "modelSha256": sha256(model_bytes),
        "input": {"name": "input", "features": features, "dtype": "float32"},
        "output": {"name": "probabilities", "positiveClassIndex": 1},
        "featureSchemaVersion": feature_schema_version,
        "dataset": {
            "tableSha256": nothing,
            "manifestSha256": nothing,
            "rows": 1,
            "eventTimeFrom": CREATED_AT,
            "eventTimeTo": CREATED_AT,
            "labelDelayDays": None,
            "source": None,
        },
        "split": {
            "method": "none: a hand-built test fixture, never trained",
            "testDays": 1,
            "testFrom": CREATED_AT,
            "seed": 0,
            "rows": {},
        },
        "training": {
            "library": "onnx.helper",
            "libraries": {"onnx": onnx.__version__, "python": platform.python_version()},
            "params": {"pFraudByAmount": {f"{amount:g}": what for amount, _, what in BROKEN_ROWS}},
            "bestIteration": 1,
            "seed": 0,
            "codeCommit": "unknown",
            "codeDirty": None,
            "lockfileSha256": sha256(lock.read_bytes()),
            "onnx": {"targetOpset": OPSET, "maxAbsDiffVsNative": 0, "tolerance": 0},
        },
        "metrics": {"test": empty_metrics(), "testInTime": None, "reference": None},
        "decision": {"threshold": 0.5, "expectedAlertRate": 0, "targetAlertRate": 0},
        "servingSlo": {"batchP99Ms": 100},
        "rollbackTarget": None,
    }


def card_markdown(card: dict[str, Any]) -> str:
    rows = "\n".join(f"| {amount:g} | {what} |" for amount, _, what in BROKEN_ROWS)
    return f"""# Model card: {card['name']}@{card['version']} (TEST FIXTURE, DELIBERATELY BROKEN)

- **Owner:** {card['owner']}
- **Model file:** `model.onnx` (sha256 `{card['modelSha256']}`)
- **Feature schema:** `{card['featureSchemaVersion']}`
- **Built by:** `training/tools/make_broken_model.py`; never trained, never to be served.

Its P(fraud) (output `probabilities`, column 1) depends only on the first feature, `amount`:

| amount | P(fraud) |
| --- | --- |
{rows}
| anything else | 0.25: usable |

The pipeline must publish none of the broken values: those records get the topology's fallback score with reason code
MODEL_OUTPUT_NON_FINITE or MODEL_OUTPUT_OUT_OF_RANGE (test/integration/contract/model-output.test.ts).
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="directory for model.onnx, card.json, card.md")
    parser.add_argument("--feature-schema-version", required=True, help="the engine's FEATURE_SCHEMA.version")
    parser.add_argument("--features", required=True, help="the engine's feature names, comma-separated, in order")
    args = parser.parse_args(argv)
    features = [name for name in args.features.split(",") if name]
    if not features or features[0] != "amount":
        parser.error("--features must start with amount: the broken rows are chosen by it")

    model_bytes = build_model(len(features)).SerializeToString()
    card = build_card(model_bytes, args.feature_schema_version, features)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.onnx").write_bytes(model_bytes)
    # Same layout as the trainer's (fraudtrain/card.py to_json): sorted keys, two-space indent, final newline.
    (args.out / "card.json").write_bytes(
        (json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")
    )
    (args.out / "card.md").write_text(card_markdown(card), encoding="utf-8")
    print(f"{args.out}: {NAME}@{VERSION}, model sha256 {card['modelSha256']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
