"""Loading and checking the training table written by the backfill, and its manifest."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

# Bound at import: the split check hashes every id, and must not go through a hashlib.sha256 replaced later (the
# tests replace it to watch how the table's bytes are hashed).
from hashlib import sha256 as id_sha256

from .hashing import sha256_bytes
from .instants import iso_utc

# Columns the trainer itself reads besides the features. The features come from the manifest, in its order:
# the manifest is the contract with the serving side, the table's column order is not.
TRANSACTION_ID = "transaction_id"
ID_COLUMNS = (TRANSACTION_ID, "customer_id", "terminal_id")
META_COLUMNS = ("event_time_ms", "label", "label_reported_at_ms", "split")
SPLIT_VALUES = frozenset({"train", "valid", "test"})
# Overlapping ids quoted in the refusal of a reference: enough to find the rows, short enough to read.
OVERLAP_EXAMPLES = 5
# Every Parquet file starts with these 4 bytes; the backfill writes Parquet by default and CSV on request.
PARQUET_MAGIC = b"PAR1"


class TableError(ValueError):
    """The table or manifest is unusable; the message names the file, the field and what to do."""


def hashed_split(transaction_id: str) -> str:
    """The backfill's split of a row (docs/features.md, "Training table"): bucket = the first 4 bytes of
    SHA-256(transaction id, UTF-8) as a big-endian unsigned integer, mod 100; train below 80, valid below 90, test
    otherwise. A function of the id alone: a row never changes side, whatever else the table holds."""
    bucket = int.from_bytes(id_sha256(transaction_id.encode("utf-8")).digest()[:4], "big") % 100
    return "train" if bucket < 80 else "valid" if bucket < 90 else "test"


def _split_problem(frame: pd.DataFrame) -> str | None:
    """Rows whose split is not the backfill's rule for their id: the first of them and how many, else None."""
    ids = frame[TRANSACTION_ID].tolist()
    expected = np.array([hashed_split(i) for i in ids], dtype=object)
    mismatched = np.flatnonzero(frame["split"].to_numpy(dtype=object) != expected)
    if mismatched.size == 0:
        return None
    first = int(mismatched[0])
    return (
        f"column 'split' does not follow the backfill's rule (a stable hash of transaction_id: docs/features.md, "
        f'"Training table") in {mismatched.size} of {len(ids)} rows, the first {ids[first]!r} marked '
        f"{frame['split'].iloc[first]!r} where the rule says {expected[first]!r}"
    )


@dataclass(frozen=True)
class Manifest:
    path: Path
    sha256: str
    feature_schema_version: str
    feature_names: tuple[str, ...]
    rows: int
    table_sha256: str
    # Everything else the backfill wrote (label delay, sources, ...): copied into the card when present.
    raw: dict[str, Any]


@dataclass(frozen=True)
class Table:
    path: Path
    sha256: str
    frame: pd.DataFrame


def _table_sha256(path: Path, raw: dict[str, Any]) -> str:
    # The backfill's manifest describes the table it wrote as {"table": {"file", "bytes", "sha256", ...}}.
    table = raw.get("table")
    digest = table.get("sha256") if isinstance(table, dict) else None
    if not isinstance(digest, str) or len(digest) != 64:
        raise TableError(f"manifest {path}: field 'table.sha256' must be the table's sha256 (64 hex digits), got {digest!r}")
    return digest


def load_manifest(path: Path) -> Manifest:
    # One read: the card's manifestSha256 is the hash of the bytes parsed here, never of a file renamed onto the same
    # path in between.
    try:
        data = path.read_bytes()
        raw = json.loads(data.decode("utf-8"))
    except (OSError, ValueError) as error:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise TableError(f"manifest {path}: cannot read it as JSON ({error})") from error
    if not isinstance(raw, dict):
        raise TableError(f"manifest {path}: expected a JSON object")

    def field(name: str, kind: type) -> Any:
        value = raw.get(name)
        # bool is an int in Python; a manifest saying "rows": true is broken, not one row.
        if not isinstance(value, kind) or isinstance(value, bool):
            raise TableError(f"manifest {path}: field {name!r} must be a {kind.__name__}, got {value!r}")
        return value

    names = field("featureNames", list)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise TableError(f"manifest {path}: field 'featureNames' must be a non-empty list of strings")
    if len(set(names)) != len(names):
        raise TableError(f"manifest {path}: field 'featureNames' has duplicates")
    version = field("featureSchemaVersion", str)
    if not version:
        raise TableError(f"manifest {path}: field 'featureSchemaVersion' is empty")
    return Manifest(
        path=path,
        sha256=sha256_bytes(data),
        feature_schema_version=version,
        feature_names=tuple(names),
        rows=field("rows", int),
        table_sha256=_table_sha256(path, raw),
        raw=raw,
    )


