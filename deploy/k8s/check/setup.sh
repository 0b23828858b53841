#!/usr/bin/env bash
# Installs what the manifest checks (test/unit/deploy/) need, under .fraudscore/k8s-check/ (git-ignored):
#   venv/          Python 3.11 with kubernetes-validate (Kubernetes' resource schemas, offline) and jsonschema, from
#                  requirements.lock: hash-checked, wheels only
#   bin/kustomize  kustomize built from kustomize/go.mod and go.sum (module checksums pinned), the renderer behind
#                  `kubectl apply -k`
# Idempotent: a stamp holds the hashes of the inputs, so a second run with nothing changed returns at once. The first
# run takes about 20 s for the venv and 2-6 min of compiling for kustomize on 2 cores (the Go build cache speeds up
# later rebuilds).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="$root/.fraudscore/k8s-check"
mkdir -p "$out"

python="${FRAUDSCORE_CHECK_PYTHON:-}"
if [[ -z "$python" ]]; then
  if command -v python3.11 >/dev/null 2>&1; then python=python3.11; else python=python3; fi
fi
pyver="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
if [[ "$pyver" != "3.11" ]]; then
  echo "deploy/k8s/check/setup.sh: need Python 3.11 (requirements.lock is resolved for it), found $pyver; set FRAUDSCORE_CHECK_PYTHON" >&2
  exit 1
fi

venv="$out/venv"
want="$(sha256sum "$here/requirements.lock" | cut -d' ' -f1) python-$pyver"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]]; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
    --require-hashes --only-binary :all: -r "$here/requirements.lock"
  echo "$want" >"$venv/.stamp"
  echo "deploy/k8s/check/setup.sh: venv ready at $venv" >&2
fi

kustomize="$out/bin/kustomize"
want="$(cat "$here/kustomize/go.mod" "$here/kustomize/go.sum" | sha256sum | cut -d' ' -f1)"
if [[ ! -x "$kustomize" || "$(cat "$out/bin/.stamp" 2>/dev/null)" != "$want" ]]; then
  # The official Go distribution's place, in case it is installed but not on PATH.
  command -v go >/dev/null || PATH="$PATH:/usr/local/go/bin"
  command -v go >/dev/null || {
    echo "deploy/k8s/check/setup.sh: the go command is needed to build kustomize (Go >= 1.24)" >&2
    exit 1
  }
  echo "deploy/k8s/check/setup.sh: building kustomize (first run: a few minutes)" >&2
  mkdir -p "$out/bin"
  # -mod=readonly: every module must match go.sum; GOTOOLCHAIN=local: no toolchain download.
  (cd "$here/kustomize" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$kustomize" \
    sigs.k8s.io/kustomize/kustomize/v5)
  echo "$want" >"$out/bin/.stamp"
  echo "deploy/k8s/check/setup.sh: $("$kustomize" version) at $kustomize" >&2
fi
