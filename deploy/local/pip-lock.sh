#!/usr/bin/env bash
# Regenerates DIR/requirements.lock from DIR/requirements.in: every package pinned, every artifact hashed, for the
# CPython 3.11 manylinux wheels the project runs on. Usage: pip-lock.sh DIR COMMAND (COMMAND is how the lock says it
# was made, e.g. 'bash training/lock.sh').
set -euo pipefail
dir="$(cd "$1" && pwd)"
command="$2"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
# uv is a pinned tool of its own, installed into a throwaway venv so that it never enters the locked environment.
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check 'uv==0.13.9'
cd "$dir"
"$tools/venv/bin/uv" pip compile \
  --generate-hashes \
  --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 \
  --only-binary :all: \
  --custom-compile-command "$command" \
  --output-file requirements.lock \
  requirements.in
