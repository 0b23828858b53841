"""The card has every field the registry and the serving side read, and its hashes are the artifacts' hashes."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path

import pytest

from fraudtrain import provenance
from fraudtrain.provenance import LOCKFILE, TRAINING_DIR, code_dirty, lock_mismatches, locked_versions
from tests.conftest import CREATED_AT, Synthetic, train_into
from tests.synthetic import FEATURE_NAMES, SCHEMA_VERSION, split_for


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def git_shows_changes_under_training() -> bool | None:
    """What `git status` says of training/, asked from the repository's root (None outside git)."""
    root = subprocess.run(
        ["git", "rev-parse", "--show-toplevel"], cwd=TRAINING_DIR, capture_output=True, text=True, check=False
    )
    if root.returncode != 0:
        return None
    status = subprocess.run(
        ["git", "status", "--porcelain", "--", "training/"],
        cwd=root.stdout.strip(),
        capture_output=True,
        text=True,
        check=True,
    )
    return status.stdout != ""


@pytest.fixture(scope="module")
def card(trained: Path) -> dict:
    return json.loads((trained / "card.json").read_text())


def test_card_fields(card: dict, trained: Path, synthetic: Synthetic) -> None:
    assert card["name"] == "card-fraud" and card["version"] == "1"
    assert card["createdAt"] == CREATED_AT.replace("Z", ".000Z")
    assert card["owner"] == "fraud-ml"
    assert card["modelFile"] == "model.onnx"
    assert card["input"] == {"name": "input", "features": list(FEATURE_NAMES), "dtype": "float32"}
    assert card["output"] == {"name": "probabilities", "positiveClassIndex": 1}
    assert card["featureSchemaVersion"] == SCHEMA_VERSION
    assert card["rollbackTarget"] == "card-fraud@0"
    assert card["servingSlo"] == {"batchP99Ms": 100}
    ds = card["dataset"]
    assert ds["rows"] == json.loads(synthetic.manifest.read_text())["rows"]
    assert ds["labelDelayDays"] == 7
    assert ds["eventTimeFrom"] < ds["eventTimeTo"]
    assert card["split"]["testDays"] == 7 and card["split"]["seed"] == 42
    tr = card["training"]
    assert tr["seed"] == 42 and tr["params"]["deterministic"] is True and tr["params"]["num_threads"] == 1
    assert set(tr["libraries"]) >= {"python", "lightgbm", "onnxmltools", "onnx", "onnxruntime", "numpy"}
    assert tr["codeCommit"] == "unknown" or len(tr["codeCommit"]) == 40
    assert tr["codeDirty"] is git_shows_changes_under_training()
    assert tr["onnx"]["maxAbsDiffVsNative"] <= 1e-5
    for key in ("test", "reference"):
        m = card["metrics"][key]
        assert {"rows", "fraudRate", "aucRoc", "averagePrecision", "cardPrecisionAt100", "brier", "reliability"} <= set(m)
        assert len(m["reliability"]) == 10 and sum(b["count"] for b in m["reliability"]) == m["rows"]
    assert card["metrics"]["reference"]["tableSha256"] == sha256(synthetic.reference)
    assert 0 < card["decision"]["threshold"] < 1
    assert card["decision"]["targetAlertRate"] == 0.01
    assert 0.01 <= card["decision"]["expectedAlertRate"] < 0.02


def test_every_metric_has_a_day_bootstrap_interval(card: dict) -> None:
    sets = [card["metrics"][k] for k in ("test", "testInTime", "reference")]
    sets += [b["metrics"] for b in card["baselines"]["models"].values()]
    for m in sets:
        iv = m["intervals"]
        assert iv["level"] == 0.95 and iv["resamples"] == 1000 and iv["method"] == "percentile bootstrap over days"
        for key in ("aucRoc", "averagePrecision", "cardPrecisionAt100", "brier"):
            assert 0 <= iv[key]["low"] <= iv[key]["high"] <= 1, (key, iv[key])
    assert card["metrics"]["test"]["intervals"]["days"] == 7


def test_card_compares_the_model_with_both_baselines(card: dict) -> None:
    base = card["baselines"]
    assert set(base["models"]) == {"logisticRegression", "randomForest"}
    assert base["evaluatedOn"] == "test" and base["gated"] == ["cardPrecisionAt100", "averagePrecision"]
    for b in base["models"].values():
        assert {"aucRoc", "averagePrecision", "cardPrecisionAt100", "brier"} <= set(b["metrics"])
        for metric in ("cardPrecisionAt100", "averagePrecision", "aucRoc"):
            d = b["margin"][metric]
            assert d["withinNoise"] == (d["low"] <= 0 <= d["high"])
    assert base["beatsAll"] == (base["shortfalls"] == [])
    assert 0 < base["ceilings"]["cardPrecisionAt100"] <= 1


