"""Structured logs: a line carries every identifier its call site passes."""

from __future__ import annotations

import ast
from pathlib import Path

from payeeflow import logs

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("agents", "api", "connectors", "streams", "payeeflow")


def logged_fields() -> dict[str, list[str]]:
    """Each key a call site passes through ``extra=``, with where."""
    found: dict[str, list[str]] = {}
    for folder in SOURCES:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.keyword) and node.arg == "extra" and isinstance(node.value, ast.Dict):
                    for key in node.value.keys:
                        if isinstance(key, ast.Constant) and isinstance(key.value, str):
                            found.setdefault(key.value, []).append(f"{path.relative_to(ROOT)}:{key.lineno}")
    return found


def test_every_field_a_call_site_logs_is_one_the_json_lines_write() -> None:
    found = logged_fields()
    assert "job" in found and "batch_id" in found  # the walk reads the call sites
    dropped = {key: where for key, where in found.items() if key not in logs._FIELDS}
    assert not dropped, f"JsonFormatter drops these extra= keys: {dropped}"
