"""The trainer reads the backfill's table in either format with the same columns, dtypes and exact values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fraudtrain.table import TableError, load_table

from .synthetic import COLUMNS, FEATURE_NAMES, write_synthetic


def _as_backfill_parquet(frame: pd.DataFrame, path: Path, drop: tuple[str, ...] = ()) -> None:
    """The physical types the backfill writes (src/backfill/parquet-table.ts)."""
    types = {"event_time_ms": pa.int64(), "label": pa.int32(), "label_reported_at_ms": pa.int64()}
    types.update({c: pa.string() for c in ("transaction_id", "customer_id", "terminal_id", "split")})
    types.update({n: pa.float64() for n in FEATURE_NAMES})
    columns = [c for c in COLUMNS if c not in drop]
    schema = pa.schema([pa.field(c, types[c], nullable=c == "label_reported_at_ms") for c in columns])
    pq.write_table(pa.Table.from_pandas(frame[columns], schema=schema, preserve_index=False), path)


def test_parquet_and_csv_load_alike_and_parquet_keeps_every_double(tmp_path: Path) -> None:
    csv_path, _ = write_synthetic(tmp_path, days=5, customers=40, terminals=20)
    csv = load_table(csv_path, FEATURE_NAMES, expected_sha256=None).frame
    original = pd.read_csv(csv_path, float_precision="round_trip", keep_default_na=False, na_values=[""])
    # One value that no decimal text of 15 digits holds: Parquet carries its bits.
    original.loc[0, FEATURE_NAMES[4]] = 0.1 + 0.2
    parquet_path = tmp_path / "table.parquet"
    _as_backfill_parquet(original, parquet_path)

    parquet = load_table(parquet_path, FEATURE_NAMES, expected_sha256=None).frame
    assert list(parquet.columns) == list(csv.columns)
    assert parquet.dtypes.equals(csv.dtypes)
    assert np.array_equal(parquet[list(FEATURE_NAMES)].to_numpy(), original[list(FEATURE_NAMES)].to_numpy())
    assert parquet.loc[0, FEATURE_NAMES[4]] == 0.1 + 0.2
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
