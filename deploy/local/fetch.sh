#!/usr/bin/env bash
# Fetch the binaries of the local stack into $FRAUDSCORE_CACHE (outside the repo).
#
#   deploy/local/fetch.sh [kafka] [registry] [redis]      (default: all three)
#
# Trust chain:
#   1. Kafka and Apicurio come from Maven Central through `mvn -C`: strict checksums, so a
#      download that does not match the .sha1 Maven Central publishes fails instead of warning.
#   2. After that first verified download we write a SHA256SUMS manifest next to the files.
#      Every later run re-checks it (and that no file was added or removed), so a cache that
#      was corrupted or tampered with on disk is detected; the component is then fetched again.
#   3. Redis comes from Debian's signed apt repositories (installed only if missing).
#
# Exit codes: 0 ok, 1 a download or verification failed, 2 usage error.
set -euo pipefail
# shellcheck source=deploy/local/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"

# Pinned so that a new plugin release on Maven Central cannot change what we download or how.
# At least 3.9.0: older versions make `copy` read the artifact's pom first, and the parent pom of
# apicurio-registry-app 3.0.9 (io.apicurio:apicurio-registry:3.0.9) was never published to Central.
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.9.0

say() { printf 'fetch: %s\n' "$*"; }
# stack.sh sets FRAUDSCORE_FETCH_QUIET=1: "already there" lines are noise on every `up`.
say_cached() { [[ ${FRAUDSCORE_FETCH_QUIET:-0} == 1 ]] || say "$@"; }
die() { printf 'fetch: ERROR: %s\n' "$*" >&2; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

usage() { echo "usage: $0 [kafka] [registry] [redis]" >&2; exit 2; }

# ---------------------------------------------------------------- manifest helpers

# Write SHA256SUMS for every file under $1 (paths relative to $1). Written to a temp file and
# renamed, so an interrupted run never leaves a manifest that vouches for a partial download.
write_manifest() {
  local dir=$1
  # The temp file lives beside $dir, not in it, or find would list (and hash) it.
  (cd "$dir" && find . -type f ! -name SHA256SUMS -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum) > "$dir.SHA256SUMS.tmp"
  mv "$dir.SHA256SUMS.tmp" "$dir/SHA256SUMS"
}

# 0 = every file listed matches and there are no unlisted files; 1 = missing/corrupt/extra.
check_manifest() {
  local dir=$1
  [[ -f $dir/SHA256SUMS ]] || return 1
  (cd "$dir" && sha256sum --quiet --strict -c SHA256SUMS >/dev/null 2>&1) || return 1
  # An extra jar in libs/ would silently land on the classpath: the file set must match too.
  diff <(cd "$dir" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort) \
       <(sed 's/^[0-9a-f]*  //' "$dir/SHA256SUMS" | LC_ALL=C sort) >/dev/null
}

# Returns 0 if the component is already cached and intact. If a manifest exists but does not
# verify, says so loudly and removes the component so that it is fetched afresh.
cached_ok() {
  local name=$1 dir=$2
  if [[ -f $dir/SHA256SUMS ]]; then
    if check_manifest "$dir"; then
      return 0
    fi
    say "$name: WARNING cache at $dir does not match its SHA256SUMS (corrupted or modified); fetching again"
    rm -rf "$dir"
  elif [[ -e $dir ]]; then
    # No manifest = a previous fetch was interrupted before it finished verifying.
    rm -rf "$dir"
  fi
  return 1
}

# ---------------------------------------------------------------- maven

MVN_WORK=""
STAGE=""  # the half-built cache dir of a fetch in progress; removed if we fail or are interrupted
cleanup() {
  [[ -n $MVN_WORK ]] && rm -rf "$MVN_WORK"
  [[ -n $STAGE ]] && rm -rf "$STAGE" "$STAGE.SHA256SUMS.tmp"
  return 0
}
trap cleanup EXIT

# A private, throw-away local repository: Maven never re-verifies files already in ~/.m2, so
# reusing one could copy a corrupted jar straight past the checksum check. Our own cache
# (with its manifest) is the only thing kept.
mvn_strict() {
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  if [[ -z $MVN_WORK ]]; then
    mkdir -p "$FRAUDSCORE_CACHE"
    MVN_WORK=$(mktemp -d "$FRAUDSCORE_CACHE/.mvn-work.XXXXXX")
  fi
  # Output goes to a log (Maven's -q still prints colour codes); shown only if something fails.
  if ! mvn -C -q -B -Dmaven.repo.local="$MVN_WORK/repo" "$@" >"$MVN_WORK/mvn.log" 2>&1; then
    sed 's/\x1b\[[0-9;]*m//g' "$MVN_WORK/mvn.log" | grep -E '^\[(ERROR|WARN)' | grep -v '^\[ERROR\] *$' | head -20 >&2
    return 1
  fi
}

fetch_kafka() {
  if cached_ok kafka "$KAFKA_HOME"; then
    say_cached "kafka $KAFKA_VERSION: cached and verified ($(find "$KAFKA_LIBS" -name "*.jar" | wc -l) jars in $KAFKA_LIBS)"
    return 0
  fi
  local t0 stage
  t0=$(now)
  say "kafka $KAFKA_VERSION: downloading jars from Maven Central (strict checksums) ..."
  stage="$KAFKA_HOME.partial.$$"
  STAGE=$stage
  rm -rf "$stage"
  mkdir -p "$stage"
  # packaging=pom: nothing to build, the pom only lists what to resolve.
  cat > "$stage/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.fraudscore</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>0</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_$KAFKA_SCALA</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>$SLF4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>$LOG4J_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$LOG4J_VERSION</version></dependency>
  </dependencies>
</project>
EOF
  mvn_strict -f "$stage/pom.xml" "$DEPENDENCY_PLUGIN:copy-dependencies" \
    -DoutputDirectory="$stage/libs" -DincludeScope=runtime \
    || die "kafka: Maven download failed (see output above)"
  rm -f "$stage/pom.xml"
  # Guard against the SLF4J 1.x pitfall: with it the broker runs but logs nothing at all.
  [[ -f $stage/libs/slf4j-api-$SLF4J_VERSION.jar ]] || die "kafka: slf4j-api $SLF4J_VERSION missing from resolved jars"
  write_manifest "$stage"
  rm -rf "$KAFKA_HOME"
  mv "$stage" "$KAFKA_HOME"
  STAGE=""
  say "kafka $KAFKA_VERSION: $(find "$KAFKA_LIBS" -name "*.jar" | wc -l) jars, $(du -sh "$KAFKA_LIBS" | cut -f1), verified, in $(since "$t0")"
}

fetch_registry() {
  if cached_ok registry "$APICURIO_HOME"; then
    say_cached "registry (apicurio $APICURIO_VERSION): cached and verified ($APICURIO_HOME)"
    return 0
  fi
  local t0 stage tarball
  t0=$(now)
  say "registry (apicurio $APICURIO_VERSION): downloading tar.gz from Maven Central (strict checksums) ..."
  stage="$APICURIO_HOME.partial.$$"
  STAGE=$stage
  rm -rf "$stage"
  mkdir -p "$stage"
  mvn_strict "$DEPENDENCY_PLUGIN:copy" \
    -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
    -DoutputDirectory="$stage" \
    || die "registry: Maven download failed (see output above)"
  tarball="$stage/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz"
  [[ -f $tarball ]] || die "registry: expected $tarball after download"
  mkdir -p "$stage/app"
  tar -xzf "$tarball" -C "$stage/app"
  # Keep only the unpacked tree (half the disk, half the hashing on every warm run); remember
  # what it was unpacked from, for provenance. The manifest below covers this file too.
  (cd "$stage" && sha256sum "$(basename "$tarball")") > "$stage/SOURCE.sha256"
  rm -f "$tarball"
  write_manifest "$stage"
  rm -rf "$APICURIO_HOME"
  mv "$stage" "$APICURIO_HOME"
  STAGE=""
  say "registry (apicurio $APICURIO_VERSION): $(du -sh "$APICURIO_HOME" | cut -f1), verified, in $(since "$t0")"
}

# ---------------------------------------------------------------- redis (Debian package)

ensure_redis() {
  if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then
    say_cached "redis: $(redis-server --version | awk '{sub(/^v=/, "", $3); print $3}') installed ($(command -v redis-server))"
    return 0
  fi
  local sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || die "redis-server is not installed and we are not root: apt-get install -y redis-server"
    sudo=(sudo)
  fi
  local t0
  t0=$(now)
  say "redis: redis-server not on PATH, installing Debian package (apt-get) ..."
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq || die "redis: apt-get update failed"
  "${sudo[@]}" apt-get install -y -qq redis-server >/dev/null || die "redis: apt-get install redis-server failed"
  # The package may have started the distribution's own service on 6379. That one is not ours:
  # we leave it alone and run our own instance on $FRAUDSCORE_REDIS_PORT.
  say "redis: installed $(redis-server --version | awk '{sub(/^v=/, "", $3); print $3}') in $(since "$t0")"
}

# ---------------------------------------------------------------- main

services=("$@")
[[ ${#services[@]} -eq 0 ]] && services=(kafka registry redis)
for s in "${services[@]}"; do
  case $s in kafka | registry | redis) ;; *) usage ;; esac
done

mkdir -p "$FRAUDSCORE_CACHE"
# Two checkouts (or a CI job and a developer) may share the cache: serialize fetches.
exec 9>"$FRAUDSCORE_CACHE/.fetch.lock"
flock 9

for s in "${services[@]}"; do
  case $s in
    kafka) fetch_kafka ;;
    registry) fetch_registry ;;
    redis) ensure_redis ;;
  esac
done
