"""What a retrain needs to rebuild a model from raw data, recorded in the card (`fraudscore retrain` reads it).

- rawSource: where the raw events and labels come from. Either the seeded simulator's spec (same spec, same bytes)
  or files: a path (relative to the repository root, or absolute) plus the sha256 the backfill read.
- backfill: the backfill's parameters, taken from its manifest (what it actually used, not what a script claims),
  plus the topology file, which the manifest does not name.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .hashing import sha256_file
from .instants import iso_utc
from .table import TableError

REPO_ROOT = Path(__file__).resolve().parents[2]
SIMULATE_INTS = ("seed", "customers", "terminals", "days")
SIMULATE_NUMBERS = ("labelDelayMinHours", "labelDelayMaxDays", "genuineLabelRate")
FORMATS = ("jsonl", "csv")
# `fraudscore simulate --drift` (src/core/simulate/options.ts); "none" leaves the traffic as without it.
DRIFTS = ("none", "amount-shift", "new-terminals")
# Every `fraudscore simulate` option that changes the files it writes, by the spec's name (--invalid-rate is for Kafka
# only: files cannot carry hostile records). A key outside these is refused: dropped, the card would describe another
# simulation than the one that made the data.
SIMULATE_KEYS = (
    "kind", *SIMULATE_INTS, "start", *SIMULATE_NUMBERS, "format", "drift", "driftFromDay", "driftAmountFactor",
)
DAY_MS = 86_400_000


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _inputs(manifest_raw: dict[str, Any]) -> tuple[Any, list[Any]]:
    inputs = manifest_raw.get("inputs")
    if not isinstance(inputs, dict):
        return None, []
    labels = inputs.get("labels")
    return inputs.get("events"), labels if isinstance(labels, list) else []


def _simulate(flag: str, spec: dict[str, Any]) -> dict[str, Any]:
    unknown = [key for key in spec if key not in SIMULATE_KEYS]
    if unknown:
        raise SystemExit(
            f"{flag}: unknown field {unknown[0]!r} in a simulate source; the fields `fraudscore simulate` takes "
            f"are {', '.join(SIMULATE_KEYS)}"
        )
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
    _start_ms(flag, out["start"])
    out["format"] = spec.get("format", "jsonl")
    if out["format"] not in FORMATS:
        raise SystemExit(f"{flag}: field 'format' must be one of {FORMATS}")
    out.update(_drift(flag, spec, out["days"]))
    return out


def _drift(flag: str, spec: dict[str, Any], days: int) -> dict[str, Any]:
    """The drift keys as `simulate` takes them (absent: its defaults); none for "none", so cards keep their bytes."""
    drift = spec.get("drift", "none")
    if drift not in DRIFTS:
        raise SystemExit(f"{flag}: field 'drift' must be one of {DRIFTS}, got {drift!r}")
    if "driftFromDay" in spec and drift == "none":
        raise SystemExit(f"{flag}: field 'driftFromDay' applies only with a drift: add 'drift', or remove it")
    if "driftAmountFactor" in spec and drift != "amount-shift":
        raise SystemExit(f"{flag}: field 'driftAmountFactor' applies only with 'drift': 'amount-shift'")
    out: dict[str, Any] = {} if drift == "none" else {"drift": drift}
    if "driftFromDay" in spec:
        day = spec["driftFromDay"]
        if not isinstance(day, int) or isinstance(day, bool) or not 0 <= day < days:
            raise SystemExit(f"{flag}: field 'driftFromDay' must be a simulated day, 0 to {days - 1}, got {day!r}")
        out["driftFromDay"] = day
    if "driftAmountFactor" in spec:
        factor = spec["driftAmountFactor"]
        if not _number(factor) or not 0.01 <= factor <= 1000:
            raise SystemExit(f"{flag}: field 'driftAmountFactor' must be a number in [0.01, 1000], got {factor!r}")
        out["driftAmountFactor"] = factor
    return out


def _start_ms(flag: str, start: str) -> int:
    """`start` in epoch ms, read as `fraudscore retrain` reads it (a date alone: its midnight UTC)."""
    text = start if "T" in start else f"{start}T00:00:00Z"
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        instant = None
    if instant is None or instant.tzinfo is None:
        raise SystemExit(f"{flag}: field 'start' must be an ISO-8601 instant with a zone, e.g. 2026-01-05T00:00:00Z")
    return round(instant.timestamp() * 1000)


def _entity_limit(ids: Any, prefix: str) -> int:
    """One more than the largest index among simulator ids `<prefix><digits>`; -1 if one is not such an id."""
    ids = pd.Series(ids.unique(), dtype="string")  # thousands of entities, not millions of rows
    numbers = ids.str.slice(len(prefix))
    if not (ids.str.startswith(prefix) & numbers.str.fullmatch(r"[0-9]+")).all():
        return -1
    return int(numbers.astype("int64").max()) + 1 if len(numbers) else 0


def check_simulation(flag: str, spec: dict[str, Any], manifest_raw: dict[str, Any] | None, frame: Any) -> None:
    """Refuses a simulate source that contradicts the data, naming what disagrees. Only what the spec implies for
    sure, read cheaply: `simulate` names every transaction `tx-<seed>-<n>`, customers `cust-<i>` (i < customers) and
    terminals `term-<i>` (i < terminals; twice that with the new-terminals drift), and puts every event in
    [start, start + days). What it cannot see (a label delay, an amount drift) `fraudscore retrain` proves, by the
    dataset SHA-256."""
    problems = []
    seeded = f"tx-{spec['seed']}-"
    foreign = frame.loc[~frame["transaction_id"].str.startswith(seeded), "transaction_id"]
    if len(foreign):
        problems.append(
            f"seed {spec['seed']} names its transactions {seeded}…, but the table holds {foreign.iloc[0]!r}"
        )
    terminals = spec["terminals"] * (2 if spec.get("drift") == "new-terminals" else 1)
    for column, prefix, key, limit in (
        ("customer_id", "cust-", "customers", spec["customers"]),
        ("terminal_id", "term-", "terminals", terminals),
    ):
        seen = _entity_limit(frame[column], prefix)
        if seen == -1 or seen > limit:
            what = f"ids other than {prefix}<number>" if seen == -1 else f"{prefix}{seen - 1:07d}"
            made = f"{prefix}0000000 to {prefix}{limit - 1:07d}"
            problems.append(f"{key} {spec[key]} makes {made}, but the table holds {what}")
    event_time = manifest_raw.get("eventTime") if isinstance(manifest_raw, dict) else None
    events = event_time.get("events") if isinstance(event_time, dict) else None
    first, last = (events.get("minMs"), events.get("maxMs")) if isinstance(events, dict) else (None, None)
    start = _start_ms(flag, spec["start"])
    end = start + spec["days"] * DAY_MS
    if _number(first) and _number(last) and (first < start or last >= end):
        problems.append(
            f"start {spec['start']} and days {spec['days']} put every event in [{iso_utc(start)}, {iso_utc(end)}), "
            f"but the backfill read events from {iso_utc(first)} to {iso_utc(last)}"
        )
    if problems:
        raise TableError(
            f"{flag}: this simulation did not make the table's data: {'; '.join(problems)}. Describe the "
            "`fraudscore simulate` run the table was built from"
        )


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


def raw_source(
    flag: str, text: str | None, manifest_raw: dict[str, Any] | None, frame: Any = None
) -> dict[str, Any] | None:
    """Parses and checks a --raw-source JSON; file sources are hashed and must be the files the backfill read; a
    simulate source must not contradict the table (`frame`) and its manifest (check_simulation)."""
    if text is None:
        return None
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"{flag}: not JSON ({error})") from error
    if not isinstance(spec, dict) or spec.get("kind") not in ("simulate", "files"):
        raise SystemExit(f'{flag}: expected a JSON object with "kind": "simulate" or "files"')
    if spec["kind"] == "simulate":
        simulation = _simulate(flag, spec)
        if frame is not None:
            check_simulation(flag, simulation, manifest_raw, frame)
        return simulation
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
