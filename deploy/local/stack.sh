#!/usr/bin/env bash
# The local stack: Kafka (KRaft, single node), Apicurio Registry (Confluent-compatible API)
# and Redis, as plain processes on 127.0.0.1. No Docker.
#
#   deploy/local/stack.sh up      [service...]   start (fetching first if needed), wait until healthy
#   deploy/local/stack.sh down    [--purge] [service...]   stop; --purge also deletes their state
#   deploy/local/stack.sh status  [service...]   one line per service: pid, address, healthy
#   deploy/local/stack.sh logs    [-f] [service...]   last lines of each log (-f: follow)
#   deploy/local/stack.sh restart <service...>   stop then start (fault drills)
#   deploy/local/stack.sh kill    <service...>   SIGKILL, no shutdown hooks (fault drills)
#   deploy/local/stack.sh running <service>      exit 0 if our process is alive (for scripts)
#   deploy/local/stack.sh topics  <TopicCommand args...>   e.g. topics --create --topic t --partitions 4
#   deploy/local/stack.sh kafka-run <main class> [args...] any Kafka tool class on the stack's classpath
#
# Services: kafka registry redis (default: all); prometheus is optional, on its own: `up prometheus` (prometheus.sh).
# Ports, state and cache dirs: see env.sh. The registry keeps its schemas in a Kafka topic by default
# (FRAUDSCORE_REGISTRY_STORAGE, env.sh): it starts after Kafka, stops before it.
#
# Exit codes: 0 ok; 1 a service failed to start/stop or a command failed; 2 usage error;
#             3 (status) at least one service not running or not healthy.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/env.sh
source "$HERE/env.sh"

ALL_SERVICES=(kafka registry redis)
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Heap caps: the whole stack, the pipeline and the tests share a 2-core machine.
KAFKA_HEAP=(-Xms256m -Xmx768m)
REGISTRY_HEAP=(-Xms64m -Xmx384m)
# For short-lived tool JVMs (health probes, topic tool): start fast rather than run fast.
TOOL_JVM=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)

say() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }
die() { err "stack: ERROR: $*"; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

# ---------------------------------------------------------------- per-service facts

svc_dir() { echo "$FRAUDSCORE_STATE/$1"; }
pid_file() { echo "$FRAUDSCORE_STATE/$1/$1.pid"; }
# The log to look at when something goes wrong.
log_file() {
  case $1 in
    kafka) echo "$FRAUDSCORE_STATE/kafka/logs/server.log" ;;
    registry) echo "$FRAUDSCORE_STATE/registry/registry.log" ;;
    redis) echo "$FRAUDSCORE_STATE/redis/redis.log" ;;
  esac
}
# Kafka's JVM stdout/stderr: usually empty, but JVM-level failures (bad flag, OOM) land here.
KAFKA_OUT() { echo "$FRAUDSCORE_STATE/kafka/logs/kafka.out"; }
ports_of() {
  case $1 in
    kafka) echo "$FRAUDSCORE_KAFKA_PORT $FRAUDSCORE_KAFKA_CONTROLLER_PORT" ;;
    registry) echo "$FRAUDSCORE_REGISTRY_PORT $FRAUDSCORE_REGISTRY_MGMT_PORT" ;;
    redis) echo "$FRAUDSCORE_REDIS_PORT" ;;
  esac
}
addr_of() {
  case $1 in
    kafka) echo "127.0.0.1:$FRAUDSCORE_KAFKA_PORT" ;;
    registry) echo "127.0.0.1:$FRAUDSCORE_REGISTRY_PORT" ;;
    redis) echo "127.0.0.1:$FRAUDSCORE_REDIS_PORT" ;;
  esac
}
# Written into the JVM command lines, so that a pid from a pid file can be told apart from an
# unrelated process that happens to have been given the same pid after a crash or reboot.
marker() { echo "-Dfraudscore.stack=$FRAUDSCORE_STATE/$1"; }

