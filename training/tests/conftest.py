"""Shared fixtures: one synthetic table and one trained model per session; training is the slow part."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from fraudtrain.train import main as train_main
from tests.synthetic import write_synthetic

CREATED_AT = "2024-03-01T00:00:00Z"
# A few candidates keep each training in seconds; the search itself is tested on its own (test_search.py).
SEARCH_CANDIDATES = "4"
# The synthetic table has about 6 fraudulent cards a day among 300: card precision@100 is near its ceiling for every
# model, so the baselines' gate is decided by noise there; the gate has its own tests (test_baselines.py).
ALLOW_REASON = "synthetic test table: too few cards a day for card precision@100 to separate models"


@dataclass(frozen=True)
class Synthetic:
    table: Path
    manifest: Path
    reference: Path


def train_into(data: Synthetic, out: Path, *extra: str, allow_below_baseline: bool = True) -> int:
    return train_main(train_arguments(data, out, *extra, allow_below_baseline=allow_below_baseline))


def train_arguments(data: Synthetic, out: Path, *extra: str, allow_below_baseline: bool = True) -> list[str]:
    """The trainer's command line for the shared model, into `out` (train_into runs it in this process)."""
    allow = ["--allow-below-baseline", ALLOW_REASON] if allow_below_baseline else []
    return [
        "--table", str(data.table),
        "--manifest", str(data.manifest),
        "--reference", str(data.reference),
        "--out", str(out),
        "--name", "card-fraud",
        "--version", "1",
        "--seed", "42",
        "--owner", "fraud-ml",
        "--rollback-target", "card-fraud@0",
        "--created-at", CREATED_AT,
        "--search-candidates", SEARCH_CANDIDATES,
        *allow,
        *extra,
    ]


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Synthetic:
    root = tmp_path_factory.mktemp("synthetic")
    table, manifest = write_synthetic(root, days=40, seed=7)
    # A frozen reference set from another seed: same columns, other customers and terminals.
    reference, _ = write_synthetic(root, days=14, seed=99, name="reference")
    return Synthetic(table=table, manifest=manifest, reference=reference)


@pytest.fixture(scope="session")
def trained(synthetic: Synthetic, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    assert train_into(synthetic, out) == 0
    return out
