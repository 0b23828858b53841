#!/usr/bin/env bash
# Installs the Debian packages the tests need beyond the stack's own (fetch.sh installs redis-server when the stack
# comes up): Prometheus and promtool for the alert rules' tests and the drift alert's integration test, and a
# headless Chromium that renders the HTML reports to screenshots in their tests. So a fresh machine needs nothing
# but `npm test`. Cheap when both are there: two `command -v`.
#
#   bash deploy/local/system-deps.sh [label]     (label prefixes the progress line; default "system-deps")
set -euo pipefail
label=${1:-system-deps}

missing=()
if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then missing+=(prometheus); fi
command -v chromium >/dev/null || missing+=(chromium)
((${#missing[@]} == 0)) && exit 0

if ! command -v apt-get >/dev/null; then
  echo "$label: the tests need ${missing[*]} (Prometheus with promtool, a headless Chromium) and there is no apt-get" \
    "here to install them: install them with this machine's package manager, on PATH" >&2
  exit 1
fi
sudo=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then
    echo "$label: ${missing[*]} not installed, and not root to install them: apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  sudo=(sudo)
fi
echo "$label: installing Debian packages the tests need: ${missing[*]} (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || { echo "$label: apt-get update failed" >&2; exit 1; }
# A distribution service the prometheus package may start on 9090 is not ours and is left alone: the tests run
# their own on 19090 (prometheus.sh).
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "$label: apt-get install ${missing[*]} failed" >&2
  exit 1
fi
echo "$label: installed ${missing[*]}"
