#!/usr/bin/env bash
# The secured variant of the local stack, for the security tests and for trying the secured
# topology settings by hand. Plain processes on 127.0.0.1, like stack.sh, but with a state dir
# and ports of its own: the plain stack (stack.sh) is neither used nor changed.
#
#   kafka     KRaft broker + controller whose only client listener is SASL_SSL: SCRAM-SHA-512 over
#             TLS, with a throw-away CA and broker certificate made here with openssl (PEM stores)
#   redis     Debian's redis-server with an ACL user; the `default` user is disabled
#   registry  Apicurio Registry 3.0.9 enforcing HTTP basic auth on every path (Quarkus' embedded
#             users realm, which the 3.0.9 build ships; no OIDC server involved)
#
#   deploy/local/secure-stack.sh up     [service...]           start (fetching first if needed), wait until healthy
#   deploy/local/secure-stack.sh down   [--purge] [service...] stop (SIGTERM, SIGKILL after 30 s); --purge deletes the state
#   deploy/local/secure-stack.sh status [service...]           one line per service; exit 3 if one is not healthy
#   deploy/local/secure-stack.sh env                           shell assignments: addresses, user, CA file, secret files
#
# Services: kafka redis registry (default: all). Settings (environment, defaults in brackets):
#   FRAUDSCORE_SECURE_STATE [.fraudscore/secure]   state, logs, certificates, generated secrets
#   FRAUDSCORE_SECURE_KAFKA_PORT [19192]  FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT [19193]
#   FRAUDSCORE_SECURE_REDIS_PORT [16479]
#   FRAUDSCORE_SECURE_REGISTRY_PORT [18181]  FRAUDSCORE_SECURE_REGISTRY_MGMT_PORT [18182]
#   FRAUDSCORE_SECURE_USER [fraudscore]   the client user of all three services
#   FRAUDSCORE_SECURE_REDIS_KEYS [fs:*]   the key pattern that user may touch (the topologies' keyPrefix)
#   FRAUDSCORE_SECURE_{KAFKA,REDIS,REGISTRY}_PASSWORD   the client passwords; when unset, one is
#       generated on first use into $FRAUDSCORE_SECURE_STATE/secrets/<service>.password (mode 600).
#       A given one is written there too, so that the files always hold what the services expect.
#       Letters, digits and -_.+/= only (they are quoted into curl and properties files).
#
# No clear password reaches a command line or a config file: Kafka gets salted SCRAM credentials
# at format time (computed here with PBKDF2), Redis a SHA-256 of the password on stdin, Apicurio an
# MD5 digest in its embedded realm (that realm's only hashed form; a local test convenience, not a
# production setup: production Apicurio authenticates against OIDC). The broker's own inter-broker
# password is random per state dir and lives only in its server.properties (mode 600).
#
# Exit codes: 0 ok; 1 a service failed to start/stop; 2 usage error; 3 (status) not all healthy.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/local/env.sh
source "$HERE/env.sh"

: "${FRAUDSCORE_SECURE_STATE:=$FRAUDSCORE_ROOT/.fraudscore/secure}"
: "${FRAUDSCORE_SECURE_KAFKA_PORT:=19192}"
: "${FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT:=19193}"
: "${FRAUDSCORE_SECURE_REDIS_PORT:=16479}"
: "${FRAUDSCORE_SECURE_REGISTRY_PORT:=18181}"
: "${FRAUDSCORE_SECURE_REGISTRY_MGMT_PORT:=18182}"
: "${FRAUDSCORE_SECURE_USER:=fraudscore}"
: "${FRAUDSCORE_SECURE_REDIS_KEYS:=fs:*}"
STATE=$FRAUDSCORE_SECURE_STATE
USER_NAME=$FRAUDSCORE_SECURE_USER

