"""The trainer reads the backfill's table in either format with the same columns, dtypes and exact values."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fraudtrain.table import TableError, hashed_split, load_manifest, load_reference, load_table, overlapping_ids

from .synthetic import COLUMNS, FEATURE_NAMES, SCHEMA_VERSION, write_synthetic


def _as_backfill_parquet(frame: pd.DataFrame, path: Path, drop: tuple[str, ...] = ()) -> None:
    """The physical types the backfill writes (src/backfill/parquet-table.ts)."""
    types = {"event_time_ms": pa.int64(), "label": pa.int32(), "label_reported_at_ms": pa.int64()}
    types.update({c: pa.string() for c in ("transaction_id", "customer_id", "terminal_id", "split")})
    types.update({n: pa.float64() for n in FEATURE_NAMES})
    columns = [c for c in COLUMNS if c not in drop]
    schema = pa.schema([pa.field(c, types[c], nullable=c == "label_reported_at_ms") for c in columns])
    pq.write_table(pa.Table.from_pandas(frame[columns], schema=schema, preserve_index=False), path)


def _bits(frame: pd.DataFrame) -> np.ndarray:
    return frame[list(FEATURE_NAMES)].to_numpy(dtype=np.float64).view(np.uint64)


def test_parquet_and_csv_load_alike_and_parquet_keeps_every_double(tmp_path: Path) -> None:
    synthetic_csv, _ = write_synthetic(tmp_path / "synthetic", days=5, customers=40, terminals=20)
    original = pd.read_csv(synthetic_csv, float_precision="round_trip", keep_default_na=False, na_values=[""])
    original["label_reported_at_ms"] = original["label_reported_at_ms"].astype("Int64")
    # Doubles that need all 17 significant digits, like the backfill's averages and risk ratios: pandas' default CSV
    # parser misreads a few percent of such text by one ulp or more.
    for name in ("customer_avg_amount_1d", "customer_avg_amount_7d", "customer_avg_amount_30d", "terminal_risk_30d"):
        original[name] = original[name] / 7
    # One value that no decimal text of 15 digits holds.
    original.loc[0, FEATURE_NAMES[4]] = 0.1 + 0.2
    # Both files from the same doubles: the CSV in the shortest text that round-trips (as the backfill's String(x)).
    csv_path = tmp_path / "table.csv"
    original.to_csv(csv_path, index=False, columns=list(COLUMNS), lineterminator="\n")
    parquet_path = tmp_path / "table.parquet"
    _as_backfill_parquet(original, parquet_path)

    csv = load_table(csv_path, FEATURE_NAMES, expected_sha256=None).frame
    parquet = load_table(parquet_path, FEATURE_NAMES, expected_sha256=None).frame
    assert list(parquet.columns) == list(csv.columns)
    assert parquet.dtypes.equals(csv.dtypes)
    assert np.array_equal(_bits(parquet), _bits(original))
    assert parquet.loc[0, FEATURE_NAMES[4]] == 0.1 + 0.2
    # The CSV's feature values are the Parquet's, bit for bit (a correctly rounding parser reads the exact doubles).
    differ = _bits(csv) != _bits(parquet)
    assert not differ.any(), f"{int(differ.sum())} CSV feature values differ from the Parquet ones"
    for column in ("transaction_id", "customer_id", "terminal_id", "split", "event_time_ms", "label"):
        assert parquet[column].equals(csv[column]), column
    assert parquet["label_reported_at_ms"].equals(csv["label_reported_at_ms"])


def test_a_parquet_table_without_a_column_is_refused_by_name(tmp_path: Path) -> None:
    csv_path, _ = write_synthetic(tmp_path, days=2, customers=10, terminals=5)
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    path = tmp_path / "table.parquet"
    _as_backfill_parquet(frame, path, drop=("split",))
    with pytest.raises(TableError, match=r"missing columns \['split'\]"):
        load_table(path, FEATURE_NAMES, expected_sha256=None)


def _with_cell(csv_path: Path, line: int, column: str, value: str) -> Path:
    """The CSV table with one cell replaced (line as an editor numbers it: the header is line 1)."""
    lines = csv_path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    edited = csv_path.with_name(f"edited-{column}.csv")
    edited.write_text("\n".join(lines) + "\n")
    return edited


@pytest.mark.parametrize(
    ("column", "value", "found"),
    [
        ("label", "", "an empty cell where an integer is expected"),
        ("label", "NaN", "'NaN' where an integer is expected"),
        ("event_time_ms", "", "an empty cell where an integer is expected"),
        ("event_time_ms", "1.5", "'1.5' where an integer is expected"),
        (FEATURE_NAMES[0], "NaN", "'NaN' where a finite number is expected"),
        (FEATURE_NAMES[3], "12abc", "'12abc' where a finite number is expected"),
        (FEATURE_NAMES[5], "n/a", "'n/a' where a finite number is expected"),
    ],
)
def test_a_csv_cell_its_column_cannot_hold_is_named_by_column_line_and_value(
    tmp_path: Path, column: str, value: str, found: str
) -> None:
    # pandas' own messages name none of them: "Integer column has NA values in column 19", "invalid literal for
    # int() with base 10: 'NaN'", "cannot safely convert passed user dtype of float64 for object dtyped data".
    csv_path, _ = write_synthetic(tmp_path, days=2, customers=10, terminals=5)
    edited = _with_cell(csv_path, 7, column, value)
    with pytest.raises(TableError) as refused:
        load_table(edited, FEATURE_NAMES, expected_sha256=None)
    assert str(refused.value) == (
        f"table {edited}: column {column!r}, line 7: {found}; the backfill writes every cell (a feature's declared "
        "default where it has no value): backfill the table again rather than editing it"
    )


def test_non_finite_feature_values_are_counted_and_the_first_is_placed(tmp_path: Path) -> None:
    csv_path, _ = write_synthetic(tmp_path, days=2, customers=10, terminals=5)
    edited = _with_cell(_with_cell(csv_path, 9, FEATURE_NAMES[2], "Infinity"), 6, FEATURE_NAMES[4], "")
    with pytest.raises(TableError) as refused:
        load_table(edited, FEATURE_NAMES, expected_sha256=None)
    assert str(refused.value) == (
        f"table {edited}: 2 non-finite feature values in {[FEATURE_NAMES[2], FEATURE_NAMES[4]]} (the first: column "
        f"{FEATURE_NAMES[4]!r}, line 6: nan); the backfill must impute declared defaults"
    )
    frame = pd.read_csv(csv_path, keep_default_na=False, na_values=[""])
    frame.loc[3, FEATURE_NAMES[4]] = np.inf
    parquet = tmp_path / "table.parquet"
    _as_backfill_parquet(frame, parquet)
    with pytest.raises(TableError, match=re.escape(f"(the first: column {FEATURE_NAMES[4]!r}, row 4: inf)")):
        load_table(parquet, FEATURE_NAMES, expected_sha256=None)


def test_an_empty_or_unknown_split_is_named_as_such(tmp_path: Path) -> None:
    csv_path, _ = write_synthetic(tmp_path, days=2, customers=10, terminals=5)
    for value, found in (("", "an empty cell"), ("holdout", "'holdout'")):
        with pytest.raises(TableError, match=re.escape(f"must be one of ['test', 'train', 'valid'], found {found}")):
            load_table(_with_cell(csv_path, 5, "split", value), FEATURE_NAMES, expected_sha256=None)


def test_a_split_column_by_another_rule_is_refused_naming_the_first_row(tmp_path: Path) -> None:
    csv_path, _ = write_synthetic(tmp_path, days=2, customers=10, terminals=5)
    loaded = load_table(csv_path, FEATURE_NAMES, expected_sha256=None)
    ids = loaded.frame["transaction_id"].tolist()
    # The documented rule, against a value worked out with node:crypto: SHA-256("tx-0")[:4] = 0x91f0e715, bucket 17.
    assert int.from_bytes(hashlib.sha256(b"tx-0").digest()[:4], "big") == 0x91F0E715
    assert hashed_split("tx-0") == "train"  # 17 < 80
    # Line 5 holds the fourth row: moved from its side to another, the table is refused.
    row = ids[3]
    side = loaded.frame["split"].iloc[3]
    other = "test" if side != "test" else "train"
    with pytest.raises(
        TableError,
        match=re.escape(f"in 1 of {len(ids)} rows, the first {row!r} marked {other!r} where the rule says {side!r}"),
    ):
        load_table(_with_cell(csv_path, 5, "split", other), FEATURE_NAMES, expected_sha256=None)


def _reference(tmp_path: Path, **changes: Any) -> Path:
    """A reference table and its backfill manifest, with `changes` applied to the manifest (None: field removed)."""
    table, manifest = write_synthetic(tmp_path / "reference", days=3, customers=20, terminals=10, seed=99)
    raw = json.loads(manifest.read_text())
    for name, value in changes.items():
        if value is None:
            raw.pop(name, None)
        else:
            raw[name] = value
    manifest.write_text(json.dumps(raw))
    return table


def _training_manifest(tmp_path: Path):
    _, manifest = write_synthetic(tmp_path / "train", days=2, customers=20, terminals=10)
    return load_manifest(manifest)


def test_a_reference_of_the_training_tables_schema_and_label_delay_is_loaded_with_its_manifest(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    table, manifest = load_reference(reference, _training_manifest(tmp_path))
    assert manifest.feature_schema_version == SCHEMA_VERSION
    assert len(table.frame) == manifest.rows and table.sha256 == manifest.table_sha256


@pytest.mark.parametrize(
    ("field", "value", "training_value"),
    [
        # A reference backfilled with a 14-day label delay: same columns, features of another schema.
        ("featureSchemaVersion", "card-baseline-v1+b145ea8c2cc0", SCHEMA_VERSION),
        ("labelDelayMs", 14 * 86_400_000, 7 * 86_400_000),
        ("labelDelayMs", None, 7 * 86_400_000),
    ],
)
def test_a_reference_of_another_schema_or_label_delay_is_refused_naming_the_field_and_both_values(
    tmp_path: Path, field: str, value: Any, training_value: Any
) -> None:
    reference = _reference(tmp_path, **{field: value})
    said = rf"'{field}' of its manifest .* is {re.escape(repr(value))} but the training table's manifest .* says "
    with pytest.raises(TableError, match=said + re.escape(repr(training_value))):
        load_reference(reference, _training_manifest(tmp_path))


def test_a_reference_without_a_manifest_is_refused(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    reference.with_name(reference.name + ".manifest.json").unlink()
    with pytest.raises(TableError, match="no manifest"):
        load_reference(reference, _training_manifest(tmp_path))


def test_a_reference_that_is_not_the_table_its_manifest_describes_is_refused(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    reference.write_bytes(reference.read_bytes().replace(b",0,,train\n", b",1,,train\n", 1))
    with pytest.raises(TableError, match="sha256 is"):
        load_reference(reference, _training_manifest(tmp_path))


def test_the_overlap_is_the_references_shared_ids_once_each_in_its_order() -> None:
    training = pd.Series(["tx-1", "tx-2", "tx-3", None], dtype="string")
    reference = pd.Series(["tx-3", "tx-9", "tx-1", "tx-3", None], dtype="string")
    assert overlapping_ids(training, reference) == ["tx-3", "tx-1"]
    assert overlapping_ids(training, pd.Series(["tx-9", None], dtype="string")) == []


def _renamed_onto_while_hashing(monkeypatch: pytest.MonkeyPatch, path: Path, versions: list[Path]) -> None:
    """A concurrent backfill renaming new tables onto `path` while the trainer hashes it: one rename when a SHA-256
    is started, another when one is finished, for as long as `versions` last. Wherever the trainer reads the file a
    second time, after one of these, it reads another file than the one it hashed."""
    real = hashlib.sha256
    pending = list(versions)

    def rename() -> None:
        if pending:
            os.replace(pending.pop(0), path)

    class Sha256:
        def __init__(self, data: bytes = b"") -> None:
            rename()
            self._hash = real(data)

        def update(self, data: bytes) -> None:
            self._hash.update(data)

        def hexdigest(self) -> str:
            digest = self._hash.hexdigest()
            rename()
            return digest

    monkeypatch.setattr(hashlib, "sha256", Sha256)


def _versions(tmp_path: Path, write: Callable[[Path, Path], Path]) -> tuple[Path, list[Path], dict[int, str]]:
    """Three tables of 2, 3 and 4 days (told apart by their row counts): the first at the path read, the others to
    be renamed onto it; and each one's SHA-256 by row count."""
    paths, digests = [], {}
    for days in (2, 3, 4):
        csv_path, _ = write_synthetic(tmp_path / f"v{days}", days=days, customers=20, terminals=10)
        rows = len(pd.read_csv(csv_path))
        path = write(csv_path, tmp_path / f"v{days}" / "table.bin")
        digests[rows] = hashlib.sha256(path.read_bytes()).hexdigest()
        paths.append(path)
    return paths[0], paths[1:], digests