# A cell of a number column as the backfill writes it: an integer, or a finite decimal (NaN, Infinity, empty and
# text are not numbers a feature or a time can hold).
_INTEGER_TEXT = r"-?\d+"
_DECIMAL_TEXT = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
# Columns that may be empty: a label not reported (yet).
_MAY_BE_EMPTY = frozenset({"label_reported_at_ms"})


def _is_parquet(data: bytes) -> bool:
    return data[: len(PARQUET_MAGIC)] == PARQUET_MAGIC


def _csv_cell_problem(data: bytes, dtypes: dict[str, Any]) -> str | None:
    """The first cell of a CSV table that its column cannot hold, by column, line and value: the parser's own message
    names none of them ("Integer column has NA values in column 19"). None when every cell reads."""
    try:
        text = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (OSError, ValueError):
        return None
    for column, dtype in dtypes.items():
        if column not in text.columns or dtype not in ("int64", "float64"):
            continue
        cells = text[column]
        pattern = _INTEGER_TEXT if dtype == "int64" else _DECIMAL_TEXT
        bad = ~cells.str.fullmatch(pattern)
        if column in _MAY_BE_EMPTY:
            bad &= cells != ""
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            value = cells.iloc[row]
            found = "an empty cell" if value == "" else f"{value!r}"
            kind = "an integer" if dtype == "int64" else "a finite number"
            # Line numbers as an editor shows them: the header is line 1.
            return f"column {column!r}, line {row + 2}: {found} where {kind} is expected"
    return None


def _read_frame(path: Path, data: bytes, dtypes: dict[str, Any]) -> pd.DataFrame:
    """The table (the file's bytes, already read) as a frame with the same dtypes whichever format the backfill
    wrote."""
    if not _is_parquet(data):
        # The backfill writes each double in the shortest text that round-trips; only a correctly rounding parser
        # reads back the exact value. pandas' default C parser misreads a few percent of them by one ulp or more.
        return pd.read_csv(
            io.BytesIO(data), dtype=dtypes, keep_default_na=False, na_values=[""], float_precision="round_trip"
        )
    # Parquet's types are exact (doubles bit for bit, INT64 times, a nullable label_reported_at_ms); the cast only
    # names them as the CSV reader does.
    frame = pq.read_table(pa.BufferReader(data)).to_pandas()
    missing = [c for c in dtypes if c not in frame.columns]
    if missing:
        raise TableError(f"table {path}: missing columns {missing}")
    return frame.astype(dtypes)


def load_table(path: Path, feature_names: tuple[str, ...], expected_sha256: str | None) -> Table:
    """Read the table (Parquet or CSV); with expected_sha256, refuse a table whose bytes are not the ones the
    manifest describes."""
    # One read, then the hash and the parse of the same bytes: reading the file twice could hash one table and parse
    # another (a backfill renaming its new table onto this path in between) and train under the wrong SHA-256. The
    # file is held in memory while it is parsed: 87 MB for the handbook-sized Parquet table, less than its frame.
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TableError(f"table {path}: cannot read it ({error})") from error
    digest = sha256_bytes(data)
    if expected_sha256 is not None and digest != expected_sha256:
        raise TableError(
            f"table {path}: sha256 is {digest} but its manifest says {expected_sha256}; "
            "the table changed after the backfill wrote it: rerun the backfill"
        )
    # Ids stay strings (leading zeros matter); features are read as float64 and narrowed to float32 later,
    # exactly once, in model.py.
    dtypes: dict[str, Any] = {c: "string" for c in ID_COLUMNS}
    dtypes.update({"event_time_ms": "int64", "label_reported_at_ms": "float64", "split": "string", "label": "int64"})
    dtypes.update({n: "float64" for n in feature_names})
    try:
        frame = _read_frame(path, data, dtypes)
    except (OSError, ValueError) as error:
        cell = None if _is_parquet(data) else _csv_cell_problem(data, dtypes)
        if cell is not None:
            raise TableError(
                f"table {path}: {cell}; the backfill writes every cell (a feature's declared default where it has "
                "no value): backfill the table again rather than editing it"
            ) from error
        raise TableError(f"table {path}: cannot parse it ({error})") from error

    missing = [c for c in (*ID_COLUMNS, *META_COLUMNS, *feature_names) if c not in frame.columns]
    if missing:
        raise TableError(f"table {path}: missing columns {missing}")
    bad_split = sorted(set(frame["split"].fillna("").unique()) - SPLIT_VALUES)
    if bad_split:
        found = ", ".join("an empty cell" if value == "" else repr(value) for value in bad_split)
        raise TableError(f"table {path}: column 'split' must be one of {sorted(SPLIT_VALUES)}, found {found}")
    # A split by another rule would train on rows held out before, or hold out rows trained on: the card's held-out
    # figures would no longer be held out.
    split_problem = _split_problem(frame)
    if split_problem is not None:
        raise TableError(f"table {path}: {split_problem}; backfill the table again rather than editing it")
    bad_label = sorted(set(frame["label"].unique()) - {0, 1})
    if bad_label:
        raise TableError(f"table {path}: column 'label' must be 0 or 1, found {bad_label}")
    values = frame[list(feature_names)].to_numpy(dtype=np.float64)
    finite = np.isfinite(values)
    if not finite.all():
        # The backfill imputes declared defaults; a non-finite value here means the contract was broken upstream.
        worst = [feature_names[i] for i in np.flatnonzero(~finite.all(axis=0))]
        row, column = (int(i) for i in np.argwhere(~finite)[0])
        # Where to look: a CSV's line as an editor numbers it (the header is line 1), a Parquet table's row from 1.
        where = f"row {row + 1}" if _is_parquet(data) else f"line {row + 2}"
        raise TableError(
            f"table {path}: {int((~finite).sum())} non-finite feature values in {worst} (the first: column "
            f"{feature_names[column]!r}, {where}: {values[row, column]}); the backfill must impute declared defaults"
        )
    return Table(path=path, sha256=digest, frame=frame)