ALL_SERVICES=(kafka redis registry)
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
# These services carry test traffic only: C1-only JIT and the serial GC start them about twice as
# fast on a busy 2-core machine (secure Kafka measured 18.6 s -> 10.5 s at load average 7).
KAFKA_JVM=(-Xms256m -Xmx768m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC)
REGISTRY_JVM=(-Xms64m -Xmx384m -XX:TieredStopAtLevel=1)
# Short-lived tool JVMs (storage format): start fast rather than run fast.
TOOL_JVM=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto)
# Kafka accepts 4096..16384 for SCRAM-SHA-512; the minimum keeps every client login cheap on 2 cores.
SCRAM_ITERATIONS=4096

say() { printf '%s\n' "$*"; }
err() { printf '%s\n' "$*" >&2; }
die() { err "secure-stack: ERROR: $*"; exit 1; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1fs", b - a }'; }

svc_dir() { echo "$STATE/$1"; }
pid_file() { echo "$STATE/$1/$1.pid"; }
log_file() {
  case $1 in
    kafka) echo "$STATE/kafka/logs/server.log" ;;
    redis) echo "$STATE/redis/redis.log" ;;
    registry) echo "$STATE/registry/registry.log" ;;
  esac
}
ports_of() {
  case $1 in
    kafka) echo "$FRAUDSCORE_SECURE_KAFKA_PORT $FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT" ;;
    redis) echo "$FRAUDSCORE_SECURE_REDIS_PORT" ;;
    registry) echo "$FRAUDSCORE_SECURE_REGISTRY_PORT $FRAUDSCORE_SECURE_REGISTRY_MGMT_PORT" ;;
  esac
}
addr_of() {
  case $1 in
    kafka) echo "127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_PORT" ;;
    redis) echo "127.0.0.1:$FRAUDSCORE_SECURE_REDIS_PORT" ;;
    registry) echo "127.0.0.1:$FRAUDSCORE_SECURE_REGISTRY_PORT" ;;
  esac
}
# In the JVM command lines, so that a recycled pid is never mistaken for ours.
marker() { echo "-Dfraudscore.secure=$STATE/$1"; }

pid_of() {
  local svc=$1 f pid
  f=$(pid_file "$svc")
  [[ -f $f ]] || return 1
  pid=$(tr -dc '0-9' <"$f")
  [[ -n $pid && -d /proc/$pid ]] || return 1
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  case $svc in
    redis) [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server ]] || return 1 ;;
    *) grep -qzxF -- "$(marker "$svc")" "/proc/$pid/cmdline" 2>/dev/null || return 1 ;;
  esac
  echo "$pid"
}

