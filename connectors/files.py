"""Reading payee files (CSV with a header, or JSON Lines) one row at a time, never whole.

A row becomes a ``payees.raw`` record: known columns go to ``payee``, the others to
``payee.extra`` unchanged. A file that cannot be read at all is an ``InputError``; a row that
cannot be read is yielded as a ``RecordError`` so its caller can reject it and go on.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from payeeflow.errors import InputError, RecordError

PAYEE_FIELDS = ("name", "address", "city", "state", "zip")
ENVELOPE_FIELDS = ("payee_id", "version")
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # absurd rows are rejected by validation


def open_rows(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, Any] | RecordError]]]:
    """(columns, rows) of a CSV or JSONL file; rows are (line number, row or error)."""
    try:
        fh = path.open(newline="", encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
        return [], _jsonl_rows(fh)
    reader = csv.DictReader(fh)
    try:
        columns = list(reader.fieldnames or [])
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV: {exc}") from exc
    if "name" not in columns:
        fh.close()
        raise InputError(f"{path}: the CSV has no 'name' column (columns: {', '.join(columns) or 'none'})")
    return columns, _csv_rows(reader, fh)


def _csv_rows(reader: csv.DictReader, fh: Any) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    with fh:
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield reader.line_num, RecordError("unreadable_row", str(exc))
                continue
            if None in row:  # more cells than columns
                yield reader.line_num, RecordError("malformed_row", "more cells than header columns")
                continue
            yield reader.line_num, {k: (v if v is not None else "") for k, v in row.items()}


def _jsonl_rows(fh: Any) -> Iterator[tuple[int, dict[str, Any] | RecordError]]:
    with fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, RecordError("malformed_json", str(exc))
                continue
            if not isinstance(row, dict):
                yield number, RecordError("malformed_json", "a line is not a JSON object")
                continue
            yield number, {k: "" if v is None else str(v) for k, v in row.items()}


def payee_id_for(row: dict[str, Any]) -> str:
    """The row's ``payee_id``, or a stable one from its name and address (same payee, same id)."""
    given = (row.get("payee_id") or "").strip()
    if given:
        return given
    basis = "|".join((row.get(f) or "").strip().upper() for f in PAYEE_FIELDS)
    return "h-" + hashlib.blake2b(basis.encode(), digest_size=10).hexdigest()


def to_record(row: dict[str, Any], batch_id: str, source: str, now: datetime) -> dict[str, Any]:
    """A ``payees.raw`` record from a file row."""
    version = row.get("version") or ""
    payee = {f: ((row.get(f) or "").strip() or None) for f in PAYEE_FIELDS}
    payee["name"] = row.get("name") or ""
    payee["extra"] = {k: str(v) for k, v in row.items() if k not in PAYEE_FIELDS + ENVELOPE_FIELDS}
    return {
        "payee_id": payee_id_for(row),
        "batch_id": batch_id,
        "source": source,
        "source_ts": now,
        "version": int(version) if version.isdigit() else int(now.timestamp() * 1000),
        "payee": payee,
    }
