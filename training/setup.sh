#!/usr/bin/env bash
# Creates training/.venv from requirements.lock (hash-checked, wheels only). Idempotent: a stamp file holds the
# sha256 of the lock and the interpreter version, so a second run with nothing changed returns in well under a second.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
lock="$here/requirements.lock"
stamp="$venv/.fraudtrain-stamp"

# The lock was resolved for CPython 3.11; another minor version would pull different wheels or none at all.
python="${FRAUDTRAIN_PYTHON:-}"
if [[ -z "$python" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then python=python3.11; else python=python3; fi
fi
if ! command -v "$python" >/dev/null 2>&1; then
  echo "training/setup.sh: no Python at '$python'${FRAUDTRAIN_PYTHON:+ (FRAUDTRAIN_PYTHON)}; install Python 3.11 or point FRAUDTRAIN_PYTHON at one" >&2
  exit 1
fi
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [[ "$pyver" != "3.11" ]]; then
  echo "training/setup.sh: need Python 3.11 (requirements.lock is resolved for it), found $pyver at $(command -v "$python"); set FRAUDTRAIN_PYTHON" >&2
  exit 1
fi

want="$(sha256sum "$lock" | cut -d' ' -f1) python-$("$python" -c 'import sys; print(sys.version.split()[0])')"
if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -x "$venv/bin/python" ]]; then
  exit 0
fi

rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
  # Debian splits ensurepip out of the interpreter package; the venv module fails without it.
  echo "training/setup.sh: python -m venv failed; installing python3-venv" >&2
  rm -rf "$venv"
  if [[ "$(id -u)" == "0" ]]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python${pyver}-venv" || $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
  "$python" -m venv "$venv"
fi

# --require-hashes: every artifact must match the lock, so a republished or tampered wheel fails the install.
# --only-binary: no sdist builds, which would run arbitrary setup code and depend on the local compiler.
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
  --require-hashes --only-binary :all: -r "$lock"
echo "$want" > "$stamp"
echo "training/setup.sh: environment ready at $venv" >&2
