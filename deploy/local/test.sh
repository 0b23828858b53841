#!/usr/bin/env bash
# The test run behind `npm test` (after build and lint): brings the local stack up, runs the
# unit tests, the integration tests and the Python trainer's tests, and leaves the stack as it
# found it: services this script started are stopped on exit (also on failure or Ctrl-C);
# services that were already running stay running.
#
# Every phase runs even if an earlier one failed, so one run shows all failures.
# Exit code: 0 if every phase passed, 1 otherwise (or if the stack could not be started).
set -uo pipefail # no -e: a failing phase is recorded, not fatal
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/env.sh
source "$HERE/env.sh"
cd "$FRAUDSCORE_ROOT" || exit 1
STACK="$HERE/stack.sh"

# shellcheck source=deploy/local/stop-on-exit.sh
source "$HERE/stop-on-exit.sh"
stop_on_exit test

if ! bash "$STACK" up; then
  echo "test: FAILED to bring the local stack up (see the messages above)" >&2
  exit 1
fi

failed=()
passed=()
phase() { # name command...
  local name=$1 t0=$SECONDS
  shift
  echo "test: === $name: $*"
  if "$@"; then
    passed+=("$name ($((SECONDS - t0))s)")
  else
    failed+=("$name ($((SECONDS - t0))s)")
  fi
}

ran=0
if [[ -d dist/test/unit ]]; then
  phase unit node --test --test-concurrency=1 dist/test/unit
  ran=1
fi
if [[ -d deploy/prometheus ]]; then
  # Alert rules: the local stack's configuration with its rules, then every rule against synthetic series.
  phase prometheus-rules bash -c \
    'promtool check config deploy/prometheus/prometheus.yml && promtool test rules deploy/prometheus/tests/*.test.yml'
  ran=1
fi
if [[ -d dist/test/integration ]]; then
  phase integration node --test --test-concurrency=1 dist/test/integration
  ran=1
fi
if [[ -d dist/test/fault ]]; then
  # Fault drills (SIGKILL, broker/Redis/registry restarts, rebalance) on a stack of their own: they kill services.
  phase fault bash deploy/local/fault-test.sh
  ran=1
fi
if [[ -f training/run-tests.sh ]]; then
  phase training bash training/run-tests.sh
  ran=1
fi
((ran)) || echo "test: no test suites found (dist/test/unit, dist/test/integration, dist/test/fault, training/run-tests.sh)"

echo "test: passed: ${passed[*]:-none}"
if ((${#failed[@]} > 0)); then
  echo "test: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "test: all passed"
