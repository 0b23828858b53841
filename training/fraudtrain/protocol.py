"""The evaluation protocol of the Fraud Detection Handbook: which rows a day's investigators would still look at.

A card whose fraud is already known is blocked, so on a later day it is no alert to anyone: the handbook drops the
customers already known to be compromised from every evaluation day (its `get_train_test_set`), and a metric that
kept them would reward the model for re-finding frauds the team already has. What "known" means respects the label
delay: on day t, a fraud is known when its day is at most t - delay - 1 (its label has arrived, whatever its
split role: every row of the table was eventually labelled). The same rule applies to the test period, the
in-time test rows, the reference table and the validation days of model selection, for the model and the baselines
alike. On top of it, card precision@k per day drops the cards detected in the top k of an earlier evaluation day
(metrics.DailyCards: investigators blocked them).

Days are UTC calendar days (epoch ms // DAY_MS); only the table's own rows are history, so a table that starts
mid-stream knows nothing from before its first day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .split import DAY_MS

DESCRIPTION = (
    "handbook protocol: on each evaluation day t, the customers with a fraud on a day <= t - labelDelay - 1 (label "
    "known) are dropped; card precision@100 also drops the cards detected in the top 100 of an earlier day"
)


def known_compromised(frame: pd.DataFrame, delay_days: int) -> np.ndarray:
    """Per row: does its customer have a fraud whose label is known on the row's day (fraud day <= day - delay - 1)?"""
    if delay_days < 0:
        raise ValueError(f"protocol: the label delay must be >= 0 days, got {delay_days}")
    day = frame["event_time_ms"].to_numpy() // DAY_MS
    customers, customer = np.unique(frame["customer_id"].to_numpy().astype(str), return_inverse=True)
    fraud = frame["label"].to_numpy() == 1
    first_fraud = np.full(len(customers), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_fraud, customer[fraud], day[fraud])
    return first_fraud[customer] <= day - delay_days - 1
