#!/usr/bin/env bash
# Regenerates requirements.lock from requirements.in: every package pinned, every artifact hashed (as training/lock.sh
# does for the trainer). Run after editing requirements.in; commit both files together.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../../local/pip-lock.sh" "$here" 'bash deploy/k8s/check/lock.sh'
