#!/usr/bin/env bash
# The main job behind `npm run demo`: installs what is missing, brings the local stack up, streams seeded simulated
# card traffic through the pipeline and prints a summary; then stops the services it started.
# Extra arguments go to `fraudscore demo` (e.g. --days 10, --keep).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/env.sh
source "$HERE/env.sh"
cd "$FRAUDSCORE_ROOT"
STACK="$HERE/stack.sh"

bash "$HERE/npm-deps.sh" demo
npm run --silent build

# shellcheck source=deploy/local/stop-on-exit.sh
source "$HERE/stop-on-exit.sh"
stop_on_exit demo

bash "$STACK" up
KAFKAJS_NO_PARTITIONER_WARNING=1 node dist/src/cli/main.js demo "$@"
