"""Validates the chart's custom resources (KEDA's ScaledObject, the Prometheus operator's
PrometheusRule) against the schemas of their CRDs, which kubernetes-validate does not hold.

    python helm/crds.py RENDERED.yaml CRD.yaml [CRD.yaml ...]

The CRDs come from the projects' own Go modules (``make chart`` downloads them through the Go
module proxy). Like ``kubernetes-validate --strict``, a field the schema does not name is an error
(except under ``x-kubernetes-preserve-unknown-fields``). Exits 1 on any error, or when a CRD's kind
was not rendered at all (a check that checked nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jsonschema
import yaml


def strict(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with ``additionalProperties: false`` wherever it lists properties and keeps no
    unknown fields."""
    out = dict(schema)
    if "properties" in out:
        out["properties"] = {name: strict(sub) for name, sub in out["properties"].items()}
        if not out.get("x-kubernetes-preserve-unknown-fields") and "additionalProperties" not in out:
            out["additionalProperties"] = False
    for key in ("items", "additionalProperties"):
        if isinstance(out.get(key), dict):
            out[key] = strict(out[key])
    return out


def schemas(crd_paths: list[Path]) -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> the strict schema of every version each CRD serves."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path in crd_paths:
        crd = yaml.safe_load(path.read_text())
        spec = crd["spec"]
        for version in spec["versions"]:
            if version.get("served"):
                schema = version["schema"]["openAPIV3Schema"]
                found[(f"{spec['group']}/{version['name']}", spec["names"]["kind"])] = strict(schema)
    return found


def main(rendered: Path, crd_paths: list[Path]) -> int:
    known = schemas(crd_paths)
    seen: set[tuple[str, str]] = set()
    errors = 0
    for doc in yaml.safe_load_all(rendered.read_text()):
        if not doc:
            continue
        key = (doc.get("apiVersion", ""), doc.get("kind", ""))
        if key not in known:
            continue
        seen.add(key)
        validator = jsonschema.Draft7Validator(known[key])
        for error in validator.iter_errors(doc):
            where = "/".join(str(p) for p in error.absolute_path)
            print(f"ERROR {rendered} {key[1]} {doc['metadata']['name']}: {where}: {error.message}")
            errors += 1
    kinds = {kind for _, kind in known}
    for kind in sorted(kinds - {kind for _, kind in seen}):
        print(f"ERROR {rendered}: no {kind} rendered, so none was checked")
        errors += 1
    if errors:
        return 1
    for api_version, kind in sorted(seen):
        print(f"{rendered}: every {kind} ({api_version}) valid against its CRD")
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]))
