#!/usr/bin/env bash
# Produces the demo/test model committed under registry/: the whole loop, from seeded simulated traffic to a
# registered model. simulate -> backfill -> train -> register. Re-running it with the same code gives the same
# model bytes (training is deterministic); the registry refuses to overwrite a version with different bytes.
# Version 1 was trained before model selection and baselines; version 3 before the handbook's evaluation protocol
# and the monitoring references; version 4, on 2,000 customers and 1,000 terminals, with a recorded reason for
# trailing the random forest on average precision. Version 5 (the default), the registry's champion that the demo
# serves, is the current trainer's on the handbook's population (5,000 customers, 10,000 terminals): it beats both
# baselines without any allowance. All roll back to version 1
# (version 2 is the lifecycle demo's challenger, scripts/make-challenger-model.sh). The trainer prints its
# model-selection time (wall and CPU) on stderr.
#
#   bash training/make-demo-model.sh [version]
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5}"
rollback=()
[ "$version" = 1 ] || rollback=(--rollback-target card-fraud@1)
# Version 3 ties the random forest on card precision@100 (see its card): accepted with this reason, which the card
# records and `fraudscore retrain` passes again. Another version without a line below gets no allowance: the
# trainer's gate decides.
allow=()
[ "$version" != 3 ] || allow=(--allow-below-baseline "ties the random forest on card precision@100 (0.29, two fraudulent cards a day below the ceiling of 0.3157), beats both baselines on average precision")
# Version 4, under the handbook's protocol (known compromised cards out of the test days): beats both baselines on card
# precision@100 and the logistic regression on average precision, not the random forest on average precision.
[ "$version" != 4 ] || allow=(--allow-below-baseline "beats both baselines on card precision@100 (0.0800 vs random forest 0.0786, logistic regression 0.0771, ceiling 0.0943) and the logistic regression on average precision, but not the random forest on average precision (0.686 vs 0.708; paired margin within noise); settings chosen on time-aware folds, never on the test week")
work="${FRAUDSCORE_WORK:-.fraudscore/demo-model}"
cli=(node dist/src/cli/main.js)
topology=topologies/card-payments.yaml
mkdir -p "$work"

[ -f dist/src/cli/main.js ] || npm run build
bash training/setup.sh

# Training data: seed 42, 60 days; the frozen reference set: another seed, 45 days. Versions up to 4 were trained on
# 2,000 customers and 1,000 terminals: about 9 fraudulent cards a day still in play after the evaluation protocol,
# too few for card precision@100 to tell models apart (selection folds with 39 frauds in a week). From version 5 on,
# the handbook's 5,000 customers and 10,000 terminals: 22 to 29 a day, every selection fold with 250-290 frauds.
# The card records each simulation as a JSON spec (dataset.rawSource) so that `fraudscore retrain` can generate the
# same bytes again: keep sim_spec and simulate in step (retrain checks the regenerated files against the sha256s
# the backfill recorded, so a mismatch cannot go unnoticed).
if [ "$version" -le 4 ] 2>/dev/null; then customers=2000 terminals=1000; else customers=5000 terminals=10000; fi
sim_spec() { # seed days -> JSON
  printf '{"kind":"simulate","seed":%s,"customers":%s,"terminals":%s,"days":%s,"start":"2026-01-05T00:00:00Z",' \
    "$1" "$customers" "$terminals" "$2"
  printf '"labelDelayMinHours":1,"labelDelayMaxDays":7,"genuineLabelRate":1,"format":"jsonl"}'
}
simulate() { # out-dir seed days
  "${cli[@]}" simulate --out-dir "$1" --seed "$2" --days "$3" --customers "$customers" --terminals "$terminals" \
    --start 2026-01-05T00:00:00Z --label-delay-min-hours 1 --label-delay-max-days 7 --genuine-label-rate 1 --format jsonl
}
simulate "$work/train-raw" 42 60
simulate "$work/reference-raw" 1042 45
# CSV tables, as when the registered versions were trained: their cards record the SHA-256 of CSV bytes (a new
# model would take the backfill's default, Parquet).
"${cli[@]}" backfill -t "$topology" --events "$work/train-raw/events.jsonl" --labels "$work/train-raw/labels.jsonl" \
  --out "$work/train.csv" --table-format csv --no-progress >/dev/null
# The reference rows start after 30 days so that every window is warm.
"${cli[@]}" backfill -t "$topology" --events "$work/reference-raw/events.jsonl" --labels "$work/reference-raw/labels.jsonl" \
  --from 2026-02-04 --out "$work/reference.csv" --table-format csv --no-progress >/dev/null

rm -rf "$work/model"
(cd training && .venv/bin/python -m fraudtrain.train --table "../$work/train.csv" --out "../$work/model" \
  --name card-fraud --version "$version" --seed 42 --reference "../$work/reference.csv" --test-days 7 \
  --owner fraud-ml-team --threshold-alert-rate 0.01 --serving-slo '{"batchP99Ms": 100}' \
  --created-at 2026-11-25T00:00:00Z --topology "$topology" "${rollback[@]}" \
  --raw-source "$(sim_spec 42 60)" --reference-raw-source "$(sim_spec 1042 45)" "${allow[@]}")
# Version 5 is the champion the demo serves (versions 1, then 4, were until then); other versions are registered
# beside it and ship through the staged rollout (or `fraudscore models promote`).
champion=()
[ "$version" != 1 ] && [ "$version" != 5 ] || champion=(--champion)
"${cli[@]}" models register --dir "$work/model" --registry registry "${champion[@]}"
"${cli[@]}" models show "card-fraud@$version" --registry registry | head -40
sed -n '/^## Against baselines/,/^Reliability/p' "registry/card-fraud/$version/card.md"
