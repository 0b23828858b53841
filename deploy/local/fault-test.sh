#!/usr/bin/env bash
# The fault drills' short versions (test/fault: SIGKILLed workers, broker restart, Redis and registry
# outages, a rebalance, a frozen worker, a lapsed membership while alignment holds records back, a
# caught-up check the broker refuses), run against a stack of their own: they kill and restart its services, so
# never the development stack. Ports are the development stack's plus 10000 (29092, 28081, 26379),
# state in .fraudscore/drill-stack; the registry keeps its schemas in a file (the outage drill needs
# a registry that survives a restart, as a production one does; the reset drill then empties it).
#
#   bash deploy/local/fault-test.sh            # after `npm run build`
#
# Services this script started are stopped on exit; ones already running stay up. Exit code: the tests'.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

export FRAUDSCORE_KAFKA_PORT=${FRAUDSCORE_DRILL_KAFKA_PORT:-29092}
export FRAUDSCORE_KAFKA_CONTROLLER_PORT=${FRAUDSCORE_DRILL_KAFKA_CONTROLLER_PORT:-29093}
export FRAUDSCORE_REGISTRY_PORT=${FRAUDSCORE_DRILL_REGISTRY_PORT:-28081}
export FRAUDSCORE_REGISTRY_MGMT_PORT=${FRAUDSCORE_DRILL_REGISTRY_MGMT_PORT:-28082}
export FRAUDSCORE_REDIS_PORT=${FRAUDSCORE_DRILL_REDIS_PORT:-26379}
export FRAUDSCORE_STATE=${FRAUDSCORE_DRILL_STATE:-"$(cd "$HERE/../.." && pwd)/.fraudscore/drill-stack"}
export FRAUDSCORE_REGISTRY_STORAGE=file
# Redis is SIGKILLed by the drills: every write fsynced, so a kill loses no absorbed state (everysec could lose the
# last second, which the worker detects and then waits for `fraudscore state rebuild`, a drill of its own).
export FRAUDSCORE_REDIS_APPENDFSYNC=always
# Derived from the ports above by env.sh, never inherited from a development shell.
unset FRAUDSCORE_KAFKA_BROKERS FRAUDSCORE_REGISTRY_URL FRAUDSCORE_REDIS_URL
# shellcheck source=deploy/local/env.sh
source "$HERE/env.sh"
cd "$FRAUDSCORE_ROOT" || exit 1
STACK="$HERE/stack.sh"

[[ -d dist/test/fault ]] || { echo "fault-test: dist/test/fault is missing; run npm run build first" >&2; exit 1; }

# shellcheck source=deploy/local/stop-on-exit.sh
source "$HERE/stop-on-exit.sh"
stop_on_exit fault-test

bash "$STACK" up || { echo "fault-test: FAILED to bring the drill stack up" >&2; exit 1; }
# One file at a time: they share the stack, and each restarts services the others rely on.
node --test --test-concurrency=1 dist/test/fault
