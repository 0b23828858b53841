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
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import card as cards
from . import model as mdl
from . import protocol, replay, search
from .baselines import BASELINES, GATED, fit_and_score, shortfalls
from .decision import threshold_for_alert_rate
from .evaluation import EvaluationSet, margins
from .folds import plan_folds
from .hashing import sha256_bytes
from .instants import iso_utc
from .provenance import code_commit, code_dirty, library_versions, lock_mismatches, lockfile_sha256
from .split import DAY_MS, LABEL_DELAY, METHOD, ROLES, TEST, TEST_IN_TIME, TRAIN, VALID, plan_split
from .table import Table, TableError, load_manifest, load_reference, load_table, refuse_overlapping_reference

DEFAULT_SERVING_SLO = '{"batchP99Ms": 100}'
# When the backfill's manifest records no label delay: the shipped topologies' delay.
DEFAULT_LABEL_DELAY_DAYS = 7


class BelowBaselineError(ValueError):
    """The model does not beat every baseline on the gated metrics and no --allow-below-baseline reason was given."""


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
    p.add_argument("--table", type=Path, required=True, help="training table written by the backfill (Parquet or CSV)")
    p.add_argument("--manifest", type=Path, help="its manifest (default: <table>.manifest.json)")
    p.add_argument("--out", type=Path, required=True, help="directory for model.onnx, card.json, card.md")
    p.add_argument("--name", required=True, help="model name, e.g. card-fraud")
    p.add_argument("--version", required=True, help="model version, e.g. 3")
    p.add_argument("--seed", type=_seed, default=42, help="0 to 2**32 - 1 (LightGBM, numpy and the folds)")
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
    p.add_argument("--search-candidates", type=int, default=search.CANDIDATES,
                   help=f"LightGBM settings tried in model selection (default {search.CANDIDATES})")
    p.add_argument("--allow-below-baseline", metavar="REASON",
                   help="accept a model that does not beat the baselines; the reason is written into the card")
    return p.parse_args(argv)


