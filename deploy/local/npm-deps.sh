#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than package-lock.json (`npm ci`), so that a fresh
# clone needs nothing but `npm test` or `npm run demo`. Cheap when nothing changed: two file dates are compared.
#
#   bash deploy/local/npm-deps.sh [label]     (label prefixes the progress line; default "npm-deps")
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
label=${1:-npm-deps}

# npm writes node_modules/.package-lock.json on every install: older than the lock file means the lock changed
# since (a pull, a branch switch), and what is installed may not be what the lock says.
if [[ -f node_modules/.package-lock.json && ! package-lock.json -nt node_modules/.package-lock.json ]]; then
  exit 0
fi
if [[ -d node_modules ]]; then
  echo "$label: package-lock.json changed since the last install; reinstalling npm dependencies (npm ci) ..."
else
  echo "$label: installing npm dependencies (npm ci) ..."
fi
npm ci --no-audit --no-fund
