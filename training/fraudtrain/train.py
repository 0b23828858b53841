"""python -m fraudtrain.train: table + manifest in; model.onnx, card.json and card.md out.

Same inputs and seed give a byte-identical model.onnx and a card that differs only in createdAt (which can be
passed in with --created-at, making the card identical too).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import card as cards
from . import model as mdl
from . import replay
from .decision import threshold_for_alert_rate
from .hashing import sha256_bytes
from .metrics import evaluate
from .provenance import code_commit, code_dirty, library_versions, lockfile_sha256
from .split import METHOD, TEST, TEST_IN_TIME, TRAIN, VALID, plan_split
from .table import Table, TableError, load_manifest, load_reference, load_table

DEFAULT_SERVING_SLO = '{"batchP99Ms": 100}'


def iso_utc(ms: int | float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_created_at(text: str | None) -> str:
    if text is None:
        return iso_utc(time.time() * 1000)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise SystemExit(f"--created-at {text!r}: not an ISO-8601 timestamp ({error})") from error
    if parsed.tzinfo is None:
        raise SystemExit(f"--created-at {text!r}: give a time zone, e.g. 2024-05-01T12:00:00Z")
    return iso_utc(parsed.timestamp() * 1000)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m fraudtrain.train", description=__doc__)
    p.add_argument("--table", type=Path, required=True, help="training table CSV written by the backfill")
    p.add_argument("--manifest", type=Path, help="its manifest (default: <table>.manifest.json)")
    p.add_argument("--out", type=Path, required=True, help="directory for model.onnx, card.json, card.md")
    p.add_argument("--name", required=True, help="model name, e.g. card-fraud")
    p.add_argument("--version", required=True, help="model version, e.g. 3")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--reference", type=Path, help="frozen reference table (same columns) to report metrics on")
    p.add_argument("--test-days", type=int, default=7, help="last N UTC days of event time form the test set")
    p.add_argument("--owner", default="unassigned", help="team or person answerable for this model")
    p.add_argument("--rollback-target", help="name@version to fall back to if this model misbehaves")
    p.add_argument("--threshold-alert-rate", type=float, default=0.01, help="target share of alerts on validation")
    p.add_argument("--serving-slo", default=DEFAULT_SERVING_SLO, help="JSON object, e.g. '{\"batchP99Ms\": 100}'")
    p.add_argument("--created-at", help="ISO-8601 creation time (default: now); fix it for byte-identical cards")
    p.add_argument("--topology", help="topology file the backfills used (recorded for `fraudscore retrain`)")
    p.add_argument("--raw-source", help="JSON: where the table's raw events and labels come from (see README)")
    p.add_argument("--reference-raw-source", help="JSON: the same for the --reference table")
    return p.parse_args(argv)


def _serving_slo(text: str) -> dict[str, float]:
    try:
        slo = json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"--serving-slo: not JSON ({error})") from error
    if not isinstance(slo, dict) or not slo or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in slo.values()
    ):
        raise SystemExit('--serving-slo: expected a JSON object of positive numbers, e.g. {"batchP99Ms": 100}')
    return slo


def _rollback_target(text: str | None) -> str | None:
    if text is None:
        return None
    name, sep, version = text.partition("@")
    if not sep:
        raise SystemExit(f"--rollback-target {text!r}: expected name@version")
    cards.check_name_version(name, version)
    return text


def _write_atomically(path: Path, data: bytes) -> None:
    # A crash mid-write must never leave a model.onnx that does not match the card beside it.
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _features(table: Table, names: tuple[str, ...], mask: np.ndarray | None = None) -> np.ndarray:
    frame = table.frame if mask is None else table.frame[mask]
    return mdl.to_model_input(frame[list(names)].to_numpy(dtype=np.float64))


def _label_delay_days(raw: dict[str, Any]) -> Any:
    delay_ms = raw.get("labelDelayMs")
    return delay_ms / 86_400_000 if isinstance(delay_ms, (int, float)) and not isinstance(delay_ms, bool) else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    cards.check_name_version(args.name, args.version)
    rollback = _rollback_target(args.rollback_target)
    slo = _serving_slo(args.serving_slo)
    created_at = parse_created_at(args.created_at)
    # LightGBM has its own seeds (in params); these cover anything numpy- or random-based around it.
    np.random.seed(args.seed)
    random.seed(args.seed)

    manifest_path = args.manifest or args.table.with_name(args.table.name + ".manifest.json")
    manifest = load_manifest(manifest_path)
    names = manifest.feature_names
    table = load_table(args.table, names, expected_sha256=manifest.table_sha256)
    if len(table.frame) != manifest.rows:
        raise TableError(f"table {args.table}: {len(table.frame)} rows but its manifest says {manifest.rows}")
    reference = load_reference(args.reference, names) if args.reference else None
    raw_source = replay.raw_source("--raw-source", args.raw_source, manifest.raw)
    reference_replay = None
    if reference is not None:
        ref_manifest = replay.reference_manifest(args.reference)
        reference_replay = {
            "tableSha256": reference.sha256,
            "rawSource": replay.raw_source("--reference-raw-source", args.reference_raw_source, ref_manifest),
            "source": replay.source(ref_manifest) if ref_manifest else None,
            "backfill": replay.backfill_params(ref_manifest, args.topology) if ref_manifest else None,
        }
    elif args.reference_raw_source is not None:
        raise SystemExit("--reference-raw-source needs --reference")

    plan = plan_split(table.frame, args.test_days)
    masks = {role: plan.mask(role) for role in (TRAIN, VALID, TEST, TEST_IN_TIME)}
    labels = table.frame["label"].to_numpy()
    trained = mdl.train(
        _features(table, names, masks[TRAIN]),
        labels[masks[TRAIN]],
        _features(table, names, masks[VALID]),
        labels[masks[VALID]],
        names,
        args.seed,
    )

    model_bytes = mdl.export_onnx(trained.booster, manifest.feature_schema_version, names)
    scorer = mdl.OnnxScorer(model_bytes)
    x_test = _features(table, names, masks[TEST])
    max_diff = mdl.check_agreement(trained.booster, scorer, x_test, "test")
    if reference is not None:
        max_diff = max(max_diff, mdl.check_agreement(trained.booster, scorer, _features(reference, names), "reference"))

    def scores(x: np.ndarray) -> np.ndarray:
        return scorer.probabilities(x)[:, mdl.POSITIVE_CLASS_INDEX]

    threshold, achieved = threshold_for_alert_rate(
        scores(_features(table, names, masks[VALID])), args.threshold_alert_rate
    )
    metrics: dict[str, Any] = {
        "test": evaluate(table.frame[masks[TEST]], scores(x_test)),
        "testInTime": (
            evaluate(table.frame[masks[TEST_IN_TIME]], scores(_features(table, names, masks[TEST_IN_TIME])))
            if masks[TEST_IN_TIME].any()
            else None
        ),
        "reference": (
            {"tableSha256": reference.sha256, **evaluate(reference.frame, scores(_features(reference, names)))}
            if reference is not None
            else None
        ),
    }

    event_time = table.frame["event_time_ms"]
    card = {
        "cardFormat": cards.CARD_FORMAT,
        "name": args.name,
        "version": args.version,
        "createdAt": created_at,
        "owner": args.owner,
        "modelFile": "model.onnx",
        "modelSha256": sha256_bytes(model_bytes),
        "input": {"name": mdl.INPUT_NAME, "features": list(names), "dtype": "float32"},
        "output": {"name": mdl.OUTPUT_NAME, "positiveClassIndex": mdl.POSITIVE_CLASS_INDEX},
        "featureSchemaVersion": manifest.feature_schema_version,
        "dataset": {
            "tableSha256": table.sha256,
            "manifestSha256": manifest.sha256,
            "rows": int(len(table.frame)),
            "eventTimeFrom": iso_utc(int(event_time.min())),
            "eventTimeTo": iso_utc(int(event_time.max())),
            "labelDelayDays": _label_delay_days(manifest.raw),
            "source": replay.source(manifest.raw),
            "rawSource": raw_source,
            "backfill": replay.backfill_params(manifest.raw, args.topology),
        },
        "split": {
            "method": METHOD,
            "testDays": args.test_days,
            "testFrom": iso_utc(plan.test_from_ms),
            "seed": args.seed,
            "rows": {"train": int(masks[TRAIN].sum()), "valid": int(masks[VALID].sum()),
                     "test": int(masks[TEST].sum()), "testInTime": int(masks[TEST_IN_TIME].sum())},
        },
        "training": {
            "library": "lightgbm",
            "libraries": library_versions(),
            "params": trained.params,
            "maxBoostRounds": mdl.MAX_BOOST_ROUNDS,
            "earlyStoppingRounds": mdl.EARLY_STOPPING_ROUNDS,
            "bestIteration": trained.best_iteration,
            "seed": args.seed,
            # The trainer's arguments that shape the model and its metrics, for `fraudscore retrain`.
            "args": {
                "seed": args.seed,
                "testDays": args.test_days,
                "thresholdAlertRate": args.threshold_alert_rate,
                "reference": reference_replay,
            },
            "codeCommit": code_commit(),
            "codeDirty": code_dirty(),
            "lockfileSha256": lockfile_sha256(),
            "onnx": {"targetOpset": mdl.TARGET_OPSET, "maxAbsDiffVsNative": float(max_diff),
                     "tolerance": mdl.MAX_ABS_DIFF},
        },
        "metrics": metrics,
        "decision": {
            "threshold": threshold,
            "expectedAlertRate": round(achieved, 6),
            "targetAlertRate": args.threshold_alert_rate,
            "rule": f"alert when {mdl.OUTPUT_NAME}[:, {mdl.POSITIVE_CLASS_INDEX}] >= threshold",
        },
        "servingSlo": slo,
        "rollbackTarget": rollback,
    }
    cards.add_monitoring(card, names, _features(table, names, masks[TRAIN]), table.frame[masks[TEST]], scores(x_test))

    args.out.mkdir(parents=True, exist_ok=True)
    _write_atomically(args.out / "model.onnx", model_bytes)
    _write_atomically(args.out / "card.json", cards.to_json(card))
    _write_atomically(args.out / "card.md", cards.render_markdown(card).encode("utf-8"))
    return {"out": str(args.out), "modelSha256": card["modelSha256"], "seconds": round(time.perf_counter() - started, 2)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = run(args)
    except (TableError, ValueError, mdl.DisagreementError) as error:
        print(f"fraudtrain: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