def test_card_records_the_time_aware_selection(card: dict) -> None:
    sel = card["selection"]
    assert sel["metric"] == "cardPrecisionAt100" and sel["tieBreak"] == "averagePrecision"
    assert sel["candidates"] == 4 and card["training"]["args"]["searchCandidates"] == 4
    assert sel["labelDelayDays"] == 7 and len(sel["folds"]) == 3
    for fold in sel["folds"]:
        gap = datetime.fromisoformat(fold["validFrom"]) - datetime.fromisoformat(fold["trainTo"])
        assert gap.days == 7 and fold["trainFrom"] < fold["trainTo"] and fold["validTo"] <= card["split"]["testFrom"]
    chosen = sel["chosen"]
    assert chosen["trees"] == card["training"]["bestIteration"]
    assert all(card["training"]["params"][k] == chosen[k] for k in sel["grid"])


def test_card_records_the_ensemble_that_model_onnx_holds(card: dict, trained: Path) -> None:
    import onnx

    from fraudtrain import model as mdl

    chosen = card["selection"]["chosen"]
    ensemble = card["training"]["ensemble"]
    assert ensemble["members"] == mdl.ensemble_members({k: chosen[k] for k in card["selection"]["grid"]})
    assert ensemble["memberSeeds"] == [mdl.member_seeds(42, m) for m in range(ensemble["members"])]
    graph = onnx.load_from_string((trained / "model.onnx").read_bytes()).graph
    (trees,) = [node for node in graph.node if node.op_type.startswith("TreeEnsemble")]
    tree_ids = next(a for a in trees.attribute if a.name == "nodes_treeids").ints
    assert len(set(tree_ids)) == ensemble["members"] * card["training"]["bestIteration"]
    text = (trained / "card.md").read_text()
    assert (f"mean of {ensemble['members']} boosters" in text) == (ensemble["members"] > 1)


def test_card_hashes_match_the_artifacts(card: dict, trained: Path, synthetic: Synthetic) -> None:
    assert card["modelSha256"] == sha256(trained / "model.onnx")
    assert card["dataset"]["tableSha256"] == sha256(synthetic.table)
    assert card["dataset"]["manifestSha256"] == sha256(synthetic.manifest)
    assert card["training"]["lockfileSha256"] == sha256(LOCKFILE)


def test_card_names_the_environment_the_model_came_from(card: dict, trained: Path) -> None:
    libraries = card["training"]["libraries"]
    # What fits, exports and reads the table, not only the direct dependencies.
    assert {"pyarrow", "scipy", "protobuf", "skl2onnx", "threadpoolctl", "scikit-learn"} <= set(libraries)
    pins = locked_versions()
    assert all(libraries[name] == pins[name] for name in libraries if name != "python")
    # The test environment is requirements.lock's (training/setup.sh), so nothing differs, and the card says so.
    assert card["training"]["lockMismatches"] == {}
    assert "every installed package is the version requirements.lock pins" in (trained / "card.md").read_text()


def test_packages_that_differ_from_the_lock_are_named(tmp_path: Path) -> None:
    pins = locked_versions()
    assert len(pins) >= 20 and pins["lightgbm"] and pins["pyarrow"]
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# comment line\n"
        f"lightgbm=={pins['lightgbm']} \\\n    --hash=sha256:00\n"
        "numpy==0.0.1 \\\n    --hash=sha256:00\n"
        "not-a-package-fraudtrain-knows==1.0 \\\n    --hash=sha256:00\n"
    )
    assert lock_mismatches(lock) == {
        "numpy": f"installed {metadata.version('numpy')}, locked 0.0.1",
        "not-a-package-fraudtrain-knows": "installed nothing, locked 1.0",
    }


def test_card_markdown_is_rendered(trained: Path, card: dict) -> None:
    text = (trained / "card.md").read_text()
    assert text.startswith("# Model card: card-fraud@1")
    assert card["modelSha256"] in text and "terminal_risk_30d" in text


def test_quality_floor_on_the_learnable_table(card: dict) -> None:
    assert card["metrics"]["test"]["aucRoc"] > 0.8
    assert card["metrics"]["reference"]["aucRoc"] > 0.8


