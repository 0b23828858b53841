"""What a card records of its backfill, for `fraudscore retrain` to run it again."""

from __future__ import annotations

import json

import pytest

from fraudtrain.replay import backfill_params, raw_source, unreplayable


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