port_open() { timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

wait_gone() { # pid timeout_s
  local pid=$1 deadline=$((SECONDS + $2))
  while [[ -d /proc/$pid ]] && [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]]; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

show_log_tail() {
  local f
  for f in "$@"; do
    [[ -s $f ]] || continue
    err "---- last lines of $f"
    tail -n 15 "$f" >&2
    err "----"
  done
}

# ---------------------------------------------------------------- secrets

# Prints the client password of a service: from FRAUDSCORE_SECURE_<SVC>_PASSWORD, else the secret
# file, else a new random one. Leaves the secret file holding exactly that value.
secret_of() {
  local svc=$1 var value file
  var="FRAUDSCORE_SECURE_${svc^^}_PASSWORD"
  file="$STATE/secrets/$svc.password"
  value=${!var:-}
  if [[ -z $value && -s $file ]]; then
    value=$(<"$file")
  fi
  if [[ -z $value ]]; then
    value=$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  fi
  [[ $value =~ ^[A-Za-z0-9._+/=-]+$ ]] || die "$var: use letters, digits and -_.+/= only"
  mkdir -p "$STATE/secrets"
  chmod 700 "$STATE/secrets"
  if [[ ! -s $file || $(<"$file") != "$value" ]]; then
    (umask 077 && printf '%s' "$value" >"$file")
  fi
  printf '%s' "$value"
}

# SCRAM-SHA-512 credential for Kafka's StorageTool: "salt=...,saltedpassword=..." (base64, RFC 5802
# Hi() = PBKDF2-HMAC-SHA-512). The password reaches node through its environment, never argv.
scram_credential() { # password
  # shellcheck disable=SC2016 # ${...} below is JavaScript, not shell
  SCRAM_PASSWORD=$1 node -e '
    const crypto = require("node:crypto");
    const salt = crypto.randomBytes(24);
    const salted = crypto.pbkdf2Sync(Buffer.from(process.env.SCRAM_PASSWORD, "utf8"), salt, Number(process.argv[1]), 64, "sha512");
    process.stdout.write(`salt="${salt.toString("base64")}",saltedpassword="${salted.toString("base64")}"`);
  ' "$SCRAM_ITERATIONS"
}

# ---------------------------------------------------------------- Kafka (SASL_SSL)

KAFKA_TLS() { echo "$STATE/kafka/tls"; }

kafka_make_certificates() {
  local tls
  tls=$(KAFKA_TLS)
  [[ -s $tls/ca.pem && -s $tls/broker.keystore.pem ]] && return 0
  mkdir -p "$tls"
  chmod 700 "$tls"
  # A CA valid for a week signs a broker certificate for 127.0.0.1 and localhost (SAN: clients
  # check the IP they dialled). Both keys stay in this dir; the CA key signs nothing else.
  openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj "/CN=fraudscore throw-away test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null || die "kafka: openssl could not make the CA"
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/broker.key" -out "$tls/broker.csr" 2>/dev/null || die "kafka: openssl could not make the broker key"
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'basicConstraints=CA:FALSE' \
    'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth,clientAuth' >"$tls/broker.ext"
  openssl x509 -req -days 7 -in "$tls/broker.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial \
    -extfile "$tls/broker.ext" -out "$tls/broker.crt" 2>/dev/null || die "kafka: openssl could not sign the broker certificate"
  # Kafka's PEM key store: the private key (unencrypted PKCS#8, which openssl writes by default)
  # followed by the certificate chain.
  cat "$tls/broker.key" "$tls/broker.crt" "$tls/ca.pem" >"$tls/broker.keystore.pem"
  chmod 600 "$tls"/*.key "$tls/broker.keystore.pem"
  rm -f "$tls/broker.csr"
}

kafka_write_config() {
  local d tls broker_password
  d=$(svc_dir kafka)
  tls=$(KAFKA_TLS)
  mkdir -p "$d/data" "$d/logs"
  if [[ ! -s $d/broker.password ]]; then
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$d/broker.password")
  fi
  broker_password=$(<"$d/broker.password")
  (
    umask 077
    cat >"$d/server.properties" <<EOF
# Generated by deploy/local/secure-stack.sh on every start; edit the script, not this file.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT
# The only listener clients can use is SASL_SSL. The controller listener stays PLAINTEXT on
# loopback: only this node's broker talks to it, and Kafka clients cannot produce or consume there.
listeners=SASL_SSL://127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_PORT,CONTROLLER://127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT
advertised.listeners=SASL_SSL://127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_PORT
controller.listener.names=CONTROLLER
listener.security.protocol.map=CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL
inter.broker.listener.name=SASL_SSL
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" password="$broker_password";
ssl.keystore.type=PEM
ssl.keystore.location=$tls/broker.keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
ssl.client.auth=none
log.dirs=$d/data
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
offsets.topic.num.partitions=8
transaction.state.log.num.partitions=8
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
EOF
  )
  cat >"$d/log4j2.properties" <<EOF
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = $d/logs/server.log
appender.file.filePattern = $d/logs/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  printf '%s\n' 'status = error' 'appender.err.type = Console' 'appender.err.name = STDERR' \
    'appender.err.target = SYSTEM_ERR' 'appender.err.layout.type = PatternLayout' \
    'appender.err.layout.pattern = %p %m (%c)%n' 'rootLogger.level = WARN' \
    'rootLogger.appenderRef.err.ref = STDERR' >"$d/tools-log4j2.properties"
}

# SCRAM users exist from the first metadata record on: no admin round trip, no plaintext listener.
kafka_format_once() {
  local d id password
  d=$(svc_dir kafka)
  if [[ -f $d/data/meta.properties ]]; then
    [[ $(<"$d/formatted-for") == "$FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT $(secret_of kafka | sha256sum | cut -c1-16)" ]] ||
      die "kafka: $d was formatted for another controller port or client password; run '$0 down --purge kafka'"
    return 0
  fi
  password=$(secret_of kafka)
  id=-
  while [[ $id == -* ]]; do id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '='); done
  "$JAVA" "${TOOL_JVM[@]}" -Dlog4j2.configurationFile="$d/tools-log4j2.properties" -cp "$KAFKA_LIBS/*" \
    kafka.tools.StorageTool format --standalone -t "$id" -c "$d/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=broker,iterations=$SCRAM_ITERATIONS,$(scram_credential "$(<"$d/broker.password")")]" \
    --add-scram "SCRAM-SHA-512=[name=$USER_NAME,iterations=$SCRAM_ITERATIONS,$(scram_credential "$password")]" \
    >"$d/logs/format.out" 2>&1 || { show_log_tail "$d/logs/format.out"; die "kafka: storage format failed"; }
  # Which port and password the metadata log holds (a digest prefix, not the password).
  echo "$FRAUDSCORE_SECURE_KAFKA_CONTROLLER_PORT $(printf '%s' "$password" | sha256sum | cut -c1-16)" >"$d/formatted-for"
}

kafka_launch() {
  local d
  d=$(svc_dir kafka)
  command -v openssl >/dev/null || die "kafka: openssl not found"
  command -v node >/dev/null || die "kafka: node not found (computes the SCRAM credentials)"
  kafka_make_certificates
  kafka_write_config
  kafka_format_once
  # The readiness check looks for the start line written after this offset.
  stat -c %s "$(log_file kafka)" 2>/dev/null >"$d/log-offset" || echo 0 >"$d/log-offset"
  setsid "$JAVA" "${KAFKA_JVM[@]}" -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true "$(marker kafka)" \
    -Dlog4j2.configurationFile="$d/log4j2.properties" -cp "$KAFKA_LIBS/*" kafka.Kafka "$d/server.properties" \
    >>"$d/logs/kafka.out" 2>&1 </dev/null 8>&- &
  echo $! >"$(pid_file kafka)"
}

# Started (per its log) and completing a TLS handshake that verifies against our CA.
kafka_healthy() {
  local d
  d=$(svc_dir kafka)
  port_open "$FRAUDSCORE_SECURE_KAFKA_PORT" || return 1
  tail -c +"$(($(cat "$d/log-offset" 2>/dev/null || echo 0) + 1))" "$(log_file kafka)" 2>/dev/null |
    grep -q 'Kafka Server started' || return 1
  timeout 5 openssl s_client -connect "127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_PORT" -CAfile "$(KAFKA_TLS)/ca.pem" \
    -verify_return_error -brief </dev/null >/dev/null 2>&1
}

# ---------------------------------------------------------------- Redis (ACL user)

redis_launch() {
  local d hash
  d=$(svc_dir redis)
  mkdir -p "$d"
  rm -f "$(pid_file redis)"
  hash=$(secret_of redis | sha256sum | cut -d' ' -f1)
  # The config arrives on stdin (`redis-server -`), so the ACL line with the password hash is in
  # neither argv nor a file. `default` is off: a client without credentials gets NOAUTH.
  # The user may touch its key pattern only, and no @dangerous command (FLUSHALL, KEYS, CONFIG,
  # ...) except INFO, which ioredis' ready check sends.
  printf '%s\n' \
    "port $FRAUDSCORE_SECURE_REDIS_PORT" 'bind 127.0.0.1' 'save ""' 'appendonly no' 'daemonize yes' \
    "pidfile $(pid_file redis)" "logfile $(log_file redis)" "dir $d" \
    'user default off' \
    "user $USER_NAME on #$hash ~$FRAUDSCORE_SECURE_REDIS_KEYS &* +@all -@dangerous +info" |
    redis-server - >/dev/null 8>&- || die "redis: redis-server refused to start; see $(log_file redis)"
  local _
  for _ in $(seq 50); do
    [[ -s $(pid_file redis) ]] && return 0
    sleep 0.1
  done
}

redis_healthy() {
  # Up, refusing anonymous clients, and accepting the ACL user (password via the environment).
  [[ $(redis-cli -h 127.0.0.1 -p "$FRAUDSCORE_SECURE_REDIS_PORT" ping 2>/dev/null) == NOAUTH* ]] || return 1
  [[ $(REDISCLI_AUTH=$(secret_of redis) redis-cli --no-auth-warning -h 127.0.0.1 -p "$FRAUDSCORE_SECURE_REDIS_PORT" \
    --user "$USER_NAME" ping 2>/dev/null) == PONG ]]
}

# ---------------------------------------------------------------- Apicurio Registry (basic auth)

REGISTRY_CCOMPAT() { echo "http://127.0.0.1:$FRAUDSCORE_SECURE_REGISTRY_PORT/apis/ccompat/v7"; }

registry_launch() {
  local d jar f digest
  d=$(svc_dir registry)
  mkdir -p "$d/config"
  jar=""
  for f in "$APICURIO_HOME"/app/*-runner.jar "$APICURIO_HOME"/app/quarkus-run.jar; do
    [[ -f $f ]] && jar=$f && break
  done
  [[ -n $jar ]] || die "registry: no runnable jar under $APICURIO_HOME/app (run deploy/local/fetch.sh registry)"
  # Quarkus' embedded realm stores HEX(MD5(user ":" realm ":" password)); realm "Quarkus" is its default.
  digest=$(printf '%s' "$USER_NAME:Quarkus:$(secret_of registry)" | md5sum | cut -d' ' -f1)
  # Quarkus reads ./config/application.properties from the working directory.
  # AppAuthenticationMechanism of Apicurio 3.0.9 hands requests to Quarkus' basic mechanism when
  # quarkus.http.auth.basic=true; the permission below makes every path require a known user.
  (
    umask 077
    cat >"$d/config/application.properties" <<EOF
# Generated by deploy/local/secure-stack.sh on every start.
quarkus.http.auth.basic=true
quarkus.security.users.embedded.enabled=true
quarkus.security.users.embedded.plain-text=false
quarkus.security.users.embedded.users.$USER_NAME=$digest
quarkus.security.users.embedded.roles.$USER_NAME=sr-admin
quarkus.http.auth.permission.everything.paths=/*
quarkus.http.auth.permission.everything.policy=authenticated
EOF
  )
  (cd "$d" && exec setsid "$JAVA" "${REGISTRY_JVM[@]}" -XX:+ExitOnOutOfMemoryError "$(marker registry)" \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$FRAUDSCORE_SECURE_REGISTRY_PORT" \
    -Dquarkus.management.host=127.0.0.1 -Dquarkus.management.port="$FRAUDSCORE_SECURE_REGISTRY_MGMT_PORT" \
    -Dapicurio.storage.kind=sql -Dapicurio.storage.sql.kind=h2 \
    -Dapicurio.datasource.url=jdbc:h2:mem:fraudscore-secure -Djava.io.tmpdir="$d" \
    -Dquarkus.log.console.format='%d{yyyy-MM-dd HH:mm:ss,SSS} %p [%c{3.}] (%t) %m%n' \
    -jar "$jar" >>"$(log_file registry)" 2>&1 </dev/null 8>&-) &
  echo $! >"$(pid_file registry)"
}

# curl reads the credentials from its config on stdin (-K -), not from argv.
registry_curl() { # curl args...
  printf 'user = "%s:%s"\n' "$USER_NAME" "$(secret_of registry)" | curl -K - -s --max-time 5 "$@"
}

registry_healthy() {
  local url
  url="$(REGISTRY_CCOMPAT)/subjects"
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$url" 2>/dev/null) == 401 ]] || return 1
  [[ $(registry_curl -o /dev/null -w '%{http_code}' "$url" 2>/dev/null) == 200 ]]
}

# As stack.sh: Apicurio defaults to NONE, the pipeline needs FORWARD_TRANSITIVE on the subjects it reads.
registry_set_compat() {
  registry_curl -f --max-time 30 --retry 3 --retry-all-errors -X PUT -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
    --data '{"compatibility":"FORWARD_TRANSITIVE"}' "$(REGISTRY_CCOMPAT)/config" >/dev/null ||
    die "registry: PUT /config (compatibility FORWARD_TRANSITIVE) failed"
}

# ---------------------------------------------------------------- lifecycle

declare -A LAUNCHED=()
launch() {
  local svc=$1 pid p
  if pid=$(pid_of "$svc"); then
    say "$svc: already running (pid $pid) on $(addr_of "$svc")"
    return 0
  fi
  rm -f "$(pid_file "$svc")"
  for p in $(ports_of "$svc"); do
    port_open "$p" && die "$svc: port 127.0.0.1:$p is already in use (not by us); set the FRAUDSCORE_SECURE_*_PORT variables"
  done
  mkdir -p "$(svc_dir "$svc")"
  LAUNCHED[$svc]=$EPOCHREALTIME
  "${svc}_launch"
  say "$svc: starting on $(addr_of "$svc") (log $(log_file "$svc"))"
}

await_all() {
  local -a pending=("$@")
  local deadline=$((SECONDS + FRAUDSCORE_START_TIMEOUT)) svc pid
  while ((${#pending[@]} > 0)); do
    local -a still=()
    for svc in "${pending[@]}"; do
      if ! pid=$(pid_of "$svc"); then
        show_log_tail "$(log_file "$svc")"
        [[ $svc == kafka ]] && show_log_tail "$STATE/kafka/logs/kafka.out"
        die "$svc: process exited during startup; see $(log_file "$svc")"
      fi
      if ! "${svc}_healthy"; then
        still+=("$svc")
        continue
      fi
      [[ $svc == registry ]] && registry_set_compat
      say "$svc: ready${LAUNCHED[$svc]:+ in $(elapsed "${LAUNCHED[$svc]}")} (pid $pid)"
    done
    pending=("${still[@]+"${still[@]}"}")
    ((${#pending[@]} > 0)) || break
    if ((SECONDS >= deadline)); then
      for svc in "${pending[@]}"; do show_log_tail "$(log_file "$svc")"; done
      die "${pending[*]}: not healthy after ${FRAUDSCORE_START_TIMEOUT}s; see the logs above"
    fi
    sleep 0.2
  done
}

stop() {
  local svc=$1 pid t0
  if ! pid=$(pid_of "$svc"); then
    rm -f "$(pid_file "$svc")"
    say "$svc: not running"
    return 0
  fi
  t0=$EPOCHREALTIME
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_gone "$pid" 30; then
    err "$svc: pid $pid still there 30s after SIGTERM, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "$svc: pid $pid survives SIGKILL"
  fi
  rm -f "$(pid_file "$svc")"
  say "$svc: stopped (pid $pid) in $(elapsed "$t0")"
}

lock_state() {
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  exec 8>"$STATE/.lock"
  flock 8
}

services_from_args() {
  SERVICES=()
  local a
  for a in "$@"; do
    case $a in
      kafka | redis | registry) SERVICES+=("$a") ;;
      *) err "unknown service '$a' (expected: ${ALL_SERVICES[*]})"; exit 2 ;;
    esac
  done
  [[ ${#SERVICES[@]} -gt 0 ]] || SERVICES=("${ALL_SERVICES[@]}")
}

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0" >&2; exit 2; }

cmd_up() {
  services_from_args "$@"
  lock_state
  local s ordered=()
  for s in "${SERVICES[@]}"; do
    [[ $s == redis ]] || command -v "$JAVA" >/dev/null || die "java not found (need Java 17+)"
  done
  FRAUDSCORE_FETCH_QUIET=1 bash "$HERE/fetch.sh" "${SERVICES[@]}" || die "fetch failed"
  # The registry is the slowest to start and Kafka's launch includes a storage-format JVM: start
  # the registry first so that its warm-up overlaps the format.
  for s in registry redis kafka; do
    [[ " ${SERVICES[*]} " == *" $s "* ]] && ordered+=("$s")
  done
  for s in "${ordered[@]}"; do launch "$s"; done
  await_all "${ordered[@]}"
}

cmd_down() {
  local purge=0 args=() s
  for s in "$@"; do
    if [[ $s == --purge ]]; then purge=1; else args+=("$s"); fi
  done
  services_from_args "${args[@]+"${args[@]}"}"
  [[ -d $STATE ]] || { say "nothing at $STATE"; return 0; }
  lock_state
  for s in "${SERVICES[@]}"; do stop "$s"; done
  if ((purge)); then
    case $STATE in
      / | "$HOME" | "$FRAUDSCORE_ROOT" | "") die "refusing to purge FRAUDSCORE_SECURE_STATE=$STATE" ;;
    esac
    if [[ ${#args[@]} -eq 0 ]]; then
      exec 8>&-
      rm -rf "$STATE"
      say "purged $STATE"
    else
      for s in "${SERVICES[@]}"; do rm -rf "${STATE:?}/$s" "$STATE/secrets/$s.password"; done
      say "purged state of: ${SERVICES[*]}"
    fi
  fi
}

cmd_status() {
  services_from_args "$@"
  local s pid h rc=0
  for s in "${SERVICES[@]}"; do
    h=no
    if pid=$(pid_of "$s"); then "${s}_healthy" && h=yes; else pid=-; fi
    printf '%-9s pid %-8s %-16s healthy %s\n' "$s" "$pid" "$(addr_of "$s")" "$h"
    [[ $h == yes ]] || rc=3
  done
  return $rc
}

# What a topology (or a test) needs to reach the services. Secret *files*, never secret values.
cmd_env() {
  cat <<EOF
FRAUDSCORE_SECURE_KAFKA_BROKERS=127.0.0.1:$FRAUDSCORE_SECURE_KAFKA_PORT
FRAUDSCORE_SECURE_KAFKA_CA_FILE=$(KAFKA_TLS)/ca.pem
FRAUDSCORE_SECURE_REDIS_URL=redis://127.0.0.1:$FRAUDSCORE_SECURE_REDIS_PORT
FRAUDSCORE_SECURE_REGISTRY_URL=$(REGISTRY_CCOMPAT)
FRAUDSCORE_SECURE_USER=$USER_NAME
FRAUDSCORE_SECURE_KAFKA_PASSWORD_FILE=$STATE/secrets/kafka.password
FRAUDSCORE_SECURE_REDIS_PASSWORD_FILE=$STATE/secrets/redis.password
FRAUDSCORE_SECURE_REGISTRY_PASSWORD_FILE=$STATE/secrets/registry.password
EOF
}

cmd=${1:-}
[[ -n $cmd ]] || usage
shift
case $cmd in
  up) cmd_up "$@" ;;
  down) cmd_down "$@" ;;
  status) cmd_status "$@" ;;
  env) cmd_env ;;
  *) usage ;;
esac