def _as_csv(csv_path: Path, out: Path) -> Path:
    os.replace(csv_path, out)
    return out


def _as_parquet(csv_path: Path, out: Path) -> Path:
    _as_backfill_parquet(pd.read_csv(csv_path, keep_default_na=False, na_values=[""]), out)
    return out


@pytest.mark.parametrize("write", [_as_csv, _as_parquet], ids=["csv", "parquet"])
def test_the_table_is_hashed_from_the_bytes_it_is_parsed_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Callable[[Path, Path], Path]
) -> None:
    path, replacements, digests = _versions(tmp_path, write)
    _renamed_onto_while_hashing(monkeypatch, path, replacements)
    table = load_table(path, FEATURE_NAMES, expected_sha256=None)
    # The hash the card records is the hash of the rows trained on: the file as it was when it was read.
    assert table.sha256 == digests[len(table.frame)]


def test_the_manifest_is_hashed_from_the_bytes_it_is_parsed_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = []
    for days in (2, 3):
        _, manifest = write_synthetic(tmp_path / f"v{days}", days=days, customers=20, terminals=10)
        manifests.append(manifest)
    digest_by_rows = {json.loads(m.read_text())["rows"]: hashlib.sha256(m.read_bytes()).hexdigest() for m in manifests}
    _renamed_onto_while_hashing(monkeypatch, manifests[0], manifests[1:])
    manifest = load_manifest(manifests[0])
    assert manifest.sha256 == digest_by_rows[manifest.rows]
