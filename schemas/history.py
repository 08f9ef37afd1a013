"""The schema versions released to other teams (``history/<topic>/v<N>.avsc``), and the check that
a changed ``.avsc`` still reads everything they hold, run by CI: ``payeeflow schemas check``.

A topic's subject is BACKWARD_TRANSITIVE in the registry, so a schema that fails here would be
refused there too, with every message in flight behind it: the build fails first, naming the field.
``payeeflow schemas release`` records the current schemas that differ from their last release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import avro.schema

from payeeflow.schemas.codec import COMPATIBILITY, SCHEMA_DIR, TOPIC_SCHEMAS, load_schema_json
from payeeflow.schemas.compatibility import problems


def released(topic: str, directory: Path = SCHEMA_DIR) -> list[dict[str, Any]]:
    """The released versions of a topic's schema, oldest first."""
    files = sorted((directory / "history" / topic).glob("v*.avsc"), key=lambda p: int(p.stem[1:]))
    return [json.loads(path.read_text()) for path in files]


def check(directory: Path = SCHEMA_DIR) -> list[str]:
    """Why a topic's current schema may not follow its released versions; empty when all may."""
    found = []
    for topic in TOPIC_SCHEMAS:
        current = avro.schema.parse(json.dumps(load_schema_json(topic, directory)))
        earlier = [avro.schema.parse(json.dumps(old)) for old in released(topic, directory)]
        found += [f"{topic}.avsc: {why}" for why in problems(current, earlier, COMPATIBILITY)]
    return found


def release(directory: Path = SCHEMA_DIR) -> list[Path]:
    """Record each topic's current schema as its next version where it differs from the last."""
    written = []
    for topic in TOPIC_SCHEMAS:
        current = load_schema_json(topic, directory)
        history = released(topic, directory)
        if history and history[-1] == current:
            continue
        path = directory / "history" / topic / f"v{len(history) + 1}.avsc"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(current, indent=2) + "\n")
        written.append(path)
    return written