# The manifest fields that decide what a table's feature values mean: a reference backfilled under another schema or
# label delay has the same columns, but its values (and its labels) are not the training table's features.
REFERENCE_MUST_MATCH = ("featureSchemaVersion", "labelDelayMs")


def reference_manifest_path(reference: Path) -> Path:
    return reference.with_name(reference.name + ".manifest.json")


def load_reference(path: Path, manifest: Manifest) -> tuple[Table, Manifest]:
    """A frozen reference set, and its backfill manifest (<reference>.manifest.json, required).

    The reference's metrics go into the card beside the test metrics, computed with the model trained on `manifest`'s
    table: its manifest must name the same featureSchemaVersion and labelDelayMs, and its table must be the bytes that
    manifest describes. A reference without a manifest is refused: nothing would say which features it holds (the
    backfill always writes one; the demo, `fraudscore retrain` and the tests pass the backfill's)."""
    ref_manifest_path = reference_manifest_path(path)
    if not ref_manifest_path.is_file():
        raise TableError(
            f"reference {path}: no manifest at {ref_manifest_path}; a reference must be a backfill's table with its "
            "manifest, so that its feature schema can be checked against the training table's"
        )
    ref_manifest = load_manifest(ref_manifest_path)
    for name in REFERENCE_MUST_MATCH:
        ours, theirs = manifest.raw.get(name), ref_manifest.raw.get(name)
        if ours != theirs:
            raise TableError(
                f"reference {path}: field {name!r} of its manifest {ref_manifest_path} is {theirs!r} but the training "
                f"table's manifest {manifest.path} says {ours!r}; backfill the reference with the training table's "
                "topology and label delay"
            )
    table = load_table(path, manifest.feature_names, expected_sha256=ref_manifest.table_sha256)
    if len(table.frame) != ref_manifest.rows:
        raise TableError(f"reference {path}: {len(table.frame)} rows but its manifest says {ref_manifest.rows}")
    return table, ref_manifest


def overlapping_ids(training_ids: pd.Series, reference_ids: pd.Series) -> list[str]:
    """The reference's transaction ids that are also training ids, each once, in the reference table's order."""
    shared = reference_ids.dropna()
    shared = shared[shared.isin(training_ids.dropna())]
    return [str(i) for i in shared.drop_duplicates()]


def refuse_overlapping_reference(training: Table, reference: Table) -> None:
    """A reference that shares a transaction with the training table is refused.

    The card reports the reference's metrics so that model versions can be compared on the same frozen rows; rows the
    model was trained on (or its settings chosen on) score better than unseen ones, so an overlap would inflate those
    metrics without anything in the card saying so. Any shared id is refused, whatever its split in the training table:
    train rows are fitted, validation rows choose the settings, tree count and threshold, and the test rows have their
    own figures in the card already; the reference is worth reporting only on rows the training table does not hold."""
    shared = overlapping_ids(training.frame[TRANSACTION_ID], reference.frame[TRANSACTION_ID])
    if not shared:
        return
    more = len(shared) - OVERLAP_EXAMPLES
    examples = ", ".join(shared[:OVERLAP_EXAMPLES]) + (f" and {more} more" if more > 0 else "")
    times = training.frame["event_time_ms"]
    raise TableError(
        f"reference {reference.path}: {len(shared)} transaction ids ({TRANSACTION_ID}) of its {len(reference.frame)} "
        f"rows are also in the training table {training.path}: {examples}. Its metrics would count rows the model was "
        "trained or tuned on, and model versions would be compared on inflated figures. Build the reference "
        "from data disjoint from the training table's: another simulation seed (`fraudscore simulate --seed`; the "
        "simulator's transaction ids carry the seed, and training/make-demo-model.sh backfills its reference from seed "
        "1042 against the training data's 42), or a period of the same events outside the training table's "
        f"({iso_utc(int(times.min()))} to {iso_utc(int(times.max()))}), with `fraudscore backfill --from`/`--to`"
    )
