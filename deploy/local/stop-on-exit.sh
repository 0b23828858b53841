# Sourced by demo.sh, test.sh and fault-test.sh: remembers which services are not running yet and stops exactly those
# when the script exits (also on failure, Ctrl-C or TERM), so a run leaves the stack as it found it.
# Needs $STACK (the stack.sh to call). Usage: stop_on_exit <label>
stop_on_exit() {
  STOP_ON_EXIT_LABEL=$1
  STOP_ON_EXIT_SERVICES=()
  local s
  for s in kafka registry redis; do
    bash "$STACK" running "$s" || STOP_ON_EXIT_SERVICES+=("$s")
  done
  trap _stop_on_exit_cleanup EXIT
  # Turn signals into a normal exit so that the EXIT trap (and the stack shutdown) runs.
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_stop_on_exit_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if ((${#STOP_ON_EXIT_SERVICES[@]} > 0)); then
    echo "$STOP_ON_EXIT_LABEL: stopping the services this run started: ${STOP_ON_EXIT_SERVICES[*]}"
    bash "$STACK" down "${STOP_ON_EXIT_SERVICES[@]}" || rc=1
  fi
  exit "$rc"
}
