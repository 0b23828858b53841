"""The model card: card.json for machines (validated by src/core/models/card.ts), card.md for people."""

from __future__ import annotations

import json
import re
from typing import Any

from . import reference

# Bumped when a field changes meaning or is removed; the registry refuses formats it does not know.
CARD_FORMAT = 1
# Same rules as src/core/models/card.ts: they become directory names in the registry and appear in name@version.
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_name_version(name: str, version: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ValueError(f"--name {name!r}: use lowercase letters, digits, '.', '_' or '-' (at most 64)")
    if not VERSION_PATTERN.match(version):
        raise ValueError(f"--version {version!r}: use letters, digits, '.', '_' or '-' (at most 64)")
    if version == "champion":
        # The registry resolves name@champion to its current champion; a version by that name would be ambiguous.
        raise ValueError("--version 'champion' is reserved; use another version")


def add_monitoring(card: dict[str, Any], names: Any, train_features: Any, heldout: Any, heldout_scores: Any) -> None:
    """The card's `monitoring` section (fraudtrain/reference.py): drift references and the held-out expectation of
    the live metrics, seeded by the card's seed."""
    seed = card["training"]["seed"]
    expectations = reference.bootstrap_expectations(heldout, heldout_scores, seed)
    card["monitoring"] = reference.monitoring_reference(names, train_features, heldout_scores, seed, expectations)


def to_json(card: dict[str, Any]) -> bytes:
    # Sorted keys and a fixed layout: the card's bytes (and so its sha256 in the registry) depend only on content.
    return (json.dumps(card, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


_METRIC_SETS = (("test", "test (out of time)"), ("testInTime", "test (in time, hashed)"), ("reference", "frozen reference"))


def _monitoring_lines(monitoring: dict[str, Any] | None) -> list[str]:
    if not monitoring:
        return []
    lines = [
        "",
        "## Monitoring",
        "",
        f"Reference distributions for drift: decile bins of {len(monitoring['features'])} features (training rows) and "
        f"of the score ({monitoring['score']['rows']} rows, {len(monitoring['score']['sample'])} sampled for KS); "
        f"PSI epsilon {monitoring['epsilon']:g}.",
    ]
    expectations = monitoring.get("expectations") or {}
    if expectations:
        lines += ["", "Held-out expectation of the live metrics:", "", "| metric | value | interval |",
                  "| --- | ---: | --- |"]
        for name, e in expectations.items():
            lines.append(f"| {name} | {e['value']:.4f} | [{e['lower']:.4f}, {e['upper']:.4f}] |")
        lines += ["", next(iter(expectations.values())).get("method", "")]
    return lines


def render_markdown(card: dict[str, Any]) -> str:
    ds, split, training, decision = card["dataset"], card["split"], card["training"], card["decision"]
    lines = [
        f"# Model card: {card['name']}@{card['version']}",
        "",
        f"- **Owner:** {card['owner']}",
        f"- **Created:** {card['createdAt']}",
        f"- **Model file:** `{card['modelFile']}` (sha256 `{card['modelSha256']}`)",
        f"- **Feature schema:** `{card['featureSchemaVersion']}`",
        f"- **Rollback target:** {card['rollbackTarget'] or 'none'}",
        "",
        "## What it does",
        "",
        "Scores a card transaction with the probability that it is fraudulent "
        f"(ONNX output `{card['output']['name']}`, column {card['output']['positiveClassIndex']}).",
        f"Alert when the score is at least **{decision['threshold']:.6g}**: chosen on validation for a target alert "
        f"rate of {decision['targetAlertRate']:.2%} (achieved there: {decision['expectedAlertRate']:.2%}).",
        "",
        "## Inputs",
        "",
        f"Input `{card['input']['name']}`, {card['input']['dtype']} [n, {len(card['input']['features'])}], in order:",
        "",
    ]
    lines += [f"{i + 1}. `{name}`" for i, name in enumerate(card["input"]["features"])]
    lines += [
        "",
        "## Data",
        "",
        f"- Table sha256 `{ds['tableSha256']}`, manifest sha256 `{ds['manifestSha256']}`, {ds['rows']} rows",
        f"- Event time {ds['eventTimeFrom']} to {ds['eventTimeTo']}",
        f"- Label delay: {_fmt(ds.get('labelDelayDays'))} days",
        f"- Split: {split['method']}",
        f"- Test window from {split['testFrom']} ({split['testDays']} days); rows: "
        + ", ".join(f"{k} {v}" for k, v in split["rows"].items()),
        "",
        "## Quality",
        "",
        "| set | rows | fraud rate | AUC ROC | avg precision | card precision@100/day | Brier |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in _METRIC_SETS:
        m = card["metrics"].get(key)
        if m is None:
            lines.append(f"| {label} | not evaluated | | | | | |")
            continue
        lines.append(
            f"| {label} | {m['rows']} | {_fmt(m['fraudRate'])} | {_fmt(m['aucRoc'])} | {_fmt(m['averagePrecision'])}"
            f" | {_fmt(m['cardPrecisionAt100']['mean'])} | {_fmt(m['brier'])} |"
        )
    test = card["metrics"]["test"]
    lines += [
        "",
        "Reliability on the test set (is a score of 0.3 right 30% of the time?):",
        "",
        "| score bin | rows | mean score | observed fraud rate |",
        "| --- | ---: | ---: | ---: |",
    ]
    for b in test["reliability"]:
        lines.append(
            f"| [{b['lower']:.1f}, {b['upper']:.1f}) | {b['count']} | {_fmt(b['meanPredicted'])} | "
            f"{_fmt(b['observedRate'])} |"
        )
    lines += _monitoring_lines(card.get("monitoring"))
    libs = ", ".join(f"{k} {v}" for k, v in training["libraries"].items())
    lines += [
        "",
        "## How it was trained",
        "",
        f"- LightGBM, {training['bestIteration']} trees (early stopping on validation log loss), seed {training['seed']}",
        f"- Code commit `{training['codeCommit']}`"
        + (" (training/ had uncommitted changes)" if training.get("codeDirty") else "")
        + f", requirements.lock sha256 `{training['lockfileSha256']}`",
        f"- Libraries: {libs}",
        f"- ONNX vs native LightGBM max abs difference on test: {training['onnx']['maxAbsDiffVsNative']:.3g}",
        "",
        "## Serving",
        "",
        "- SLO: " + ", ".join(f"{k} {v}" for k, v in card["servingSlo"].items()),
        "",
        "Rebuild: `bash training/setup.sh`, then rerun `python -m fraudtrain.train` with the same table, manifest and "
        "seed at the code commit above; the model's sha256 must come out identical.",
        "",
    ]
    return "\n".join(lines)
