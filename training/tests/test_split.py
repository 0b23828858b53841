"""A row's split never changes when rows are added, and nothing held out by hash is ever trained on."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from fraudtrain.split import DAY_MS, TEST, TEST_IN_TIME, TRAIN, VALID, holdout_window_start, plan_split
from tests.synthetic import write_synthetic


def roles(table: Path) -> pd.DataFrame:
    frame = pd.read_csv(table, dtype={"transaction_id": "string", "split": "string"})
    plan = plan_split(frame, test_days=7)
    return frame.assign(role=plan.roles).set_index("transaction_id")


def test_adding_days_keeps_every_existing_row_and_its_split(tmp_path: Path) -> None:
    short, _ = write_synthetic(tmp_path / "short", days=25, seed=3, customers=120)
    long, _ = write_synthetic(tmp_path / "long", days=40, seed=3, customers=120)
    before, after = roles(short), roles(long)
    common = before.index.intersection(after.index)
    assert len(common) == len(before), "a longer table must contain every row of the shorter one"
    assert (before.loc[common, "split"] == after.loc[common, "split"]).all()
    feature_cols = [c for c in before.columns if c not in ("role",)]
    pd.testing.assert_frame_equal(before.loc[common, feature_cols], after.loc[common, feature_cols])

    # Rows trained or validated on stay so: the test window only moves later.
    for role in (TRAIN, VALID):
        was = before.index[before["role"] == role]
        assert (after.loc[was, "role"] == role).all()
    # A row hashed to test is never trained on, in either table.
    hashed_test = after[after["split"] == "test"]
    assert set(hashed_test["role"]) <= {TEST, TEST_IN_TIME}
    old_test = before.index[before["role"] == TEST]
    assert set(after.loc[old_test, "role"]) <= {TRAIN, VALID, TEST_IN_TIME, TEST}
    assert (after.loc[old_test, "role"].isin([TRAIN, VALID]) == after.loc[old_test, "split"].isin(["train", "valid"])).all()


def test_test_window_is_whole_utc_days() -> None:
    last = 40 * DAY_MS + 5 * 3_600_000  # day 40, 05:00
    assert holdout_window_start(last, 7) == 34 * DAY_MS
    assert holdout_window_start(40 * DAY_MS, 1) == 40 * DAY_MS
    with pytest.raises(ValueError):
        holdout_window_start(last, 0)


def test_too_few_days_for_the_window_is_a_clear_error(tmp_path: Path) -> None:
    table, _ = write_synthetic(tmp_path, days=5, seed=3, customers=50)
    frame = pd.read_csv(table)
    with pytest.raises(ValueError, match="no train rows"):
        plan_split(frame, test_days=7)
