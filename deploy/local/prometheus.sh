#!/usr/bin/env bash
# Prometheus (Debian's `prometheus` package) as an optional service of the local stack: scrapes the workers and
# evaluates the alert rules of deploy/prometheus/. Also reached as `deploy/local/stack.sh <cmd> prometheus` and
# `fraudscore stack <cmd> prometheus`.
#
#   deploy/local/prometheus.sh up       start unless running, wait until ready
#   deploy/local/prometheus.sh down     [--purge]   stop; --purge also deletes the TSDB
#   deploy/local/prometheus.sh status   pid, address, ready (exit 3 if not running or not ready)
#   deploy/local/prometheus.sh logs     [-f]   the log's tail (-f: follow)
#   deploy/local/prometheus.sh running  exit 0 if our process is alive
#
# Its own port and data, never the distribution's service (the package may start one on 9090):
#   FRAUDSCORE_PROMETHEUS_PORT    listen port on 127.0.0.1 (default 19090)
#   FRAUDSCORE_PROMETHEUS_CONFIG  configuration file (default deploy/prometheus/prometheus.yml)
#   FRAUDSCORE_STATE              state dir (see env.sh); TSDB, log and pid file under <state>/prometheus
#
# Exit codes: 0 ok; 1 failed to start/stop; 2 usage error; 3 (status) not running or not ready.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/env.sh
source "$HERE/env.sh"

: "${FRAUDSCORE_PROMETHEUS_PORT:=19090}"
: "${FRAUDSCORE_PROMETHEUS_CONFIG:=$FRAUDSCORE_ROOT/deploy/prometheus/prometheus.yml}"
DIR="$FRAUDSCORE_STATE/prometheus"
PID_FILE="$DIR/prometheus.pid"
LOG="$DIR/prometheus.log"
URL="http://127.0.0.1:$FRAUDSCORE_PROMETHEUS_PORT"

say() { printf '%s\n' "$*"; }
die() { printf 'prometheus: ERROR: %s\n' "$*" >&2; exit 1; }
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2; }

# Prints the pid of our instance, or returns 1. The data dir on its command line tells ours from any other
# prometheus (the distribution's service, another checkout's) or from a recycled pid.
pid_of() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid=$(tr -dc '0-9' <"$PID_FILE")
  [[ -n $pid && -d /proc/$pid && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  grep -qzxF -- "--storage.tsdb.path=$DIR/data" "/proc/$pid/cmdline" 2>/dev/null || return 1
  echo "$pid"
}

ready() { [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/-/ready" 2>/dev/null) == 200 ]]; }

cmd_up() {
  local pid deadline
  command -v prometheus >/dev/null || die "prometheus is not installed: apt-get install -y prometheus (Debian)"
  if pid=$(pid_of); then
    say "prometheus: already running (pid $pid) on $URL"
    return 0
  fi
  if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$FRAUDSCORE_PROMETHEUS_PORT" 2>/dev/null; then
    die "port 127.0.0.1:$FRAUDSCORE_PROMETHEUS_PORT is in use by another process; set FRAUDSCORE_PROMETHEUS_PORT"
  fi
  [[ -f $FRAUDSCORE_PROMETHEUS_CONFIG ]] || die "no configuration file $FRAUDSCORE_PROMETHEUS_CONFIG"
  mkdir -p "$DIR/data"
  printf '===== %s: started by deploy/local/prometheus.sh\n' "$(date '+%F %T')" >>"$LOG"
  # setsid: a Ctrl-C in the terminal that ran `up` must not reach it. 8>&-: never inherit stack.sh's lock.
  setsid prometheus --config.file="$FRAUDSCORE_PROMETHEUS_CONFIG" --storage.tsdb.path="$DIR/data" \
    --storage.tsdb.retention.time=7d --web.listen-address="127.0.0.1:$FRAUDSCORE_PROMETHEUS_PORT" \
    >>"$LOG" 2>&1 </dev/null 8>&- &
  echo $! >"$PID_FILE"
  say "prometheus: starting on $URL (config $FRAUDSCORE_PROMETHEUS_CONFIG, log $LOG)"
  deadline=$((SECONDS + FRAUDSCORE_START_TIMEOUT))
  until ready; do
    if ! pid_of >/dev/null; then
      tail -n 15 "$LOG" >&2
      die "process exited during startup; see $LOG"
    fi
    ((SECONDS < deadline)) || die "not ready after ${FRAUDSCORE_START_TIMEOUT}s; see $LOG"
    sleep 0.2
  done
  say "prometheus: ready (pid $(pid_of))"
}

cmd_down() {
  local pid deadline
  if pid=$(pid_of); then
    kill -TERM "$pid"
    deadline=$((SECONDS + 30))
    while [[ -d /proc/$pid && $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
      if ((SECONDS >= deadline)); then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
    say "prometheus: stopped (pid $pid)"
  else
    say "prometheus: not running"
  fi
  rm -f "$PID_FILE"
  if [[ ${1:-} == --purge ]]; then
    rm -rf "${DIR:?}/data"
    say "prometheus: purged $DIR/data"
  fi
}

cmd_status() {
  local pid r=no
  if pid=$(pid_of); then ready && r=yes; else pid=-; fi
  printf '%-9s pid %-8s %-16s healthy %s\n' prometheus "$pid" "127.0.0.1:$FRAUDSCORE_PROMETHEUS_PORT" "$r"
  [[ $r == yes ]] || return 3
}

cmd=${1:-}
shift || true
case $cmd in
  up) cmd_up ;;
  down) cmd_down "$@" ;;
  status) cmd_status ;;
  logs) if [[ ${1:-} == -f ]]; then exec tail -n 20 -F "$LOG"; else tail -n 25 "$LOG" 2>/dev/null || say "(no log yet)"; fi ;;
  running) pid_of >/dev/null ;;
  *) usage ;;
esac
