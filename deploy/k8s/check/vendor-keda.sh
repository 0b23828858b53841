#!/usr/bin/env bash
# Refreshes the vendored KEDA schemas in keda/: the CRDs of ScaledObject and TriggerAuthentication, and the parameter
# names of the Kafka scaler (where each may be given: trigger metadata or TriggerAuthentication). Source: KEDA's Go
# module from the Go module proxy (checksum verified by the go command), files config/crd/bases/*.yaml and
# pkg/scalers/kafka_scaler.go of that release. Usage: bash deploy/k8s/check/vendor-keda.sh v2.21.1
set -euo pipefail
version="${1:?usage: vendor-keda.sh <KEDA release, e.g. v2.21.1>}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
gopath="$(mktemp -d)"
trap 'chmod -R u+w "$gopath"; rm -rf "$gopath"' EXIT
# The module zip, checksum-verified; read from the zip because a release that needs a newer Go than this machine's is
# downloaded but not extracted.
info="$(GOPATH="$gopath" GOFLAGS=-mod=mod go mod download -json "github.com/kedacore/keda/v2@$version" || true)"
zip="$(sed -n 's/^\t"Zip": "\(.*\)",$/\1/p' <<<"$info")"
sum="$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$info")"
[[ -f "$zip" && -n "$sum" ]] || { echo "vendor-keda.sh: go mod download failed: $info" >&2; exit 1; }
src="$gopath/src"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$src"
src="$src/github.com/kedacore/keda/v2@$version"
out="$here/keda"
rm -rf "$out"
mkdir -p "$out"
cp "$src/config/crd/bases/keda.sh_scaledobjects.yaml" "$src/config/crd/bases/keda.sh_triggerauthentications.yaml" "$out/"
# `keda:"name=lagThreshold,order=triggerMetadata,default=10"` -> {"lagThreshold": ["triggerMetadata"]}
grep -o 'keda:"name=[A-Za-z]*,order=[A-Za-z;]*' "$src/pkg/scalers/kafka_scaler.go" |
  sed 's/keda:"name=\([A-Za-z]*\),order=\(.*\)/\1 \2/' |
  python3 -c '
import json, sys
params = {name: order.split(";") for name, order in (line.split() for line in sys.stdin)}
json.dump(params, sys.stdout, indent=2, sort_keys=True)
print()' >"$out/kafka-scaler-params.json"
chmod 644 "$out"/*
cat >"$out/SOURCE" <<EOS
github.com/kedacore/keda/v2 $version $sum (Go module proxy)
config/crd/bases/keda.sh_scaledobjects.yaml, config/crd/bases/keda.sh_triggerauthentications.yaml: copied unchanged
kafka-scaler-params.json: the keda:"name=...,order=..." tags of pkg/scalers/kafka_scaler.go
refresh: bash deploy/k8s/check/vendor-keda.sh <version>
EOS
echo "vendored KEDA $version into $out"
