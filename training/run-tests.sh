#!/usr/bin/env bash
# Trainer test suite: builds (or reuses) training/.venv from the lock, then runs pytest on training/tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/setup.sh"
cd "$here"
exec "$here/.venv/bin/python" -m pytest tests "$@"
