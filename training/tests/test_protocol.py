"""The handbook's evaluation protocol: customers known to be compromised leave the evaluation days once their label
has arrived, detected cards leave later days' rankings, and the label-delay days before the test window train nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fraudtrain.metrics import DailyCards
from fraudtrain.protocol import known_compromised
from fraudtrain.split import DAY_MS, LABEL_DELAY, TEST, TRAIN, VALID, plan_split


def frame(rows: list[tuple[int, str, int]]) -> pd.DataFrame:
    """(day, customer, label) rows, one per day and customer, at noon."""
    return pd.DataFrame(
        [(day * DAY_MS + DAY_MS // 2, customer, label) for day, customer, label in rows],
        columns=["event_time_ms", "customer_id", "label"],
    )


def test_a_fraud_is_known_once_its_label_delay_has_passed() -> None:
    # Customer a: fraud on day 1. With a 2-day delay its label is known from day 1 + 2 + 1 = 4 on.
    f = frame([(0, "a", 0), (1, "a", 1), (2, "a", 1), (3, "a", 0), (4, "a", 0), (9, "a", 0), (4, "b", 0), (5, "c", 1)])
    assert known_compromised(f, delay_days=2).tolist() == [False, False, False, False, True, True, False, False]
    # No delay: known from the day after the fraud.
    assert known_compromised(f, delay_days=0).tolist() == [False, False, True, True, True, True, False, False]


def test_a_card_detected_in_the_top_k_leaves_the_later_days() -> None:
    # k = 1. Day 0: a (fraud) is top and detected. Day 1: a is top again, b (fraud) second, c genuine. Day 2: a
    # (genuine now, blocked since) tops c, whose payment that day is a fraud.
    f = frame([(0, "a", 1), (0, "c", 0), (1, "a", 1), (1, "b", 1), (1, "c", 0), (2, "a", 0), (2, "c", 1)])
    scores = np.array([0.9, 0.1, 0.9, 0.5, 0.1, 0.9, 0.2])
    # Without the protocol a is found again on day 1 and, blocked since, still takes day 2's slot.
    assert DailyCards(f, k=1).per_day(scores).tolist() == [1.0, 1.0, 0.0]
    # With it, day 1's slot goes to b (fraud), day 2's to c (fraud).
    assert DailyCards(f, k=1, drop_detected=True).per_day(scores).tolist() == [1.0, 1.0, 1.0]
    buried = np.array([0.9, 0.1, 0.9, 0.05, 0.1, 0.9, 0.2])
    # b below c on day 1: without the protocol, re-finding a counts; with it, the day's slot is c (genuine then).
    assert DailyCards(f, k=1).per_day(buried).tolist() == [1.0, 1.0, 0.0]
    assert DailyCards(f, k=1, drop_detected=True).per_day(buried).tolist() == [1.0, 0.0, 1.0]
    # A genuine card in the top k is not detected: it stays in play.
    g = frame([(0, "c", 0), (0, "a", 0), (1, "c", 1), (1, "a", 0)])
    assert DailyCards(g, k=1, drop_detected=True).per_day(np.array([0.9, 0.1, 0.9, 0.1])).tolist() == [0.0, 1.0]


def test_the_ceiling_counts_cards_still_in_play() -> None:
    # a is fraudulent on both days: a perfect ranking detects it on day 0, so day 1 has only genuine cards left.
    f = frame([(0, "a", 1), (0, "b", 0), (1, "a", 1), (1, "b", 0)])
    assert DailyCards(f, k=1).ceiling() == 1.0
    assert DailyCards(f, k=1, drop_detected=True).ceiling() == 0.5


def test_label_delay_days_before_the_test_window_are_not_trained_on() -> None:
    # One train row and one valid row a day: the valid rows of the delay days still validate.
    f = frame([(d, f"c{d}", 0) for d in range(20) for _ in range(2)]).assign(split=["train", "valid"] * 20)
    roles = plan_split(f, test_days=5, delay_days=3).roles.tolist()
    assert roles[:24] == [TRAIN, VALID] * 12
    assert roles[24:30] == [LABEL_DELAY, VALID] * 3
    assert roles[30:] == [TEST] * 10
    assert plan_split(f, test_days=5).roles.tolist()[24:30] == [TRAIN, VALID] * 3
