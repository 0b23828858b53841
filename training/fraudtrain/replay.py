"""What a retrain needs to rebuild a model from raw data, recorded in the card (`fraudscore retrain` reads it).

- rawSource: where the raw events and labels come from. Either the seeded simulator's spec (same spec, same bytes)
  or files: a path (relative to the repository root, or absolute) plus the sha256 the backfill read.
- backfill: the backfill's parameters, taken from its manifest (what it actually used, not what a script claims),
  plus the topology file, which the manifest does not name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .hashing import sha256_file
from .table import TableError

REPO_ROOT = Path(__file__).resolve().parents[2]
SIMULATE_INTS = ("seed", "customers", "terminals", "days")
SIMULATE_NUMBERS = ("labelDelayMinHours", "labelDelayMaxDays", "genuineLabelRate")
FORMATS = ("jsonl", "csv")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _inputs(manifest_raw: dict[str, Any]) -> tuple[Any, list[Any]]:
    inputs = manifest_raw.get("inputs")
    if not isinstance(inputs, dict):
        return None, []
    labels = inputs.get("labels")
    return inputs.get("events"), labels if isinstance(labels, list) else []


def _simulate(flag: str, spec: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": "simulate"}
    for key in SIMULATE_INTS:
        # A seed may be 0; a simulation of no customers, terminals or days is nothing `fraudscore simulate` runs.
        least = 0 if key == "seed" else 1
        if not isinstance(spec.get(key), int) or isinstance(spec.get(key), bool) or spec[key] < least:
            raise SystemExit(f"{flag}: field {key!r} must be an integer >= {least}, got {spec.get(key)!r}")
        out[key] = spec[key]
    for key in SIMULATE_NUMBERS:
        if not _number(spec.get(key)) or spec[key] < 0:
            raise SystemExit(f"{flag}: field {key!r} must be a number >= 0, got {spec.get(key)!r}")
        out[key] = spec[key]
    if not isinstance(spec.get("start"), str) or not spec["start"]:
        raise SystemExit(f"{flag}: field 'start' must be an ISO-8601 instant, e.g. 2026-01-05T00:00:00Z")
    out["start"] = spec["start"]
    out["format"] = spec.get("format", "jsonl")
    if out["format"] not in FORMATS:
        raise SystemExit(f"{flag}: field 'format' must be one of {FORMATS}")
    return out


def _file(flag: str, role: str, given: Any, recorded: Any) -> dict[str, Any]:
    path_text = given.get("path") if isinstance(given, dict) else given
    if not isinstance(path_text, str) or not path_text:
        raise SystemExit(f"{flag}: {role} must be a file path (relative to the repository root, or absolute)")
    path = Path(path_text) if Path(path_text).is_absolute() else REPO_ROOT / path_text
    if not path.is_file():
        raise TableError(f"{flag}: {role} file {path} does not exist")
    digest = sha256_file(path)
    want = recorded.get("sha256") if isinstance(recorded, dict) else None
    if digest != want:
        raise TableError(
            f"{flag}: {role} file {path} has sha256 {digest} but the backfill read {want}; "
            "name the files the table was built from"
        )
    return {"path": path_text, "sha256": digest, "bytes": path.stat().st_size}


def raw_source(flag: str, text: str | None, manifest_raw: dict[str, Any] | None) -> dict[str, Any] | None:
    """Parses and checks a --raw-source JSON; file sources are hashed and must be the files the backfill read."""
    if text is None:
        return None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"{flag}: not JSON ({error})") from error
    if not isinstance(spec, dict) or spec.get("kind") not in ("simulate", "files"):
        raise SystemExit(f'{flag}: expected a JSON object with "kind": "simulate" or "files"')
    if spec["kind"] == "simulate":
        return _simulate(flag, spec)
    if manifest_raw is None:
        raise SystemExit(f"{flag}: a files source needs the backfill's manifest next to the table")
    events, labels = _inputs(manifest_raw)
    given_labels = spec.get("labels", [])
    if not isinstance(given_labels, list) or len(given_labels) != len(labels):
        raise SystemExit(f"{flag}: 'labels' must list the {len(labels)} label file(s) the backfill read, in order")
    return {
        "kind": "files",
        "events": _file(flag, "events", spec.get("events"), events),
        "labels": [_file(flag, f"labels[{i}]", g, r) for i, (g, r) in enumerate(zip(given_labels, labels))],
    }


def backfill_params(manifest_raw: dict[str, Any], topology: str | None, usual_stem: str) -> dict[str, Any]:
    """The backfill's parameters as its manifest records them (null where it recorded nothing). `usual_stem` is the
    name `fraudscore retrain` gives this table ("train" or "reference", then the format's extension)."""
    filt = manifest_raw.get("eventTime", {}).get("filter", {}) if isinstance(manifest_raw.get("eventTime"), dict) else {}
    table = manifest_raw.get("table") if isinstance(manifest_raw.get("table"), dict) else {}
    # A manifest names its table's format unless it is CSV (the format of every table before Parquet): recorded only
    # when named, so the cards of CSV-trained models keep their bytes and a retrain writes the format they hashed.
    table_format = {"tableFormat": table["format"]} if isinstance(table.get("format"), str) else {}
    # The manifest names its table file, and the card records the manifest's sha256: a retrain must write the table
    # under the same name. Recorded only when it is not the name a retrain gives anyway, so cards keep their bytes.
    usual_name = f"{usual_stem}.{table.get('format') if isinstance(table.get('format'), str) else 'csv'}"
    file_name = table.get("file")
    table_file = {"tableFile": file_name} if isinstance(file_name, str) and file_name != usual_name else {}
    return {
        "topology": topology,
        "labelDelayMs": manifest_raw.get("labelDelayMs"),
        "latenessMarginMs": manifest_raw.get("latenessMarginMs"),
        "fromMs": filt.get("fromMs") if isinstance(filt, dict) else None,
        "toMs": filt.get("toMs") if isinstance(filt, dict) else None,
        "labelAsOfMs": manifest_raw.get("labelAsOfMs"),
        **table_format,
        **table_file,
    }


def source(manifest_raw: dict[str, Any]) -> Any:
    # The backfill's manifest names its raw inputs (file, bytes, sha256): what a retrain must read again.
    return manifest_raw.get("inputs") if isinstance(manifest_raw.get("inputs"), dict) else None



def unreplayable(raw_source: dict[str, Any] | None, has_reference: bool, has_reference_raw_source: bool) -> list[str]:
    """What the card will lack for `fraudscore retrain` to rebuild the model (empty: nothing): a trainer run without
    the raw data's description still trains, but its model can never be shown to be reproducible."""
    problems = []
    if raw_source is None:
        problems.append(
            "no --raw-source: the card will not say where the table's raw events and labels come from, so "
            "`fraudscore retrain` cannot rebuild this model (training/README.md, Retraining a registered model)"
        )
    if has_reference and not has_reference_raw_source:
        problems.append(
            "--reference without --reference-raw-source: `fraudscore retrain` cannot rebuild the reference set, so it "
            "cannot rebuild this model's card"
        )
    return problems
