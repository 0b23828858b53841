"""Golden values for the worker's drift and evaluation statistics, computed with numpy, scipy and scikit-learn.

Writes test/fixtures/drift/{binning,ks,evaluation}.json: inputs and expected outputs that
test/unit/core/monitoring/golden.test.ts compares with the TypeScript implementation (src/core/monitoring) to
1e-9. The binning and PSI go through fraudtrain.reference (the trainer's own module), so the same file also proves
that the trainer and the worker bin alike (training/tests/test_reference.py checks the trainer side).

Pinned methods:
- bins: fraudtrain.reference.binned_reference (numpy.quantile, method "linear"; numpy.unique; searchsorted right);
- PSI: fraudtrain.reference.psi with fraudtrain.reference.EPSILON;
- KS: scipy.stats.ks_2samp(a, b, alternative="two-sided", method="asymp"), i.e. the p-value
  scipy.stats.kstwo.sf(D, round(n_a n_b / (n_a + n_b)));
- AUC and average precision: sklearn.metrics.roc_auc_score, average_precision_score;
  card precision@100: fraudtrain.metrics.card_precision_at_k (rounded to 6 decimals there, compared to 1e-6).

Every input is generated from fixed seeds, so a rerun writes the same bytes:

    bash training/setup.sh
    cd training && .venv/bin/python tools/make_drift_fixtures.py --out ../test/fixtures/drift
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import average_precision_score, roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from fraudtrain import reference  # noqa: E402
from fraudtrain.metrics import card_precision_at_k  # noqa: E402
from fraudtrain.split import DAY_MS  # noqa: E402


def floats(values: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(values, dtype=np.float64)]


def binning_cases(rng: np.random.Generator) -> list[dict]:
    """Reference sample -> edges and shares; an actual sample -> counts and PSI against them."""
    normal = rng.normal(50, 20, 3000)
    specs = [
        ("continuous, no drift", normal, rng.normal(50, 20, 2000)),
        ("continuous, shifted", normal, rng.normal(65, 25, 2000)),
        # Everything lands in the two top bins: most actual bins are empty (epsilon on the actual side).
        ("continuous, collapsed into the top bins", normal, rng.normal(120, 1, 500)),
        # A 0/1 flag: nine deciles merge into at most two edges; the bin below 0 is empty on the reference side.
        ("flag", (rng.random(4000) < 0.27).astype(np.float64), (rng.random(1500) < 0.4).astype(np.float64)),
        # A count feature with many ties.
        ("counts with ties", rng.poisson(3, 5000).astype(np.float64), rng.poisson(4, 1000).astype(np.float64)),
        # float32 values, as the model sees them, and a skewed score-like distribution.
        ("float32 scores", rng.beta(0.3, 8, 3000).astype(np.float32), rng.beta(0.4, 6, 1200).astype(np.float32)),
        # Values exactly on the edges of the reference must bin alike on both sides.
        ("values on the edges", np.repeat(np.arange(10.0), 100), np.arange(10.0).repeat(7)),
    ]
    cases = []
    for name, ref_values, actual in specs:
        ref = reference.binned_reference(ref_values)
        counts = reference.bin_counts(np.asarray(ref["edges"]), actual)
        cases.append(
            {
                "name": name,
                "reference": floats(ref_values),
                "edges": ref["edges"],
                "shares": ref["shares"],
                "actual": floats(actual),
                "actualCounts": [int(c) for c in counts],
                "epsilon": reference.EPSILON,
                "psi": reference.psi(np.asarray(ref["shares"]), counts),
            }
        )
    return cases


def ks_cases(rng: np.random.Generator) -> list[dict]:
    """Sizes and shifts that reach each of scipy's algorithms for kstwo.sf at effective sizes above 140."""
    base = rng.beta(0.5, 10, 6000)
    specs = [
        ("same distribution (Pelz-Good)", base[:3000], rng.beta(0.5, 10, 2000)),
        ("small shift (Pelz-Good)", base[:3000], rng.beta(0.55, 10, 2000)),
        ("moderate shift (Smirnov sum)", base[:3000], rng.beta(0.7, 10, 1500)),
        ("large shift (Smirnov sum)", base[:4000], rng.beta(1.5, 8, 800)),
        # Every other value of the same sorted 600, 20 of them moved to the bottom: effective size 200, D = 1/30,
        # n D > 1 and n D^1.5 <= 1.4 (and a p-value visibly below 1).
        ("small D (Durbin matrix)", np.sort(base[:600]), np.concatenate([np.sort(base[:600])[::2][20:], np.sort(base[:600])[:20]])),
        # Every other value of the same sorted sample: D = 1/6000, n D <= 1 (Ruben-Gambino).
        ("D below 1/n (Ruben-Gambino)", base, np.sort(base)[1::2]),
        ("ties: scores rounded to 3 decimals", np.round(base[:5000], 3), np.round(rng.beta(0.5, 9, 1000), 3)),
        ("disjoint (p = 0)", base[:500], base[:400] + 2.0),
        ("sizes 10000 and 300", rng.beta(0.5, 10, 10_000), rng.beta(0.5, 10, 300)),
    ]
    cases = []
    for name, a, b in specs:
        result = stats.ks_2samp(a, b, alternative="two-sided", method="asymp")
        cases.append(
            {
                "name": name,
                "a": floats(np.sort(a)),
                "b": floats(np.sort(b)),
                "statistic": float(result.statistic),
                "pvalue": float(result.pvalue),
            }
        )
    return cases


def evaluation_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for name, rows, days, customers, fraud_rate, ties in [
        ("three days, 300 customers", 3000, 3, 300, 0.03, False),
        ("scores with ties", 2000, 2, 150, 0.05, True),
        ("days with fewer than 100 cards", 400, 4, 60, 0.08, False),
    ]:
        labels = (rng.random(rows) < fraud_rate).astype(np.int64)
        scores = np.clip(rng.beta(0.6, 12, rows) + labels * rng.beta(2, 5, rows), 0, 1)
        if ties:
            scores = np.round(scores, 2)
        frame = pd.DataFrame(
            {
                "event_time_ms": rng.integers(0, days, rows) * DAY_MS + rng.integers(0, DAY_MS, rows),
                "customer_id": [f"C{c:05d}" for c in rng.integers(0, customers, rows)],
                "label": labels,
            }
        )
        cases.append(
            {
                "name": name,
                "scores": floats(scores),
                "labels": [bool(v) for v in labels],
                "customers": list(frame["customer_id"]),
                "days": [int(d) for d in frame["event_time_ms"] // DAY_MS],
                "auc": float(roc_auc_score(labels, scores)),
                "averagePrecision": float(average_precision_score(labels, scores)),
                "cardPrecisionAt100": card_precision_at_k(frame, scores)["mean"],
            }
        )
    return cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261203)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    versions = {"numpy": np.__version__, "scipy": scipy.__version__, "scikit-learn": sklearn.__version__}
    for name, build, seed_offset in [("binning", binning_cases, 0), ("ks", ks_cases, 1), ("evaluation", evaluation_cases, 2)]:
        cases = build(np.random.default_rng(args.seed + seed_offset))
        document = {"generatedBy": "training/tools/make_drift_fixtures.py", "versions": versions, "cases": cases}
        (args.out / f"{name}.json").write_text(json.dumps(document, allow_nan=False) + "\n", encoding="utf-8")
        print(f"{name}.json: {len(cases)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
