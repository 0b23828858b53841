# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this
# Shared settings for the local stack scripts (fetch.sh, stack.sh, test.sh).
# Sourced, never executed. Every value can be overridden from the environment so that
# two checkouts (or a CI job next to a developer's stack) can run side by side on other ports.

FRAUDSCORE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# Ports: deliberately off the well-known defaults (9092/8081/6379) so that we never
# collide with, or accidentally talk to, a Kafka/registry/Redis that is not ours.
: "${FRAUDSCORE_KAFKA_PORT:=19092}"
: "${FRAUDSCORE_KAFKA_CONTROLLER_PORT:=19093}"
: "${FRAUDSCORE_REGISTRY_PORT:=18081}"
: "${FRAUDSCORE_REGISTRY_MGMT_PORT:=18082}"
: "${FRAUDSCORE_REDIS_PORT:=16379}"

# Runtime state (data dirs, pid files, logs): inside the repo, gitignored via .fraudscore/.
: "${FRAUDSCORE_STATE:=$FRAUDSCORE_ROOT/.fraudscore/stack}"
# Downloads: outside the repo so that `git clean -dfx` or a fresh clone does not cost a re-download.
: "${FRAUDSCORE_CACHE:=${XDG_CACHE_HOME:-$HOME/.cache}/fraudscore}"

# Persistence. Redis append-only file (yes|no; default yes, appendfsync everysec: a restart keeps the feature state,
# losing at most the last second, which the state's absorbed-offset marker detects). Registry storage: kafkasql
# (default) keeps schemas in a topic of the stack's broker, as Confluent's registry does, so schema ids stay what the
# records in Kafka say after a restart of either service; file keeps them in an H2 file in the state dir (the fault
# drills); mem forgets them on every restart (ids start again at 1).
: "${FRAUDSCORE_REDIS_APPENDONLY:=yes}"
# everysec: a crash loses at most the last second (detected, see above); the fault drills use always (nothing lost).
: "${FRAUDSCORE_REDIS_APPENDFSYNC:=everysec}"
: "${FRAUDSCORE_REGISTRY_STORAGE:=kafkasql}"

# How long `up` waits for a service to become healthy before giving up.
: "${FRAUDSCORE_START_TIMEOUT:=120}"

# Version pins. Changing one of these makes fetch.sh download into a new cache directory.
KAFKA_VERSION=4.4.0
KAFKA_SCALA=2.13
# slf4j-api must be pinned explicitly: otherwise Maven resolves 1.7.x and the broker logs nothing (SLF4J NOP).
SLF4J_VERSION=2.0.17
LOG4J_VERSION=2.24.3
# 3.0.x is the last Apicurio line that runs on Java 17 (3.3.x needs Java 21+).
APICURIO_VERSION=3.0.9

KAFKA_HOME="$FRAUDSCORE_CACHE/kafka-$KAFKA_VERSION"
KAFKA_LIBS="$KAFKA_HOME/libs"
APICURIO_HOME="$FRAUDSCORE_CACHE/apicurio-registry-$APICURIO_VERSION"

export FRAUDSCORE_ROOT FRAUDSCORE_STATE FRAUDSCORE_CACHE FRAUDSCORE_START_TIMEOUT FRAUDSCORE_REDIS_APPENDONLY FRAUDSCORE_REGISTRY_STORAGE
export FRAUDSCORE_KAFKA_PORT FRAUDSCORE_KAFKA_CONTROLLER_PORT FRAUDSCORE_REGISTRY_PORT FRAUDSCORE_REGISTRY_MGMT_PORT FRAUDSCORE_REDIS_PORT

# What the pipeline reads (see src/): derived from the ports above unless set explicitly.
: "${FRAUDSCORE_KAFKA_BROKERS:=127.0.0.1:$FRAUDSCORE_KAFKA_PORT}"
: "${FRAUDSCORE_REGISTRY_URL:=http://127.0.0.1:$FRAUDSCORE_REGISTRY_PORT/apis/ccompat/v7}"
: "${FRAUDSCORE_REDIS_URL:=redis://127.0.0.1:$FRAUDSCORE_REDIS_PORT}"
export FRAUDSCORE_KAFKA_BROKERS FRAUDSCORE_REGISTRY_URL FRAUDSCORE_REDIS_URL
