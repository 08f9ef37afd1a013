"""A supplier source's row as the ``suppliers`` topic holds it, and the content a sync compares.

A source names its columns; ``positions`` finds ``COLUMNS`` among them once. Each row is made
text (a database's booleans, numbers and dates as their usual text: ``str``), checked as a payee record's
fields are (``validate_supplier``: ids and lengths of ``schemas/limits.py``, control characters,
a name with letters or digits), then normalised as ``suppliers load`` and the match index read a
supplier (``Supplier.from_values``: codes upper-cased, blanks as none, the ZIP as its first five),
so the same supplier compares equal whether it came from a CSV, a table or the topic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from payeeflow.agents.matching.index import SUPPLIER_FIELDS, Supplier
from payeeflow.agents.validation import validate_supplier
from payeeflow.connectors.supplier_sync.errors import SourceError
from payeeflow.errors import RecordError

COLUMNS = ("supplier_id", "name", "address", "city", "state", "zip", "tax_id", "sic_code", "accepts_card")
REQUIRED = ("supplier_id", "name")


def positions(names: Sequence[str]) -> list[int | None]:
    """Where each of ``COLUMNS`` is among a source's column names (any case; None when absent);
    ``SourceError`` when the id or the name is missing."""
    lowered = [name.lower() for name in names]
    missing = [column for column in REQUIRED if column not in lowered]
    if missing:
        raise SourceError(
            f"the supplier source has no column {' or '.join(missing)} (it has: {', '.join(names)})"
        )
    return [lowered.index(column) if column in lowered else None for column in COLUMNS]


def pick(row: Sequence[Any], at: Sequence[int | None]) -> tuple[Any, ...]:
    """A source row's values in ``COLUMNS`` order."""
    return tuple(None if i is None else row[i] for i in at)


def as_text(value: Any) -> str | None:
    """A column's value as the text a CSV would hold; bytes, arrays and records are no text
    (``RecordError``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes | bytearray | memoryview | list | tuple | dict):
        raise RecordError("invalid_field", f"a column holds {type(value).__name__}, not text")
    return str(value)


def supplier_record(values: Sequence[Any], max_name_length: int) -> dict[str, Any]:
    """The topic's record of one source row (``COLUMNS`` order), without ``updated_at``;
    ``RecordError`` with the reason for a row that cannot be one."""
    text = dict(zip(COLUMNS, map(as_text, values), strict=True))
    validate_supplier(text, max_name_length)
    return normalized(text)


def normalized(record: Mapping[str, Any]) -> dict[str, Any]:
    """A supplier's fields as the topic should hold them (a record read back included)."""
    supplier = Supplier.from_values(*(record.get(field) for field in SUPPLIER_FIELDS))
    address = record.get("address")
    return {**supplier._asdict(), "address": (address.strip() or None) if address else None}


def digest(record: Mapping[str, Any]) -> bytes:
    """The content a sync compares: every field of ``COLUMNS``, ``updated_at`` aside."""
    content = json.dumps([record.get(column) for column in COLUMNS], ensure_ascii=False)
    return hashlib.blake2b(content.encode(), digest_size=16).digest()
