"""Trainer flags refused while the command line is read, naming the flag."""

from __future__ import annotations

import pytest

from fraudtrain.train import parse_args

REQUIRED = ["--table", "t.parquet", "--out", "out", "--name", "card-fraud", "--version", "1"]


@pytest.mark.parametrize("seed, says", [("-5", "-5 is out of range"), ("4294967296", "out of range"), ("x", "'x' is not")])
def test_a_seed_out_of_range_is_refused_naming_the_flag(seed: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args([*REQUIRED, "--seed", seed])
    error = capsys.readouterr().err
    assert "argument --seed: " in error and says in error


def test_the_seeds_range_is_accepted() -> None:
    assert parse_args([*REQUIRED, "--seed", "0"]).seed == 0
    assert parse_args([*REQUIRED, "--seed", "4294967295"]).seed == 2**32 - 1
    assert parse_args(REQUIRED).seed == 42