# ---------------------------------------------------------------- process helpers

# Prints the pid of our running instance of $1, or returns 1.
pid_of() {
  local svc=$1 f pid
  f=$(pid_file "$svc")
  [[ -f $f ]] || return 1
  pid=$(tr -dc '0-9' <"$f")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  # A zombie (killed, not yet reaped by its parent) is not running.
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  case $svc in
    redis) [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server ]] || return 1 ;;
    *) grep -qzxF -- "$(marker "$svc")" "/proc/$pid/cmdline" 2>/dev/null || return 1 ;; # -z: args are NUL-separated
  esac
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# Who holds a port, for error messages.
port_holder() { ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:(("\([^"]*\)",pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1; }

wait_gone() { # pid timeout_s
  local pid=$1 deadline=$((SECONDS + $2))
  while [[ -d /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# Logs are appended across restarts (useful after a fault drill); a banner marks each start so
# that the tail shown on a failure is not mistaken for the previous run's.
start_banner() { printf '===== %s: started by deploy/local/stack.sh\n' "$(date '+%F %T')" >>"$1"; }

show_log_tail() {
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    err "---- last lines of $f"
    tail -n 15 "$f" >&2
    err "----"
  done
}

# ---------------------------------------------------------------- Kafka

kafka_tool() { # main-class args...: run a Kafka tool JVM against our broker
  local cls=$1
  shift
  "$JAVA" "${TOOL_JVM[@]}" -Dlog4j2.configurationFile="$FRAUDSCORE_STATE/kafka/tools-log4j2.properties" \
    -cp "$KAFKA_LIBS/*" "$cls" "$@"
}

kafka_write_config() {
  local d
  d=$(svc_dir kafka)
  mkdir -p "$d/data" "$d/logs"
  # Rewritten on every start so that port overrides from the environment take effect.
  cat >"$d/server.properties" <<EOF
# Generated by deploy/local/stack.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$FRAUDSCORE_KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$FRAUDSCORE_KAFKA_PORT,CONTROLLER://127.0.0.1:$FRAUDSCORE_KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$FRAUDSCORE_KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$d/data
# One node: internal topics cannot have more replicas than that.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer partitions for internal topics: created on first use, and 50 of each slows the first
# consumer group / transaction of every fresh test run for nothing on a single node.
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
# Tests start a consumer group and expect it to get partitions now, not after 3 s.
group.initial.rebalance.delay.ms=0
# A typo in a topic name must fail loudly instead of creating a new, empty topic.
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
EOF
  # Broker log goes to a size-capped file; console stays quiet.
  cat >"$d/log4j2.properties" <<EOF
status = warn
name = fraudscore-kafka
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $d/logs/server.log
appender.file.filePattern = $d/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 50MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 3
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
# Per-request logging and authorizer noise are useless here and large.
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.authorizer.name = kafka.authorizer.logger
logger.authorizer.level = WARN
EOF
  # Tool JVMs (probe, topic tool): warnings to stderr only.
  cat >"$d/tools-log4j2.properties" <<EOF
status = error
appender.err.type = Console
appender.err.name = STDERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = STDERR
EOF
  # Probe settings: fail in seconds (the admin client default is 60 s) so the wait loop can retry.
  printf 'request.timeout.ms=5000\ndefault.api.timeout.ms=8000\n' >"$d/probe.properties"
}

kafka_format_once() {
  local d id voter
  d=$(svc_dir kafka)
  voter="127.0.0.1:$FRAUDSCORE_KAFKA_CONTROLLER_PORT"
  if [[ -f $d/data/meta.properties ]]; then
    # --standalone wrote the controller's address into the metadata log; a different
    # controller port would leave a quorum whose only voter is unreachable.
    if [[ -f $d/formatted-for && $(cat "$d/formatted-for") != "$voter" ]]; then
      die "kafka: state was formatted for controller $(cat "$d/formatted-for"), now configured $voter; run '$0 down --purge kafka' or restore FRAUDSCORE_KAFKA_CONTROLLER_PORT"
    fi
    return 0
  fi
  # What `StorageTool random-uuid` prints (16 random bytes, URL-safe base64, no padding), without
  # paying for a JVM start. Like Kafka, avoid a leading '-' that a CLI parser could take for an option.
  id=-
  while [[ $id == -* ]]; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
  done
  kafka_tool kafka.tools.StorageTool format --standalone -t "$id" -c "$d/server.properties" >"$d/logs/format.out" 2>&1 ||
    { show_log_tail "$d/logs/format.out"; die "kafka: storage format failed"; }
  echo "$voter" >"$d/formatted-for"
  echo "$id" >"$d/cluster.id"
  say "kafka: formatted new KRaft storage (cluster id $id) in $d/data"
}

kafka_launch() {
  local d
  d=$(svc_dir kafka)
  kafka_write_config
  kafka_format_once
  start_banner "$(KAFKA_OUT)"
  # setsid: own session, so a Ctrl-C in the terminal that ran `up` does not reach the broker.
  setsid "$JAVA" "${KAFKA_HEAP[@]}" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
    "$(marker kafka)" -Dlog4j2.configurationFile="$d/log4j2.properties" \
    -cp "$KAFKA_LIBS/*" kafka.Kafka "$d/server.properties" \
    >>"$(KAFKA_OUT)" 2>&1 </dev/null 8>&- &
  echo $! >"$(pid_file kafka)"
}

# Port open is not enough: the broker must answer a Metadata request with a broker and a
# controller. kafka-probe.mjs does that in ~50 ms; the topic tool (a JVM) is the fallback without node.
kafka_healthy() {
  port_open "$FRAUDSCORE_KAFKA_PORT" || return 1
  if command -v node >/dev/null; then
    node "$HERE/kafka-probe.mjs" 127.0.0.1 "$FRAUDSCORE_KAFKA_PORT" 3000 >/dev/null 2>&1
  else
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$FRAUDSCORE_KAFKA_PORT" \
      --command-config "$FRAUDSCORE_STATE/kafka/probe.properties" --list >/dev/null 2>&1
  fi
}

# ---------------------------------------------------------------- Apicurio Registry

REGISTRY_CCOMPAT() { echo "http://127.0.0.1:$FRAUDSCORE_REGISTRY_PORT/apis/ccompat/v7"; }
# KafkaSQL storage: the topic of the stack's broker that holds the registry's state (Apicurio creates it).
REGISTRY_JOURNAL=_registry-journal
registry_needs_kafka() { [[ $FRAUDSCORE_REGISTRY_STORAGE == kafkasql ]]; }

# Apicurio would create its journal with the broker's default retention (7 days): older schemas would then be deleted
# from Kafka, and gone after the next registry restart. So the journal is created (or altered) here, kept for ever,
# once per Kafka state dir (a marker file beside the broker's data says it was done).
registry_journal_ready() {
  local d marker
  d=$(svc_dir kafka)
  marker="$d/registry-journal.retained"
  [[ -f $marker ]] && return 0
  local bootstrap=(--bootstrap-server "127.0.0.1:$FRAUDSCORE_KAFKA_PORT")
  if [[ -d $d/data/$REGISTRY_JOURNAL-0 ]]; then
    kafka_tool org.apache.kafka.tools.ConfigCommand "${bootstrap[@]}" --alter --entity-type topics \
      --entity-name "$REGISTRY_JOURNAL" --add-config retention.ms=-1,retention.bytes=-1 >/dev/null ||
      die "registry: could not set unlimited retention on journal topic $REGISTRY_JOURNAL"
  else
    # One partition: the journal is one ordered log, replayed in order at every start.
    kafka_tool org.apache.kafka.tools.TopicCommand "${bootstrap[@]}" --create --if-not-exists \
      --topic "$REGISTRY_JOURNAL" --partitions 1 --replication-factor 1 \
      --config retention.ms=-1 --config retention.bytes=-1 --config cleanup.policy=delete >/dev/null ||
      die "registry: could not create journal topic $REGISTRY_JOURNAL"
  fi
  touch "$marker"
}

registry_launch() {
  local d jar f
  d=$(svc_dir registry)
  mkdir -p "$d"
  # The 3.0.9 tarball ships a "legacy-jar" layout: <name>-runner.jar plus lib/ (no quarkus-run.jar).
  jar=""
  for f in "$APICURIO_HOME"/app/*-runner.jar "$APICURIO_HOME"/app/quarkus-run.jar; do
    [[ -f $f ]] && jar=$f && break
  done
  [[ -n $jar ]] || die "registry: no runnable jar under $APICURIO_HOME/app (run deploy/local/fetch.sh registry)"
  local storage
  case $FRAUDSCORE_REGISTRY_STORAGE in
    # The journal topic holds every change in order; each start replays it, so ids come out the same.
    kafkasql) storage=(-Dapicurio.storage.kind=kafkasql
      -Dapicurio.kafkasql.bootstrap.servers="127.0.0.1:$FRAUDSCORE_KAFKA_PORT" -Dapicurio.kafkasql.topic="$REGISTRY_JOURNAL") ;;
    file) storage=(-Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 -Dapicurio.datasource.url="jdbc:h2:file:$d/h2/fraudscore") ;;
    mem) storage=(-Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 -Dapicurio.datasource.url=jdbc:h2:mem:fraudscore) ;;
    *) die "registry: FRAUDSCORE_REGISTRY_STORAGE=$FRAUDSCORE_REGISTRY_STORAGE; expected kafkasql, file or mem" ;;
  esac
  start_banner "$(log_file registry)"
  # Management interface pinned to loopback: by default Quarkus binds it to 0.0.0.0:9000.
  # Storage (env.sh): kafkasql by default, so that ids survive restarts as with a production registry; mem forgets
  # every schema on restart and hands ids out again from 1, to whatever is registered first. `up` re-applies the
  # default compatibility rule either way.
  (cd "$d" && exec setsid "$JAVA" "${REGISTRY_HEAP[@]}" -XX:+ExitOnOutOfMemoryError "$(marker registry)" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$FRAUDSCORE_REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$FRAUDSCORE_REGISTRY_MGMT_PORT" \
    "${storage[@]}" -Djava.io.tmpdir="$d" \
    -Dquarkus.log.console.format='%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%c{3.}] (%t) %m%n' \
    -jar "$jar" >>"$(log_file registry)" 2>&1 </dev/null 8>&-) &
  echo $! >"$(pid_file registry)"
}

registry_healthy() {
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$(REGISTRY_CCOMPAT)/subjects" 2>/dev/null) == 200 ]]
}

# Apicurio defaults to NONE. FORWARD_TRANSITIVE is the level the pipeline needs on the subjects it reads with its
# contract as the reader schema (input, labels): every version upstream registers stays readable by every older one,
# the contract among them (docs/guarantees-input.md). The subjects it writes it raises to FULL_TRANSITIVE itself
# (schemaRegistry.manageSubjects lists them by default).
# The first write after start goes through the registry's journal topic, which Kafka may take several seconds to
# serve (seen: 5 s on a loaded machine): a longer limit, and retries, since setting it again changes nothing.
registry_set_compat() {
  local ct=application/vnd.schemaregistry.v1+json got
  curl -sf --max-time 30 --retry 3 --retry-all-errors -X PUT -H "Content-Type: $ct" \
    --data '{"compatibility":"FORWARD_TRANSITIVE"}' "$(REGISTRY_CCOMPAT)/config" >/dev/null ||
    die "registry: PUT /config (compatibility FORWARD_TRANSITIVE) failed"
  got=$(curl -sf --max-time 5 "$(REGISTRY_CCOMPAT)/config") || die "registry: GET /config failed"
  [[ $got == *'"FORWARD_TRANSITIVE"'* ]] || die "registry: compatibility did not take, GET /config says: $got"
}

# ---------------------------------------------------------------- Redis

redis_launch() {
  local d
  d=$(svc_dir redis)
  mkdir -p "$d"
  rm -f "$(pid_file redis)"
  # The append-only file (in the state dir) is on unless FRAUDSCORE_REDIS_APPENDONLY=no (env.sh: yes by default,
  # fsync every FRAUDSCORE_REDIS_APPENDFSYNC), so that the feature state survives a restart.
  # --bind is needed: without a config file Redis listens on all interfaces.
  local aof=(--appendonly no)
  [[ $FRAUDSCORE_REDIS_APPENDONLY == yes ]] && aof=(--appendonly yes --appendfsync "$FRAUDSCORE_REDIS_APPENDFSYNC")
  redis-server --port "$FRAUDSCORE_REDIS_PORT" --bind 127.0.0.1 --save '' "${aof[@]}" \
    --daemonize yes --pidfile "$(pid_file redis)" --logfile "$(log_file redis)" --dir "$d" >/dev/null 8>&- ||
    die "redis: redis-server refused to start; see $(log_file redis)"
  # It daemonizes: the pid file appears a moment later (or never, if it failed to bind).
  local _
  for _ in $(seq 50); do
    [[ -s $(pid_file redis) ]] && return 0
    sleep 0.1
  done
}

redis_healthy() {
  [[ $(redis-cli -h 127.0.0.1 -p "$FRAUDSCORE_REDIS_PORT" ping 2>/dev/null) == PONG ]]
}

# ---------------------------------------------------------------- generic lifecycle

healthy() { "$1_healthy"; }

# Phase 1 of `up`: start the process unless ours is already running; never wait here.
# Sets LAUNCHED[svc]=start time when it started one.
declare -A LAUNCHED=()
launch() {
  local svc=$1 pid p holder
  if pid=$(pid_of "$svc"); then
    say "$svc: already running (pid $pid) on $(addr_of "$svc"), not starting it again"
    return 0
  fi
  if [[ -f $(pid_file "$svc") ]]; then
    rm -f "$(pid_file "$svc")" # left behind by a crash or kill -9
  fi
  for p in $(ports_of "$svc"); do
    if port_open "$p"; then
      holder=$(port_holder "$p")
      die "$svc: port 127.0.0.1:$p is already in use by ${holder:-another process} (not ours: no live pid file in $(svc_dir "$svc")); stop it or set the FRAUDSCORE_*_PORT variables"
    fi
  done
  LAUNCHED[$svc]=$EPOCHREALTIME
  "${svc}_launch"
  say "$svc: starting on $(addr_of "$svc") (log $(log_file "$svc"))"
}

# Phase 2 of `up`: wait until all are healthy, polling them side by side so that each
# "ready in" is that service's own start time. Fails early if a process dies.
await_all() {
  local -a pending=("$@")
  local deadline=$((SECONDS + FRAUDSCORE_START_TIMEOUT)) svc pid
  while ((${#pending[@]} > 0)); do
    local -a still=()
    for svc in "${pending[@]}"; do
      if ! pid=$(pid_of "$svc"); then
        show_log_tail "$(log_file "$svc")"
        [[ $svc == kafka ]] && show_log_tail "$(KAFKA_OUT)"
        die "$svc: process exited during startup; see $(log_file "$svc")"
      fi
      if ! healthy "$svc"; then
        still+=("$svc")
        continue
      fi
      [[ $svc == registry ]] && registry_set_compat
      if [[ -n ${LAUNCHED[$svc]:-} ]]; then
        say "$svc: ready in $(elapsed "${LAUNCHED[$svc]}") (pid $pid)"
      else
        say "$svc: healthy (pid $pid)"
      fi
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} > 0)) || break
    if ((SECONDS >= deadline)); then
      for svc in "${pending[@]}"; do show_log_tail "$(log_file "$svc")"; done
      die "${pending[*]}: not healthy after ${FRAUDSCORE_START_TIMEOUT}s (still running); see the logs above"
    fi
    sleep 0.2
  done
}

stop() { # svc signal
  local svc=$1 sig=${2:-TERM} pid t0
  if ! pid=$(pid_of "$svc"); then
    rm -f "$(pid_file "$svc")"
    say "$svc: not running"
    return 0
  fi
  t0=$EPOCHREALTIME
  kill "-$sig" "$pid" 2>/dev/null || true
  # Kafka's controlled shutdown takes a few seconds; after 60 s we stop being polite.
  if ! wait_gone "$pid" 60; then
    err "$svc: pid $pid did not exit after SIGTERM within 60s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "$svc: pid $pid survives SIGKILL"
  fi
  rm -f "$(pid_file "$svc")"
  if [[ $sig == KILL ]]; then
    say "$svc: killed (SIGKILL, pid $pid)"
  else
    say "$svc: stopped (pid $pid) in $(elapsed "$t0")"
  fi
}

# Stops $SERVICES, the registry before Kafka: with KafkaSQL storage it writes to the broker until it exits.
stop_in_order() { # signal
  local s
  for s in registry redis kafka; do
    [[ " ${SERVICES[*]} " == *" $s "* ]] && stop "$s" "$1"
  done
  return 0
}

status_line() {
  local svc=$1 pid h=no
  if pid=$(pid_of "$svc"); then
    healthy "$svc" && h=yes
  else
    pid=-
  fi
  printf '%-9s pid %-8s %-16s healthy %s\n' "$svc" "$pid" "$(addr_of "$svc")" "$h"
  [[ $h == yes ]]
}

# Serializes up/down/restart/kill, e.g. two test runs starting the same stack at once.
# Every launch closes fd 8 (8>&-): a service that inherited it would hold the lock for its lifetime.
lock_state() {
  mkdir -p "$FRAUDSCORE_STATE"
  exec 8>"$FRAUDSCORE_STATE/.lock"
  flock 8
}

need_java() {
  command -v "$JAVA" >/dev/null || die "java not found (need Java 17+)"
}

services_from_args() {
  SERVICES=()
  local a
  for a in "$@"; do
    case $a in
      kafka | registry | redis) SERVICES+=("$a") ;;
      *) err "unknown service '$a' (expected: ${ALL_SERVICES[*]})"; exit 2 ;;
    esac
  done
  [[ ${#SERVICES[@]} -gt 0 ]] || SERVICES=("${ALL_SERVICES[@]}")
}

# The header comment of this file is the help text.
usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2; }

# ---------------------------------------------------------------- commands

cmd_up() {
  services_from_args "$@"
  lock_state
  local s fetch=() first=() waited=()
  for s in "${SERVICES[@]}"; do
    [[ $s == redis ]] || need_java
    fetch+=("$s")
  done
  # Cheap when cached (checksum check only); downloads or installs on a fresh machine.
  FRAUDSCORE_FETCH_QUIET=1 bash "$HERE/fetch.sh" "${fetch[@]}" || die "fetch failed"
  # Start everything first, then wait: the JVMs warm up in parallel (~2x faster on 2 cores). Except a registry that
  # keeps its state in Kafka: it reads its journal from the broker as it starts, so it starts once Kafka answers.
  for s in "${SERVICES[@]}"; do
    [[ $s == registry ]] && registry_needs_kafka || launch "$s"
  done
  if [[ " ${SERVICES[*]} " == *" registry "* ]] && registry_needs_kafka && ! pid_of registry >/dev/null; then
    if [[ " ${SERVICES[*]} " == *" kafka "* ]]; then
      await_all kafka
      waited=(kafka)
    elif ! pid_of kafka >/dev/null || ! kafka_healthy; then
      die "registry: its storage (FRAUDSCORE_REGISTRY_STORAGE=kafkasql) is a topic of the stack's Kafka, which is not running; run '$0 up kafka registry'"
    fi
  fi
  for s in "${SERVICES[@]}"; do
    if [[ $s == registry ]] && registry_needs_kafka && ! pid_of registry >/dev/null; then
      registry_journal_ready
      launch registry
    fi
    [[ " ${waited[*]-} " == *" $s "* ]] || first+=("$s")
  done
  await_all "${first[@]}"
}

cmd_down() {
  local purge=0 args=() s
  for s in "$@"; do
    if [[ $s == --purge ]]; then purge=1; else args+=("$s"); fi
  done
  services_from_args "${args[@]+"${args[@]}"}"
  lock_state
  stop_in_order TERM
  if ((purge)); then
    case $FRAUDSCORE_STATE in
      / | "$HOME" | "$FRAUDSCORE_ROOT" | "") die "refusing to purge FRAUDSCORE_STATE=$FRAUDSCORE_STATE" ;;
    esac
    if [[ ${#args[@]} -eq 0 ]]; then
      exec 8>&- # release the lock file before deleting it
      rm -rf "$FRAUDSCORE_STATE"
      say "purged $FRAUDSCORE_STATE"
    else
      for s in "${SERVICES[@]}"; do rm -rf "${FRAUDSCORE_STATE:?}/$s"; done
      say "purged state of: ${SERVICES[*]}"
    fi
  fi
}

cmd_status() {
  services_from_args "$@"
  local s rc=0
  for s in "${SERVICES[@]}"; do status_line "$s" || rc=3; done
  return $rc
}

cmd_logs() {
  local follow=0 args=() s files=()
  for s in "$@"; do
    if [[ $s == -f ]]; then follow=1; else args+=("$s"); fi
  done
  services_from_args "${args[@]+"${args[@]}"}"
  for s in "${SERVICES[@]}"; do files+=("$(log_file "$s")"); done
  if ((follow)); then
    exec tail -n 20 -F "${files[@]}"
  fi
  for s in "${SERVICES[@]}"; do
    say "==> $s: $(log_file "$s")"
    tail -n 25 "$(log_file "$s")" 2>/dev/null || say "(no log yet)"
  done
}

cmd_restart() {
  [[ $# -gt 0 ]] || usage
  services_from_args "$@"
  local s
  (
    lock_state
    stop_in_order TERM
  )
  cmd_up "${SERVICES[@]}"
}

cmd_kill() {
  [[ $# -gt 0 ]] || usage
  services_from_args "$@"
  lock_state
  stop_in_order KILL
}

cmd_running() {
  [[ $# -eq 1 ]] || usage
  services_from_args "$1"
  pid_of "$1" >/dev/null
}

# Optional, never in the default set, with a script of its own: `stack.sh up prometheus` (deploy/local/prometheus.sh).
if [[ $# -ge 2 && ${*: -1} == prometheus ]]; then exec bash "$HERE/prometheus.sh" "$1" "${@:2:$#-2}"; fi

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  logs) cmd_logs "$@" ;;
  restart) cmd_restart "$@" ;;
  kill) cmd_kill "$@" ;;
  running) cmd_running "$@" ;;
  topics)
    need_java
    [[ -f $FRAUDSCORE_STATE/kafka/tools-log4j2.properties ]] || kafka_write_config
    kafka_tool org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$FRAUDSCORE_KAFKA_PORT" "$@"
    ;;
  kafka-run)
    need_java
    [[ $# -gt 0 ]] || usage
    [[ -f $FRAUDSCORE_STATE/kafka/tools-log4j2.properties ]] || kafka_write_config
    kafka_tool "$@"
    ;;
  -h | --help | help) usage ;;
  *) usage ;;
esac
