"""Seeded synthetic training table + manifest, shaped like the backfill's output, with a learnable fraud signal.

Stands in for the real backfill in tests. Rows are generated day by day from a per-day random stream, so a table
with more days is a superset of one with fewer: the same transactions, with the same values and split.

    python -m tests.synthetic --out /tmp/synth --days 40 --seed 7
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

DAY_MS = 86_400_000
# 2024-01-01T00:00:00Z, a Monday: weekends fall on day indices 5, 6 (mod 7).
START_MS = 1_704_067_200_000
FEATURE_NAMES = (
    "amount",
    "tx_during_weekend",
    "tx_during_night",
    "customer_nb_tx_1d",
    "customer_avg_amount_1d",
    "customer_nb_tx_7d",
    "customer_avg_amount_7d",
    "customer_nb_tx_30d",
    "customer_avg_amount_30d",
    "terminal_nb_tx_1d",
    "terminal_risk_1d",
    "terminal_nb_tx_7d",
    "terminal_risk_7d",
    "terminal_nb_tx_30d",
    "terminal_risk_30d",
)
COLUMNS = (
    "transaction_id",
    "event_time_ms",
    "customer_id",
    "terminal_id",
    *FEATURE_NAMES,
    "label",
    "label_reported_at_ms",
    "split",
)
SCHEMA_VERSION = "synthetic-v1"
LABEL_DELAY_DAYS = 7


def split_for(transaction_id: str) -> str:
    """The backfill's split (docs/features.md, "Training table"), written here from the documentation rather than
    taken from the trainer, which checks every table against its own: first 4 bytes of SHA-256, mod 100, 80/10/10."""
    bucket = int.from_bytes(hashlib.sha256(transaction_id.encode("utf-8")).digest()[:4], "big") % 100
    return "train" if bucket < 80 else "valid" if bucket < 90 else "test"


@dataclass(frozen=True)
class Population:
    mean_amount: np.ndarray  # per customer
    tx_per_day: np.ndarray  # per customer
    terminal_rate: np.ndarray  # per terminal, transactions per day


def population(seed: int, customers: int, terminals: int) -> Population:
    rng = np.random.default_rng([seed, 0])
    return Population(
        mean_amount=rng.uniform(5, 100, customers),
        tx_per_day=rng.uniform(0.5, 4.0, customers),
        terminal_rate=rng.uniform(1, 20, terminals),
    )


def day_rows(seed: int, day: int, pop: Population) -> pd.DataFrame:
    # One random stream per day: day d's rows do not depend on how many days follow.
    rng = np.random.default_rng([seed, 1, day])
    counts = rng.poisson(pop.tx_per_day)
    customer = np.repeat(np.arange(len(counts)), counts)
    n = len(customer)
    terminals = len(pop.terminal_rate)
    terminal = rng.integers(0, terminals, n)
    # About 1% of terminals are compromised on a given day; fraud concentrates there, as in skimming rings.
    compromised = rng.random(terminals) < 0.01
    at_bad_terminal = compromised[terminal]
    t_in_day = np.sort(rng.integers(0, DAY_MS, n))
    customer = customer[rng.permutation(n)]
    mu = pop.mean_amount[customer]
    # The second fraud scenario: a stolen card spends several times its owner's usual amount.
    big_spend = rng.random(n) < 0.01
    amount = np.where(big_spend, mu * rng.uniform(3, 6, n), rng.lognormal(np.log(mu), 0.4))
    hour = t_in_day // 3_600_000
    night = (hour < 6).astype(float)
    weekend = float((day % 7) in (5, 6))

    def nb(window: int, rate: np.ndarray) -> np.ndarray:
        return rng.poisson(rate * window).astype(float)

    def avg(window: int) -> np.ndarray:
        return np.round(mu * (1 + rng.normal(0, 0.3 / np.sqrt(window), n)), 2)

    def risk(window: int) -> np.ndarray:
        base = rng.beta(1, 80, n)
        # Compromise shows in the terminal's recent label history, less so over the longer windows.
        signal = rng.uniform(0.1, 0.6, n) / np.sqrt(window)
        return np.round(np.where(at_bad_terminal & (rng.random(n) < 0.9), base + signal, base), 4)

    # A low base rate keeps most fraud explainable by the two scenarios: the table is meant to be learnable.
    logit = -7.0 + 6.5 * at_bad_terminal + 7.0 * big_spend + 0.5 * night
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    event_time = START_MS + day * DAY_MS + t_in_day
    delay = rng.uniform(1, 2 * LABEL_DELAY_DAYS, n) * DAY_MS
    # The seed is in the id, as in the simulator's tx-<seed>-<n> (src/core/simulate/ids.ts): tables of two seeds share
    # no transaction, so one can be the other's reference (the trainer refuses a reference that shares one).
    ids = [f"tx-{seed}-{day:04d}-{i:06d}" for i in range(n)]
    trate = pop.terminal_rate[terminal]
    crate = pop.tx_per_day[customer]
    return pd.DataFrame(
        {
            "transaction_id": ids,
            "event_time_ms": event_time,
            "customer_id": [f"c{c:05d}" for c in customer],
            "terminal_id": [f"t{t:05d}" for t in terminal],
            "amount": np.round(amount, 2),
            "tx_during_weekend": weekend,
            "tx_during_night": night,
            "customer_nb_tx_1d": nb(1, crate),
            "customer_avg_amount_1d": avg(1),
            "customer_nb_tx_7d": nb(7, crate),
            "customer_avg_amount_7d": avg(7),
            "customer_nb_tx_30d": nb(30, crate),
            "customer_avg_amount_30d": avg(30),
            "terminal_nb_tx_1d": nb(1, trate),
            "terminal_risk_1d": risk(1),
            "terminal_nb_tx_7d": nb(7, trate),
            "terminal_risk_7d": risk(7),
            "terminal_nb_tx_30d": nb(30, trate),
            "terminal_risk_30d": risk(30),
            "label": label,
            # Legitimate transactions never get a report: empty cell.
            "label_reported_at_ms": np.where(label == 1, event_time + delay.astype(np.int64), -1),
            "split": [split_for(i) for i in ids],
        }
    )


def write_synthetic(
    out: Path, *, days: int = 40, seed: int = 7, customers: int = 300, terminals: int = 200, name: str = "table"
) -> tuple[Path, Path]:
    """Write <out>/<name>.csv and <out>/<name>.csv.manifest.json; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    pop = population(seed, customers, terminals)
    frame = pd.concat([day_rows(seed, d, pop) for d in range(days)], ignore_index=True)
    frame["label_reported_at_ms"] = frame["label_reported_at_ms"].astype("Int64").mask(frame["label"] == 0)
    table = out / f"{name}.csv"
    frame.to_csv(table, index=False, columns=list(COLUMNS), lineterminator="\n")
    digest = hashlib.sha256(table.read_bytes()).hexdigest()
    manifest = table.with_name(table.name + ".manifest.json")
    manifest.write_text(
        json.dumps(
            {
                "featureSchemaVersion": SCHEMA_VERSION,
                "featureNames": list(FEATURE_NAMES),
                "rows": len(frame),
                "table": {"file": table.name, "sha256": digest},
                "labelDelayMs": LABEL_DELAY_DAYS * 86_400_000,
                "generator": {"name": "training/tests/synthetic.py", "seed": seed, "days": days},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return table, manifest


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--days", type=int, default=40)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--customers", type=int, default=300)
    p.add_argument("--name", default="table")
    a = p.parse_args()
    table, manifest = write_synthetic(a.out, days=a.days, seed=a.seed, customers=a.customers, name=a.name)
    print(json.dumps({"table": str(table), "manifest": str(manifest)}))


if __name__ == "__main__":
    main()
