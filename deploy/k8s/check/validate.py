"""Validates rendered Kubernetes manifests offline, as a cluster with KEDA would before accepting them.

usage: python validate.py <rendered.yaml> <kubernetes version>...

- Kubernetes kinds: the API's own schemas for each given version (bundled in kubernetes-validate
  1.37.0, strict: an unknown field is an error, as with `kubectl apply --validate=strict`).
- KEDA kinds (keda.sh): the CRD's openAPIV3Schema of the vendored release (keda/SOURCE), made strict the same way;
  the Kafka scaler's settings, which the CRD types only as a map of strings, are checked against the scaler's own
  parameter names: trigger metadata may only hold triggerMetadata parameters, a TriggerAuthentication only authParams.

Prints one line per problem and exits 1 if there is any; prints a summary line and exits 0 otherwise.
"""

import json
import pathlib
import re
import sys

import jsonschema
import referencing
import yaml
from kubernetes_validate.utils import schema_contents

HERE = pathlib.Path(__file__).resolve().parent
KEDA = HERE / "keda"


def strict(schema):
    """Refuses fields the schema does not declare, except where it lets unknown fields through on purpose."""
    if isinstance(schema, dict):
        if (
            "properties" in schema
            and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")
        ):
            schema = {**schema, "additionalProperties": False}
        return {key: strict(value) for key, value in schema.items()}
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    return schema


def keda_schemas():
    schemas = {}
    for crd_file in sorted(KEDA.glob("keda.sh_*.yaml")):
        crd = yaml.safe_load(crd_file.read_text())
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            schemas[(f"{group}/{version['name']}", kind)] = strict(version["schema"]["openAPIV3Schema"])
    return schemas


KAFKA_PARAMS = json.loads((KEDA / "kafka-scaler-params.json").read_text())


def kafka_param_problems(doc):
    where = f"{doc['kind']}/{doc['metadata']['name']}"
    problems = []
    if doc["kind"] == "ScaledObject":
        for i, trigger in enumerate(doc["spec"].get("triggers", [])):
            if trigger.get("type") != "kafka":
                continue
            for key in trigger.get("metadata", {}):
                if "triggerMetadata" not in KAFKA_PARAMS.get(key, []):
                    problems.append(f"{where}: spec.triggers[{i}].metadata.{key}: not a trigger setting of KEDA's kafka scaler")
    if doc["kind"] in ("TriggerAuthentication", "ClusterTriggerAuthentication"):
        for ref in ("secretTargetRef", "configMapTargetRef", "env"):
            for j, entry in enumerate(doc["spec"].get(ref, [])):
                if "authParams" not in KAFKA_PARAMS.get(entry.get("parameter"), []):
                    problems.append(
                        f"{where}: spec.{ref}[{j}].parameter {entry.get('parameter')!r}: not an authentication "
                        "parameter of KEDA's kafka scaler"
                    )
    return problems


def kubernetes_errors(doc, version):
    """Every error of `doc` against Kubernetes `version`'s strict schema (kubernetes_validate.validate stops at the
    first one), as "path: message"; the schema files are the ones bundled in kubernetes-validate."""
    # rbac.authorization.k8s.io/v1 -> rbac-v1, apps/v1 -> apps-v1, v1 -> v1 (the bundle's file names)
    api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", doc["apiVersion"])
    schema_dir = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = schema_contents(f"{schema_dir}/{doc['kind'].lower()}-{api_version}.json", version)
    except FileNotFoundError:
        return [f"(root): no schema for {doc['apiVersion']} {doc['kind']} in Kubernetes {version}"]
    definitions = schema_contents(f"{schema_dir}/_definitions.json", version)
    registry = referencing.Resource.from_contents(definitions) @ (
        referencing.Resource.from_contents(schema) @ referencing.Registry()
    )
    validator = jsonschema.Draft202012Validator(schema, registry=registry)
    return [
        f"{'.'.join(str(p) for p in error.path) or '(root)'}: {error.message}"
        for error in sorted(validator.iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    ]


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    docs = [doc for doc in yaml.safe_load_all(pathlib.Path(argv[1]).read_text()) if doc]
    versions = argv[2:]
    keda = keda_schemas()
    problems = []
    for doc in docs:
        name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
        key = (doc.get("apiVersion"), doc.get("kind"))
        if not all(key) or "name" not in doc.get("metadata", {}):
            problems.append(f"{name}: apiVersion, kind and metadata.name are required")
            continue
        if key[0].startswith("keda.sh/"):
            if key not in keda:
                problems.append(f"{name}: {key[0]} {key[1]} is not a kind of the vendored KEDA CRDs")
                continue
            validator = jsonschema.Draft7Validator(keda[key])
            for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.path)):
                path = ".".join(str(p) for p in error.path) or "(root)"
                problems.append(f"{name}: {path}: {error.message}")
            problems.extend(kafka_param_problems(doc))
            continue
        for version in versions:
            problems.extend(f"{name}: Kubernetes {version}: {error}" for error in kubernetes_errors(doc, version))
    for problem in problems:
        print(problem)
    if problems:
        return 1
    kinds = ", ".join(sorted({doc["kind"] for doc in docs}))
    print(f"{len(docs)} resources valid ({kinds}) against Kubernetes {', '.join(versions)} and KEDA's CRDs")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
