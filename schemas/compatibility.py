"""Whether a new Avro schema may follow earlier ones, at a Confluent compatibility level.

The Apache ``avro`` package's reader/writer check, applied as the levels define it: BACKWARD means
the new schema reads data the latest one wrote, FORWARD the reverse, FULL both; the ``_TRANSITIVE``
levels check every earlier version, not just the latest. Used by the registry stand-in and by
``payeeflow schemas check`` against the released versions in ``schemas/history``.
"""

from __future__ import annotations

from typing import Any

from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

ROOT = "(the record itself)"


def problems(new: Any, earlier: list[Any], level: str) -> list[str]:
    """Why ``new`` may not follow ``earlier`` (oldest first) at ``level``; empty when it may."""
    if level == "NONE" or not earlier:
        return []
    against = earlier if level.endswith("_TRANSITIVE") else earlier[-1:]
    base = level.removesuffix("_TRANSITIVE")
    checker = ReaderWriterCompatibilityChecker()
    found = []
    for old in against:
        pairs = []
        if base in ("BACKWARD", "FULL"):
            pairs.append(("reading data the earlier schema wrote", new, old))
        if base in ("FORWARD", "FULL"):
            pairs.append(("the earlier schema reading data this one writes", old, new))
        for what, reader, writer in pairs:
            result = checker.get_compatibility(reader, writer)
            if result.compatibility is not SchemaCompatibilityType.compatible:
                kinds = ", ".join(sorted(kind.value for kind in result.incompatibilities))
                named = {field_at(reader.to_json(), where) for where in result.locations}
                fields = ", ".join(sorted(named - {ROOT} or named))  # the record itself only when alone
                detail = "; ".join(sorted(result.messages))
                found.append(f"{what}: field {fields}: {kinds} ({detail})")
    return found


def field_at(schema: Any, location: str) -> str:
    """The dotted field name a checker location points into: ``/fields/5/type`` -> ``version``."""
    names, node = [], schema
    steps = iter(location.strip("/").split("/"))
    for step in steps:
        if step == "fields" and isinstance(node, dict):
            field = node["fields"][int(next(steps, "0"))]
            names.append(field["name"])
            node = field
        elif isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
    return ".".join(names) or ROOT
