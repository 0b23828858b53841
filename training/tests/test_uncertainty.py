"""Day-bootstrap intervals: each replicate's metrics equal scikit-learn's on the resampled days, and paired margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from fraudtrain.metrics import DailyCards, average_precision
from fraudtrain.split import DAY_MS
from fraudtrain.uncertainty import DayBootstrap, margin, percentile_interval


def rows(seed: int, days: int = 6, per_day: int = 150) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = days * per_day
    return pd.DataFrame(
        {
            "event_time_ms": np.repeat(np.arange(days), per_day) * DAY_MS + rng.integers(0, DAY_MS, n),
            "customer_id": [f"c{c:03d}" for c in rng.integers(0, 120, n)],
            "label": (rng.random(n) < 0.08).astype(int),
        }
    )


def test_replicates_match_scikit_learn_on_the_resampled_days() -> None:
    frame = rows(1)
    rng = np.random.default_rng(2)
    # Coarse scores: plenty of ties, which is where step-wise definitions differ if they are wrong.
    scores = np.round(frame["label"] * 0.3 + rng.random(len(frame)), 1)
    day = frame["event_time_ms"].to_numpy() // DAY_MS
    cards = DailyCards(frame, k=10)
    boot = DayBootstrap(cards, day, frame["label"].to_numpy(), seed=5, resamples=40)
    reps = boot.replicates(scores)
    y = frame["label"].to_numpy()
    daily = cards.per_day(scores)
    for b in range(40):
        weight = boot.counts[b][day - day.min()]
        assert reps["aucRoc"][b] == pytest.approx(roc_auc_score(y, scores, sample_weight=weight), abs=1e-12)
        assert reps["averagePrecision"][b] == pytest.approx(
            average_precision_score(y, scores, sample_weight=weight), abs=1e-12
        )
        assert reps["cardPrecisionAt100"][b] == pytest.approx(np.sum(boot.counts[b] * daily) / len(daily))
        assert reps["brier"][b] == pytest.approx(np.average((scores - y) ** 2, weights=weight))
    # Each replicate draws as many days as there are.
    assert (boot.counts.sum(axis=1) == 6).all()


def test_draws_are_seeded() -> None:
    frame = rows(3)
    day = frame["event_time_ms"].to_numpy() // DAY_MS
    cards = DailyCards(frame)
    a = DayBootstrap(cards, day, frame["label"].to_numpy(), seed=42)
    b = DayBootstrap(cards, day, frame["label"].to_numpy(), seed=42)
    c = DayBootstrap(cards, day, frame["label"].to_numpy(), seed=43)
    assert np.array_equal(a.counts, b.counts) and not np.array_equal(a.counts, c.counts)


def test_percentile_interval_and_margin_verdicts() -> None:
    values = np.arange(1001, dtype=float) / 1000
    interval = percentile_interval(values)
    assert interval.low == pytest.approx(0.025) and interval.high == pytest.approx(0.975)
    assert percentile_interval(np.array([np.nan])).low is None
    reps = np.linspace(0.5, 0.7, 101)
    # A constant gap on every replicate is beyond noise; a gap that changes sign is within it.
    beyond = margin(0.62, 0.52, reps, reps - 0.1)
    assert beyond["value"] == pytest.approx(0.1) and beyond["withinNoise"] is False and beyond["low"] > 0
    within = margin(0.62, 0.61, reps, reps[::-1])
    assert within["withinNoise"] is True and within["low"] < 0 < within["high"]
    assert margin(None, 0.5, reps, reps)["withinNoise"] is None


def test_fast_average_precision_equals_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    for _ in range(50):
        n = int(rng.integers(2, 300))
        y = (rng.random(n) < 0.3).astype(int)
        if y.sum() == 0:
            continue
        s = np.round(rng.random(n) * int(rng.integers(1, 30))) / 7
        assert average_precision(y, s) == pytest.approx(average_precision_score(y, s), abs=1e-12)
