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


def _ci(metrics: dict[str, Any], key: str) -> str:
    """A metric with its interval, e.g. `0.8637 [0.8123, 0.9012]`; just the value for cards without intervals."""
    value = metrics[key]["mean"] if key == "cardPrecisionAt100" else metrics[key]
    interval = (metrics.get("intervals") or {}).get(key)
    if not interval or interval.get("low") is None:
        return _fmt(value)
    return f"{_fmt(value)} [{_fmt(interval['low'])}, {_fmt(interval['high'])}]"


def _signed(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.4f}"


_BASELINE_NAMES = {"logisticRegression": "logistic regression", "randomForest": "random forest"}


def _baseline_lines(card: dict[str, Any]) -> list[str]:
    """The model beside its baselines on the test period, and whether each margin is beyond noise."""
    base = card.get("baselines")
    if not base:
        return []
    test = card["metrics"]["test"]
    level = (test.get("intervals") or {}).get("level", 0.95)
    lines = [
        "",
        "## Against baselines",
        "",
        f"Fitted on the same training rows and features, scored on the test period; {level:.0%} intervals from a "
        "bootstrap over test days.",
        "",
        "| model | AUC ROC | avg precision | card precision@100/day |",
        "| --- | ---: | ---: | ---: |",
        f"| **this model** | {_ci(test, 'aucRoc')} | {_ci(test, 'averagePrecision')} | "
        f"{_ci(test, 'cardPrecisionAt100')} |",
    ]
    for key, b in base["models"].items():
        m = b["metrics"]
        lines.append(
            f"| {_BASELINE_NAMES.get(key, key)} | {_ci(m, 'aucRoc')} | {_ci(m, 'averagePrecision')} | "
            f"{_ci(m, 'cardPrecisionAt100')} |"
        )
    lines += ["", "Margin of this model (paired bootstrap over the same days):", ""]
    for key, b in base["models"].items():
        parts = []
        for metric, label in (("cardPrecisionAt100", "card precision@100"), ("averagePrecision", "avg precision")):
            d = b["margin"][metric]
            verdict = "within noise" if d["withinNoise"] else "beyond noise"
            parts.append(f"{label} {_signed(d['value'])} [{_signed(d['low'])}, {_signed(d['high'])}] ({verdict})")
        lines.append(f"- over {_BASELINE_NAMES.get(key, key)}: " + "; ".join(parts))
    ceiling = base.get("ceilings", {}).get("cardPrecisionAt100")
    if ceiling is not None:
        lines.append(
            f"- card precision@100 ceiling on these days (every fraudulent card still in play in the top 100): "
            f"{_fmt(ceiling)}"
        )
    if base["beatsAll"]:
        lines.append("- Beats every baseline on card precision@100 and average precision.")
    else:
        lines.append(
            "- **Below a baseline** (" + "; ".join(base["shortfalls"]) + "), accepted with "
            f"--allow-below-baseline: {base['allowBelowBaseline']}"
        )
    return lines


def _selection_lines(card: dict[str, Any]) -> list[str]:
    sel = card.get("selection")
    if not sel:
        return []
    chosen = sel["chosen"]
    settings = ", ".join(
        f"{k} {v}" for k, v in chosen.items() if k not in ("trees", "cardPrecisionAt100", "averagePrecision", "perFold")
    )
    lines = [
        "",
        "## Model selection",
        "",
        f"{sel['candidates']} seeded candidates, scored every {sel['treeStep']} trees on time-aware folds "
        f"(label delay {sel['labelDelayDays']} days skipped between training and validation days); all on the "
        f"latest fold, the best {sel.get('keptAfterLatestFold', sel['candidates'])} (and the former fixed settings) "
        "on every fold; chosen on card precision@100 per day, average precision breaking ties. Never on a random "
        "split of the same days.",
        "",
        "| fold | train days | validation days | train rows | validation rows | card precision@100 | avg precision |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for i, (f, score) in enumerate(zip(sel["folds"], chosen["perFold"])):
        lines.append(
            f"| {i + 1} | [{f['trainFrom'][:10]}, {f['trainTo'][:10]}) | [{f['validFrom'][:10]}, {f['validTo'][:10]})"
            f" | {f['trainRows']} | {f['validRows']} | {_fmt(score['cardPrecisionAt100'])} | "
            f"{_fmt(score['averagePrecision'])} |"
        )
    inc = sel["incumbent"]
    lines += [
        "",
        f"- Chosen: {settings}, {chosen['trees']} trees: card precision@100 {_fmt(chosen['cardPrecisionAt100'])}, "
        f"avg precision {_fmt(chosen['averagePrecision'])} over the folds",
        f"- Former fixed settings (best tree count {inc['trees']}): card precision@100 "
        f"{_fmt(inc['cardPrecisionAt100'])}, avg precision {_fmt(inc['averagePrecision'])}",
    ]
    return lines


def _ensemble_words(training: dict[str, Any]) -> str:
    members = (training.get("ensemble") or {}).get("members", 1)
    return "" if members == 1 else f"mean of {members} boosters (other bagging and feature-sampling seeds) of "


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
        lines += ["", "Held-out expectation of the live metrics (every test row, known compromised cards included, "
                  "as the stream's evaluator sees them):", "", "| metric | value | interval |",
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
        "Intervals: 95% bootstrap over the days of each set."
        + (f" Evaluation protocol: {card['metrics']['protocol']}." if card["metrics"].get("protocol") else ""),
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
            f"| {label} | {m['rows']} | {_fmt(m['fraudRate'])} | {_ci(m, 'aucRoc')} | {_ci(m, 'averagePrecision')}"
            f" | {_ci(m, 'cardPrecisionAt100')} | {_ci(m, 'brier')} |"
        )
    test = card["metrics"]["test"]
    lines += _baseline_lines(card)
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
        f"- LightGBM{' random-forest mode' if training['params'].get('boosting') == 'rf' else ''}, "
        + _ensemble_words(training)
        + f"{training['bestIteration']} trees (chosen on time-aware folds, see below), seed {training['seed']}",
        f"- Code commit `{training['codeCommit']}`"
        + (" (training/ had uncommitted changes)" if training.get("codeDirty") else "")
        + f", requirements.lock sha256 `{training['lockfileSha256']}`",
        f"- Libraries: {libs}",
        *_environment_lines(training.get("lockMismatches")),
        f"- ONNX vs native LightGBM max abs difference on test: {training['onnx']['maxAbsDiffVsNative']:.3g}",
        *_selection_lines(card),
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


def _environment_lines(mismatches: dict[str, str] | None) -> list[str]:
    """Cards from before the trainer recorded it say nothing; an empty record says the locked environment."""
    if mismatches is None:
        return []
    if not mismatches:
        return ["- Environment: every installed package is the version requirements.lock pins"]
    listed = "; ".join(f"{name} ({what})" for name, what in sorted(mismatches.items()))
    return [f"- **Environment differs from requirements.lock**, a retrain may not reproduce the model: {listed}"]
