#!/usr/bin/env bash
# Produces card-fraud@2, the challenger of the lifecycle demo and tests, committed under registry/: the same data as
# card-fraud@1 (training/make-demo-model.sh: seed-42 simulation, 60 days) trained by the same trainer with other
# parameters (trainer seed 7, 10 test days, a 1.2 % alert-rate threshold), and card-fraud@1 as its rollback target.
# Registered, not promoted: it becomes champion only through a rollout.
#
#   bash scripts/make-challenger-model.sh
set -euo pipefail
cd "$(dirname "$0")/.."
work="${FRAUDSCORE_WORK:-.fraudscore/challenger-model}"
cli=(node dist/src/cli/main.js)
topology=topologies/card-payments.yaml
mkdir -p "$work"

[ -f dist/src/cli/main.js ] || npm run build
bash training/setup.sh

# Keep in step with training/make-demo-model.sh: the same simulation specs, so `fraudscore retrain` can rebuild it.
sim_spec() {
  printf '{"kind":"simulate","seed":%s,"customers":2000,"terminals":1000,"days":%s,"start":"2026-01-05T00:00:00Z",' "$1" "$2"
  printf '"labelDelayMinHours":1,"labelDelayMaxDays":7,"genuineLabelRate":1,"format":"jsonl"}'
}
simulate() {
  "${cli[@]}" simulate --out-dir "$1" --seed "$2" --days "$3" --customers 2000 --terminals 1000 \
    --start 2026-01-05T00:00:00Z --label-delay-min-hours 1 --label-delay-max-days 7 --genuine-label-rate 1 --format jsonl
}
simulate "$work/train-raw" 42 60
simulate "$work/reference-raw" 1042 45
# CSV tables, as when card-fraud@2 was trained: its card records the SHA-256 of CSV bytes (the backfill's default
# became Parquet after it; training/make-demo-model.sh does the same for the versions it makes).
"${cli[@]}" backfill -t "$topology" --events "$work/train-raw/events.jsonl" --labels "$work/train-raw/labels.jsonl" \
  --out "$work/train.csv" --table-format csv --no-progress >/dev/null
"${cli[@]}" backfill -t "$topology" --events "$work/reference-raw/events.jsonl" --labels "$work/reference-raw/labels.jsonl" \
  --from 2026-02-04 --out "$work/reference.csv" --table-format csv --no-progress >/dev/null

rm -rf "$work/model"
(cd training && .venv/bin/python -m fraudtrain.train --table "../$work/train.csv" --out "../$work/model" \
  --name card-fraud --version 2 --seed 7 --reference "../$work/reference.csv" --test-days 10 \
  --owner fraud-ml-team --threshold-alert-rate 0.012 --serving-slo '{"batchP99Ms": 100}' \
  --rollback-target card-fraud@1 --created-at 2026-12-03T00:00:00Z --topology "$topology" \
  --raw-source "$(sim_spec 42 60)" --reference-raw-source "$(sim_spec 1042 45)")
"${cli[@]}" models register --dir "$work/model" --registry registry
"${cli[@]}" models show card-fraud@2 --registry registry | head -20
