"""What a card records of its backfill, for `fraudscore retrain` to run it again."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from fraudtrain.replay import backfill_params, raw_source, unreplayable
from fraudtrain.table import TableError


def manifest(table: dict) -> dict:
    return {"labelDelayMs": 604_800_000, "latenessMarginMs": 86_400_000, "labelAsOfMs": None, "table": table}


def test_a_table_file_name_other_than_the_retrains_is_recorded() -> None:
    # The card records the manifest's sha256, and the manifest names the table file: a retrain must use that name.
    params = backfill_params(manifest({"file": "training-table.parquet", "format": "parquet"}), None, "train")
    assert params["tableFile"] == "training-table.parquet" and params["tableFormat"] == "parquet"
    assert backfill_params(manifest({"file": "ref-b.csv"}), None, "reference")["tableFile"] == "ref-b.csv"


def test_the_name_a_retrain_gives_anyway_is_not_recorded() -> None:
    # So the cards of models trained on train.<format> / reference.<format> keep their bytes.
    assert "tableFile" not in backfill_params(manifest({"file": "train.parquet", "format": "parquet"}), None, "train")
    assert "tableFile" not in backfill_params(manifest({"file": "train.csv"}), None, "train")
    assert "tableFile" not in backfill_params(manifest({"file": "reference.csv"}), None, "reference")


def test_a_run_without_the_raw_datas_description_is_told_its_model_cannot_be_retrained() -> None:
    assert unreplayable({"kind": "simulate"}, has_reference=True, has_reference_raw_source=True) == []
    assert unreplayable({"kind": "simulate"}, has_reference=False, has_reference_raw_source=False) == []
    [missing] = unreplayable(None, has_reference=False, has_reference_raw_source=False)
    assert missing.startswith("no --raw-source:") and "fraudscore retrain" in missing
    [reference] = unreplayable({"kind": "files"}, has_reference=True, has_reference_raw_source=False)
    assert reference.startswith("--reference without --reference-raw-source")


SIMULATION = {
    "kind": "simulate", "seed": 0, "customers": 300, "terminals": 150, "days": 21, "start": "2026-01-05T00:00:00Z",
    "labelDelayMinHours": 1, "labelDelayMaxDays": 7, "genuineLabelRate": 1, "format": "jsonl",
}


@pytest.mark.parametrize("field", ["customers", "terminals", "days"])
def test_a_simulation_of_nothing_is_refused_naming_the_field(field: str) -> None:
    assert raw_source("--raw-source", json.dumps(SIMULATION), None)["seed"] == 0
    with pytest.raises(SystemExit, match=f"--raw-source: field '{field}' must be an integer >= 1, got 0"):
        raw_source("--raw-source", json.dumps({**SIMULATION, field: 0}), None)


def test_a_simulate_field_the_trainer_does_not_know_is_refused_naming_it_and_the_known_ones() -> None:
    with pytest.raises(SystemExit) as refused:
        raw_source("--raw-source", json.dumps({**SIMULATION, "invalidRate": 0.1}), None)
    message = str(refused.value)
    assert message.startswith("--raw-source: unknown field 'invalidRate' in a simulate source")
    for key in ("seed", "customers", "drift", "driftFromDay", "driftAmountFactor", "format"):
        assert f"{key}," in message or message.endswith(key)


def test_a_drifted_simulation_is_recorded_with_its_drift() -> None:
    drifted = {**SIMULATION, "drift": "amount-shift", "driftFromDay": 14, "driftAmountFactor": 2.5}
    recorded = raw_source("--raw-source", json.dumps(drifted), None)
    assert recorded is not None
    assert (recorded["drift"], recorded["driftFromDay"], recorded["driftAmountFactor"]) == ("amount-shift", 14, 2.5)
    # "none" is what `simulate` does without --drift: recorded as nothing (cards of undrifted data keep their bytes).
    assert raw_source("--raw-source", json.dumps({**SIMULATION, "drift": "none"}), None) == raw_source(
        "--raw-source", json.dumps(SIMULATION), None
    )
    for bad, match in (
        ({"drift": "sideways"}, "field 'drift' must be one of"),
        ({"driftFromDay": 3}, "field 'driftFromDay' applies only with a drift"),
        ({"drift": "new-terminals", "driftAmountFactor": 2}, "field 'driftAmountFactor' applies only with"),
        ({"drift": "amount-shift", "driftFromDay": 21}, r"field 'driftFromDay' must be a simulated day, 0 to 20"),
    ):
        with pytest.raises(SystemExit, match=match):
            raw_source("--raw-source", json.dumps({**SIMULATION, **bad}), None)


def _simulated(seed: int, customers: int, terminals: int, days: int) -> tuple[pd.DataFrame, dict]:
    """A table's id columns and manifest as `simulate --seed --customers --terminals --days` then backfill make them."""
    start = 1_767_571_200_000  # 2026-01-05T00:00:00Z
    n = 50
    frame = pd.DataFrame(
        {
            "transaction_id": pd.Series([f"tx-{seed}-{i:010d}" for i in range(n)], dtype="string"),
            # The largest index first: cust-<customers - 1>, term-<terminals - 1>.
            "customer_id": pd.Series(
                [f"cust-{customers - 1 - i * 7 % customers:07d}" for i in range(n)], dtype="string"
            ),
            "terminal_id": pd.Series(
                [f"term-{terminals - 1 - i * 11 % terminals:07d}" for i in range(n)], dtype="string"
            ),
        }
    )
    events = {"minMs": start + 3_600_000, "maxMs": start + days * 86_400_000 - 1}
    return frame, {"eventTime": {"events": events}}


def test_a_simulation_that_contradicts_the_table_is_refused_naming_what_disagrees() -> None:
    frame, manifest_raw = _simulated(seed=1, customers=300, terminals=200, days=30)
    right = {**SIMULATION, "seed": 1, "customers": 300, "terminals": 200, "days": 30}
    assert raw_source("--raw-source", json.dumps(right), manifest_raw, frame) is not None
    wrong = {**SIMULATION, "seed": 999, "customers": 5, "terminals": 5, "days": 3, "drift": "amount-shift"}
    with pytest.raises(TableError) as refused:
        raw_source("--raw-source", json.dumps(wrong), manifest_raw, frame)
    message = str(refused.value)
    assert message.startswith("--raw-source: this simulation did not make the table's data: ")
    assert "seed 999 names its transactions tx-999-…, but the table holds 'tx-1-0000000000'" in message
    assert "customers 5 makes cust-0000000 to cust-0000004, but the table holds cust-0000299" in message
    assert "terminals 5 makes term-0000000 to term-0000004, but the table holds term-0000199" in message
    assert (
        "start 2026-01-05T00:00:00Z and days 3 put every event in [2026-01-05T00:00:00.000Z, 2026-01-08T00:00:00.000Z), "
        "but the backfill read events from 2026-01-05T01:00:00.000Z to 2026-02-03T23:59:59.999Z" in message
    )
    # The new-terminals drift doubles the terminal population: ids up to twice --terminals are its own.
    drifted = {**right, "terminals": 100, "drift": "new-terminals", "driftFromDay": 10}
    assert raw_source("--raw-source", json.dumps(drifted), manifest_raw, frame) is not None
    with pytest.raises(TableError, match="terminals 100 makes term-0000000 to term-0000099"):
        raw_source("--raw-source", json.dumps({**right, "terminals": 100}), manifest_raw, frame)
