"""Hand-checked cases for the metrics and the threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from fraudtrain.decision import threshold_for_alert_rate
from fraudtrain.metrics import DailyCards, card_precision_at_k, evaluate, reliability_table
from fraudtrain.split import DAY_MS


def frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["event_time_ms", "customer_id", "label"])


def test_card_precision_counts_customers_per_day() -> None:
    # Day 0: customer a (fraud) scores highest via its max; b legit. Day 1: top-1 is c, legit.
    f = frame([(0, "a", 0), (1, "a", 1), (2, "b", 0), (DAY_MS, "c", 0), (DAY_MS + 1, "d", 1)])
    scores = np.array([0.1, 0.9, 0.5, 0.8, 0.2])
    assert card_precision_at_k(f, scores, k=1) == {"k": 1, "days": 2, "mean": 0.5}
    # k larger than the customers of a day: divide by what the day has.
    assert card_precision_at_k(f, scores, k=100)["mean"] == 0.5


def test_reliability_bins_cover_zero_and_one() -> None:
    table = reliability_table(np.array([0, 1, 1]), np.array([0.0, 0.95, 1.0]))
    assert table[0]["count"] == 1 and table[9]["count"] == 2 and table[9]["observedRate"] == 1.0
    assert table[5]["meanPredicted"] is None


def test_single_class_gives_null_auc_not_a_number() -> None:
    m = evaluate(frame([(0, "a", 0), (1, "b", 0)]), np.array([0.1, 0.2]))
    assert m["aucRoc"] is None and m["averagePrecision"] is None and m["fraudRate"] == 0.0


def test_threshold_hits_the_target_alert_rate() -> None:
    scores = np.arange(1000, dtype=np.float32) / 1000
    threshold, achieved = threshold_for_alert_rate(scores, 0.01)
    assert threshold == pytest.approx(0.990) and achieved == 0.01
    # Ties at the threshold alert together: the achieved rate is reported, not assumed.
    threshold, achieved = threshold_for_alert_rate(np.array([0.5] * 10 + [0.1] * 90), 0.05)
    assert threshold == 0.5 and achieved == 0.1
    with pytest.raises(ValueError):
        threshold_for_alert_rate(scores, 0.0)


def test_card_precision_ceiling_is_every_fraudulent_card_in_the_top_k() -> None:
    # Day 0: 3 cards, 1 fraudulent; day 1: 2 cards, both fraudulent. With k=2: 1/2 and 2/2.
    f = frame([(0, "a", 1), (1, "b", 0), (2, "c", 0), (DAY_MS, "d", 1), (DAY_MS + 1, "e", 1)])
    cards = DailyCards(f, k=2)
    assert cards.ceiling() == 0.75
    # A ranking that puts the fraudulent card first reaches it; one that buries it does not.
    assert cards.summary(np.array([0.9, 0.1, 0.2, 0.5, 0.5]))["mean"] == 0.75
    assert cards.summary(np.array([0.0, 0.1, 0.2, 0.5, 0.5]))["mean"] == 0.5