def test_a_table_that_does_not_match_its_manifest_is_refused(
    synthetic: Synthetic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tampered = tmp_path / "table.csv"
    tampered.write_bytes(synthetic.table.read_bytes().replace(b",0,,train\n", b",1,,train\n", 1))
    data = Synthetic(table=tampered, manifest=synthetic.manifest, reference=synthetic.reference)
    assert train_into(data, tmp_path / "out") == 2
    assert "sha256 is" in capsys.readouterr().err
    assert not (tmp_path / "out").exists(), "nothing may be written for a refused table"


def test_a_reference_of_another_feature_schema_is_refused(
    synthetic: Synthetic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reference = tmp_path / "reference.csv"
    reference.write_bytes(synthetic.reference.read_bytes())
    manifest = json.loads(synthetic.reference.with_name(synthetic.reference.name + ".manifest.json").read_text())
    manifest["featureSchemaVersion"] = "card-baseline-v1+b145ea8c2cc0"
    reference.with_name(reference.name + ".manifest.json").write_text(json.dumps(manifest))
    data = Synthetic(table=synthetic.table, manifest=synthetic.manifest, reference=reference)
    assert train_into(data, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert "'featureSchemaVersion'" in err and "card-baseline-v1+b145ea8c2cc0" in err and SCHEMA_VERSION in err
    assert not (tmp_path / "out").exists(), "nothing may be written for a refused reference"


def _sharing_ids(reference: Path, ids: list[str], out: Path) -> Path:
    """A copy of `reference` whose first rows take `ids` as transaction ids (and the split the backfill gives those
    ids, the table's last column), with its manifest rehashed: the other checks pass, only the overlap is wrong."""
    header, *rows = reference.read_text().splitlines(keepends=True)
    assert header.rstrip("\n").endswith(",split")
    renamed = [f"{i},{row.split(',', 1)[1].rsplit(',', 1)[0]},{split_for(i)}\n" for i, row in zip(ids, rows)]
    rows = renamed + rows[len(ids):]
    out.write_text(header + "".join(rows))
    manifest = json.loads(reference.with_name(reference.name + ".manifest.json").read_text())
    manifest["table"]["sha256"] = sha256(out)
    out.with_name(out.name + ".manifest.json").write_text(json.dumps(manifest))
    return out


def test_a_reference_sharing_transactions_with_the_training_table_is_refused(
    synthetic: Synthetic, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    training_ids = [line.split(",", 1)[0] for line in synthetic.table.read_text().splitlines()[1:]]
    # Seven ids from across the training table's days; more than the message quotes.
    shared = training_ids[:: len(training_ids) // 7][:7]
    reference = _sharing_ids(synthetic.reference, shared, tmp_path / "reference.csv")
    data = Synthetic(table=synthetic.table, manifest=synthetic.manifest, reference=reference)
    assert train_into(data, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert f"reference {reference}: 7 transaction ids (transaction_id) of its " in err
    assert f"also in the training table {synthetic.table}: {', '.join(shared[:5])} and 2 more. " in err
    # The fix, with the tools that do it.
    assert "`fraudscore simulate --seed`" in err and "`fraudscore backfill --from`/`--to`" in err
    assert not (tmp_path / "out").exists(), "nothing may be written for a refused reference"


def test_a_reference_of_other_transactions_is_reported_on(card: dict, synthetic: Synthetic) -> None:
    # The session's model was trained with a reference of another seed: no shared id, so its metrics are in the card.
    assert card["metrics"]["reference"]["tableSha256"] == sha256(synthetic.reference)
    assert card["metrics"]["reference"]["rows"] > 0


def test_the_test_period_follows_the_handbook_protocol(card: dict) -> None:
    split = card["split"]
    rows = split["rows"]
    # Customers already known to be compromised are out of every test metric; the label-delay days train nothing.
    assert rows["testKnownCompromised"] > 0
    assert card["metrics"]["test"]["rows"] == rows["test"] - rows["testKnownCompromised"]
    assert rows["labelDelay"] > 0
    delay_ms = split["labelDelayDays"] * 86_400_000
    assert _ms(split["trainTo"]) == _ms(split["testFrom"]) - delay_ms
    assert "handbook" in card["metrics"]["protocol"]


def _ms(iso: str) -> int:
    from datetime import datetime

    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def test_code_dirty_reads_the_training_directory_of_a_git_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A temporary checkout whose training/ the trainer is pointed at: the repository's own state is whatever the
    # developer's is (test_card_fields compares the card with it), so here both answers and the scope are seen.
    training = tmp_path / "repo" / "training"
    training.mkdir(parents=True)
    monkeypatch.setattr(provenance, "TRAINING_DIR", training)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # whatever holds the temporary directory
    assert code_dirty() is None, "outside git"

    def git(*args: str) -> None:
        identity = ["-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false"]
        subprocess.run(["git", *identity, *args], cwd=training.parent, check=True, capture_output=True)

    git("init", "-q")
    (training / "train.py").write_text("seed = 42\n")
    (training.parent / "README.md").write_text("readme\n")
    git("add", "-A")
    git("commit", "-q", "-m", "initial")
    assert code_dirty() is False
    (training.parent / "README.md").write_text("changed outside training/\n")
    assert code_dirty() is False, "only the trainer's own directory shapes the model"
    (training / "train.py").write_text("seed = 43\n")
    assert code_dirty() is True
    git("commit", "-q", "-am", "seed")
    (training / "new_module.py").write_text("\n")
    assert code_dirty() is True, "an untracked file under training/ counts"
