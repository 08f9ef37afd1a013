"""Checks that decide whether a payee can be processed at all; failures become rejects / DLQ."""

from __future__ import annotations

from typing import Any

from payeeflow.errors import RecordError

_BAD_CHARS = {"\ufffd"} | {chr(c) for c in range(32) if chr(c) not in "\t"}


def validate_payee(payee: dict[str, Any], max_name_length: int) -> None:
    """Raise ``RecordError`` for a name no stage can work with."""
    name = payee.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecordError("empty_name", "the payee has no name")
    if len(name) > max_name_length:
        raise RecordError("name_too_long", f"{len(name)} characters, limit {max_name_length}")
    if not _BAD_CHARS.isdisjoint(name):
        raise RecordError("undecodable_text", "the name holds control or replacement characters")
    if not any(ch.isalnum() for ch in name):
        raise RecordError("empty_name", "the name has no letters or digits")
