#!/usr/bin/env bash
# Regenerates requirements.lock from requirements.in: every package pinned, every artifact hashed.
# Run after editing requirements.in; commit both files together. The lock's sha256 goes into every model card,
# so a change here is visible in the provenance of each model trained afterwards.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec bash "$here/../deploy/local/pip-lock.sh" "$here" 'bash training/lock.sh'
