#!/usr/bin/env bash
# Regenerates requirements.lock from requirements.in: every package pinned, every artifact hashed (as training/lock.sh
# does for the trainer). Run after editing requirements.in; commit both files together.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools/venv"
"$tools/venv/bin/pip" install --quiet --disable-pip-version-check 'uv==0.13.9'
cd "$here"
"$tools/venv/bin/uv" pip compile \
  --generate-hashes \
  --python-version 3.11 \
  --python-platform x86_64-manylinux_2_28 \
  --only-binary :all: \
  --custom-compile-command 'bash deploy/k8s/check/lock.sh' \
  --output-file requirements.lock \
  requirements.in