def _seed(text: str) -> int:
    # argparse names the flag in its message when a type function raises this.
    try:
        seed = int(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from error
    if not 0 <= seed < 2**32:
        raise argparse.ArgumentTypeError(f"{seed} is out of range: a seed is 0 to 2**32 - 1 (4294967295)")
    return seed


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


def _log(line: str) -> None:
    print(f"fraudtrain: {line}", file=sys.stderr, flush=True)


def _delay_days(manifest_raw: dict[str, Any]) -> int:
    """The label delay in whole days (rounded up), from the backfill's manifest."""
    days = _label_delay_days(manifest_raw)
    return DEFAULT_LABEL_DELAY_DAYS if days is None else int(np.ceil(days))


def _allow_reason(text: str | None) -> str | None:
    if text is not None and not text.strip():
        raise SystemExit("--allow-below-baseline: give the reason (it is written into the card)")
    return None if text is None else text.strip()


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    allow_reason = _allow_reason(args.allow_below_baseline)
    cards.check_name_version(args.name, args.version)
    rollback = _rollback_target(args.rollback_target)
    slo = _serving_slo(args.serving_slo)
    created_at = parse_created_at(args.created_at)
    # LightGBM has its own seeds (in params); these cover anything numpy- or random-based around it.
    np.random.seed(args.seed)
    random.seed(args.seed)
    environment_mismatches = lock_mismatches()
    if environment_mismatches:
        listed = "; ".join(f"{name}: {what}" for name, what in sorted(environment_mismatches.items()))
        _log(
            f"warning: installed packages differ from requirements.lock ({listed}): the card records it, and a "
            "retrain may not reproduce this model. Recreate the locked environment: "
            "rm -rf training/.venv && bash training/setup.sh"
        )

    manifest_path = args.manifest or args.table.with_name(args.table.name + ".manifest.json")
    manifest = load_manifest(manifest_path)
    names = manifest.feature_names
    table = load_table(args.table, names, expected_sha256=manifest.table_sha256)
    if len(table.frame) != manifest.rows:
        raise TableError(f"table {args.table}: {len(table.frame)} rows but its manifest says {manifest.rows}")
    # The reference must come with its backfill manifest, of the training table's feature schema and label delay.
    reference, ref_manifest = load_reference(args.reference, manifest) if args.reference else (None, None)
    # ... and none of the training table's transactions: the reference metrics compare model versions on unseen rows.
    if reference is not None:
        refuse_overlapping_reference(table, reference)
    raw_source = replay.raw_source("--raw-source", args.raw_source, manifest.raw, table.frame)
    reference_replay = None
    if reference is not None and ref_manifest is not None:
        reference_replay = {
            "tableSha256": reference.sha256,
            "rawSource": replay.raw_source(
                "--reference-raw-source", args.reference_raw_source, ref_manifest.raw, reference.frame
            ),
            "source": replay.source(ref_manifest.raw),
            "backfill": replay.backfill_params(ref_manifest.raw, args.topology, "reference"),
        }
    elif args.reference_raw_source is not None:
        raise SystemExit("--reference-raw-source needs --reference")
    for problem in replay.unreplayable(raw_source, reference is not None, args.reference_raw_source is not None):
        _log(f"warning: {problem}")

    delay_days = _delay_days(manifest.raw)
    plan = plan_split(table.frame, args.test_days, delay_days)
    masks = {role: plan.mask(role) for role in ROLES}
    labels = table.frame["label"].to_numpy()
    x_all = _features(table, names)
    day = table.frame["event_time_ms"].to_numpy() // DAY_MS
    # Every evaluation (selection folds, test, in-time test) leaves out the customers already known to be
    # compromised on the row's day (fraudtrain/protocol.py); the monitoring expectation keeps every row, as the
    # stream's evaluator sees them.
    open_rows = ~protocol.known_compromised(table.frame, delay_days)

    # Model selection on time-aware folds before the test window (fraudtrain/folds.py, search.py).
    folds = plan_folds(int(day.min()), plan.test_from_ms // DAY_MS, delay_days)
    fold_data = [
        search.fold_data(
            table.frame, x_all, day, masks[TRAIN], (masks[TRAIN] | masks[VALID] | masks[LABEL_DELAY]) & open_rows, fold
        )
        for fold in folds
    ]
    selection = search.select(fold_data, args.seed, args.search_candidates, progress=_log)
    _log(
        f"model selection: {selection.summary['candidates']} candidates on the latest fold, the best "
        f"{selection.summary['keptAfterLatestFold']} and the former settings on all {len(folds)} folds, in "
        f"{selection.seconds:.1f} s wall ({selection.cpu_seconds:.1f} s CPU); chosen {selection.settings}, "
        f"{selection.trees} trees"
    )
    members = mdl.ensemble_members(selection.settings)
    fit_started = time.perf_counter()
    trained = mdl.fit(x_all[masks[TRAIN]], labels[masks[TRAIN]], names, args.seed, selection.settings, selection.trees,
                      members)
    _log(f"final model: {members} x {selection.trees} trees in {time.perf_counter() - fit_started:.1f} s wall")

    model_bytes = mdl.export_onnx(trained.booster, manifest.feature_schema_version, names)
    scorer = mdl.OnnxScorer(model_bytes)
    x_test_all = _features(table, names, masks[TEST])
    max_diff = mdl.check_agreement(trained.booster, scorer, x_test_all, "test")
    if reference is not None:
        max_diff = max(max_diff, mdl.check_agreement(trained.booster, scorer, _features(reference, names), "reference"))

    def scores(x: np.ndarray) -> np.ndarray:
        return scorer.probabilities(x)[:, mdl.POSITIVE_CLASS_INDEX]

    threshold, achieved = threshold_for_alert_rate(
        scores(_features(table, names, masks[VALID])), args.threshold_alert_rate
    )
    test_rows = masks[TEST] & open_rows
    in_time_rows = masks[TEST_IN_TIME] & open_rows
    x_test = _features(table, names, test_rows)
    test_set = EvaluationSet(table.frame[test_rows], args.seed)
    test_metrics, test_reps = test_set.evaluate(scores(x_test))
    reference_open = ~protocol.known_compromised(reference.frame, delay_days) if reference is not None else None
    metrics: dict[str, Any] = {
        "protocol": protocol.DESCRIPTION,
        "test": test_metrics,
        "testInTime": (
            EvaluationSet(table.frame[in_time_rows], args.seed).evaluate(
                scores(_features(table, names, in_time_rows))
            )[0]
            if in_time_rows.any()
            else None
        ),
        "reference": (
            {
                "tableSha256": reference.sha256,
                **EvaluationSet(reference.frame[reference_open], args.seed).evaluate(
                    scores(_features(reference, names, reference_open))
                )[0],
            }
            if reference is not None
            else None
        ),
    }

    # Baselines on the very same training rows and test rows.
    baseline_started = time.perf_counter()
    baseline_models: dict[str, Any] = {}
    for baseline in BASELINES:
        base_scores = fit_and_score(baseline, args.seed, x_all[masks[TRAIN]], labels[masks[TRAIN]], x_test)
        base_metrics, base_reps = test_set.headline(base_scores)
        baseline_models[baseline.key] = {
            "description": baseline.description,
            "params": baseline.params,
            "metrics": base_metrics,
            "margin": margins(test_metrics, test_reps, base_metrics, base_reps),
        }
    _log(f"baselines fitted and scored in {time.perf_counter() - baseline_started:.1f} s wall")
    ceilings = {"cardPrecisionAt100": test_set.cards.ceiling(), "averagePrecision": 1.0}
    below = shortfalls(test_metrics, {k: v["metrics"] for k, v in baseline_models.items()}, ceilings)
    if below and allow_reason is None:
        raise BelowBaselineError(
            "the model does not beat every baseline on the test period (" + "; ".join(below) + "); nothing was "
            "written. Improve the features or data, or pass --allow-below-baseline 'REASON' to ship it anyway"
        )

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
            "backfill": replay.backfill_params(manifest.raw, args.topology, "train"),
        },
        "split": {
            "method": METHOD,
            "testDays": args.test_days,
            "testFrom": iso_utc(plan.test_from_ms),
            "seed": args.seed,
            "labelDelayDays": delay_days,
            "trainTo": iso_utc(plan.test_from_ms - delay_days * DAY_MS),
            "rows": {"train": int(masks[TRAIN].sum()), "valid": int(masks[VALID].sum()),
                     "test": int(masks[TEST].sum()), "testInTime": int(masks[TEST_IN_TIME].sum()),
                     "labelDelay": int(masks[LABEL_DELAY].sum()),
                     # Test rows of customers already known to be compromised: out of every test metric.
                     "testKnownCompromised": int((masks[TEST] & ~open_rows).sum())},
        },
        "training": {
            "library": "lightgbm",
            "libraries": library_versions(),
            "params": trained.params,
            "bestIteration": trained.best_iteration,
            # Boosters of the chosen settings averaged into model.onnx (model.fit), each with its own sampling seeds.
            "ensemble": {
                "members": members,
                "combine": "mean of raw scores (log-odds), exported as one sum of trees with every leaf / members",
                "memberSeeds": [mdl.member_seeds(args.seed, m) for m in range(members)],
            },
            "seed": args.seed,
            # The trainer's arguments that shape the model and its metrics, for `fraudscore retrain`.
            "args": {
                "seed": args.seed,
                "testDays": args.test_days,
                "thresholdAlertRate": args.threshold_alert_rate,
                "reference": reference_replay,
                "searchCandidates": args.search_candidates,
                "allowBelowBaseline": allow_reason,
            },
            "codeCommit": code_commit(),
            "codeDirty": code_dirty(),
            "lockfileSha256": lockfile_sha256(),
            # Installed packages that differ from the lock: {} means the model came from the locked environment.
            "lockMismatches": environment_mismatches,
            "onnx": {"targetOpset": mdl.TARGET_OPSET, "maxAbsDiffVsNative": float(max_diff),
                     "tolerance": mdl.MAX_ABS_DIFF},
        },
        "metrics": metrics,
        "selection": {
            **selection.summary,
            "labelDelayDays": delay_days,
            "folds": [
                {
                    "trainFrom": iso_utc(f.fold.train_from * DAY_MS),
                    "trainTo": iso_utc(f.fold.train_to * DAY_MS),
                    "validFrom": iso_utc(f.fold.valid_from * DAY_MS),
                    "validTo": iso_utc(f.fold.valid_to * DAY_MS),
                    "trainRows": int(len(f.y_train)),
                    "validRows": int(len(f.y_valid)),
                }
                for f in fold_data
            ],
        },
        "baselines": {
            "evaluatedOn": "test",
            "trainedOn": "the model's own training rows and features",
            "gated": list(GATED),
            "ceilings": ceilings,
            "beatsAll": not below,
            "shortfalls": below,
            # The reason is recorded where it was needed; training.args keeps the flag as given, for retrains.
            "allowBelowBaseline": allow_reason if below else None,
            "models": baseline_models,
        },
        "decision": {
            "threshold": threshold,
            "expectedAlertRate": round(achieved, 6),
            "targetAlertRate": args.threshold_alert_rate,
            "rule": f"alert when {mdl.OUTPUT_NAME}[:, {mdl.POSITIVE_CLASS_INDEX}] >= threshold",
        },
        "servingSlo": slo,
        "rollbackTarget": rollback,
    }
    cards.add_monitoring(card, names, _features(table, names, masks[TRAIN]), table.frame[masks[TEST]], scores(x_test_all))

    args.out.mkdir(parents=True, exist_ok=True)
    _write_atomically(args.out / "model.onnx", model_bytes)
    _write_atomically(args.out / "card.json", cards.to_json(card))
    _write_atomically(args.out / "card.md", cards.render_markdown(card).encode("utf-8"))
    return {
        "out": str(args.out),
        "modelSha256": card["modelSha256"],
        "seconds": round(time.perf_counter() - started, 2),
        "selectionSeconds": round(selection.seconds, 2),
        "selectionCpuSeconds": round(selection.cpu_seconds, 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = run(args)
    except (TableError, ValueError, mdl.DisagreementError) as error:  # BelowBaselineError is a ValueError
        print(f"fraudtrain: {error}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
