"""Time-aware folds: every validation day comes after its training days plus the label delay, and folds roll forward."""

from __future__ import annotations

import numpy as np
import pytest

from fraudtrain.folds import MIN_TRAIN_DAYS, Fold, plan_folds
from fraudtrain.split import DAY_MS, TEST, TEST_IN_TIME, TRAIN, VALID, plan_split
from fraudtrain.table import load_manifest, load_table
from tests.conftest import Synthetic


def test_demo_scale_folds_skip_the_delay_and_end_at_the_test_window() -> None:
    # 60 days, the last 7 are the test window: the protocol of the demo model.
    folds = plan_folds(first_day=0, test_from_day=53, delay_days=7)
    assert folds == [Fold(4, 25, 32, 39), Fold(11, 32, 39, 46), Fold(18, 39, 46, 53)]


@pytest.mark.parametrize("first,test_from,delay", [(0, 53, 7), (100, 133, 7), (0, 18, 7), (5, 40, 0), (0, 60, 14)])
def test_no_validation_day_before_its_training_days_plus_the_delay(first: int, test_from: int, delay: int) -> None:
    folds = plan_folds(first, test_from, delay)
    assert folds, "at least one fold"
    for fold in folds:
        assert first <= fold.train_from
        assert fold.train_to - fold.train_from >= MIN_TRAIN_DAYS
        # The delay is skipped in full: the first validation day is at least `delay` days after the last training day.
        assert fold.valid_from - (fold.train_to - 1) > delay
        assert fold.valid_from == fold.train_to + delay
        assert fold.valid_to <= test_from
    # Rolling forward: validation windows in time order, back to back, the last one ending at the test window.
    assert folds[-1].valid_to == test_from
    for earlier, later in zip(folds, folds[1:]):
        assert earlier.valid_to == later.valid_from and earlier.train_to < later.train_to


def test_masks_select_whole_days() -> None:
    fold = Fold(2, 5, 8, 10)
    day = np.arange(12)
    assert list(day[fold.train_mask(day)]) == [2, 3, 4]
    assert list(day[fold.valid_mask(day)]) == [8, 9]


def test_a_table_too_short_for_one_fold_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="cannot hold one fold"):
        plan_folds(first_day=0, test_from_day=12, delay_days=7)


def test_fold_rows_on_a_real_table_respect_time_and_the_hashed_test_rows(synthetic: Synthetic) -> None:
    from fraudtrain import search

    manifest = load_manifest(synthetic.manifest)
    frame = load_table(synthetic.table, manifest.feature_names, manifest.table_sha256).frame
    plan = plan_split(frame, 7)
    day = frame["event_time_ms"].to_numpy() // DAY_MS
    x = frame[list(manifest.feature_names)].to_numpy()
    folds = plan_folds(int(day.min()), plan.test_from_ms // DAY_MS, 7)
    assert len(folds) == 3
    hashed_test = plan.mask(TEST_IN_TIME) | plan.mask(TEST)
    for fold in folds:
        data = search.fold_data(frame, x, day, plan.mask(TRAIN), plan.mask(TRAIN) | plan.mask(VALID), fold)
        train_rows = plan.mask(TRAIN) & fold.train_mask(day)
        valid_rows = (plan.mask(TRAIN) | plan.mask(VALID)) & fold.valid_mask(day)
        assert len(data.y_train) == train_rows.sum() and len(data.y_valid) == valid_rows.sum()
        # Latest training event + delay <= earliest validation event; no hashed test row anywhere.
        last_train = frame["event_time_ms"].to_numpy()[train_rows].max()
        first_valid = frame["event_time_ms"].to_numpy()[valid_rows].min()
        assert first_valid - last_train > 7 * DAY_MS
        assert first_valid >= (fold.train_to + 7) * DAY_MS
        assert not (hashed_test & (train_rows | valid_rows)).any()
