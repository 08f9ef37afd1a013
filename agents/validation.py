"""Checks that decide whether a payee record can be processed at all; failures become rejects / DLQ.

The first stage (and ingest, and the in-process commands) checks every field against what the
schema, the sink's table and its indexes can hold, so poison is stopped where it enters instead of
travelling to PostgreSQL and stopping a partition there.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from payeeflow.errors import RecordError
from payeeflow.schemas.limits import MAX_EXTRA_CHARS, MAX_FIELD_LENGTH, MAX_ID_LENGTH, MAX_VERSION

MAX_CLOCK_SKEW = timedelta(days=1)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# NUL, other C0 controls except tab/newlines, DEL, and lone surrogates (no UTF-8 form exists)
_BAD_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# A name may not hold newlines either, nor U+FFFD (bytes that did not decode upstream).
_BAD_NAME = re.compile("[\x00-\x08\x0a-\x1f\x7f\ufffd\ud800-\udfff]")


def validate_payee(payee: dict[str, Any], max_name_length: int) -> None:
    """Raise ``RecordError`` for a name no stage can work with."""
    name = payee.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RecordError("empty_name", "the payee has no name")
    if len(name) > max_name_length:
        raise RecordError("name_too_long", f"{len(name)} characters, limit {max_name_length}")
    if _BAD_NAME.search(name):
        raise RecordError("undecodable_text", "the name holds control or replacement characters")
    if not any(ch.isalnum() for ch in name):
        raise RecordError("empty_name", "the name has no letters or digits")


def _check_text(field: str, value: Any, limit: int, required: bool = False) -> None:
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()):
        raise RecordError("invalid_field", f"{field} is empty")
    if len(value) > limit:
        raise RecordError("field_too_long", f"{field}: {len(value)} characters, limit {limit}")
    if found := _BAD_TEXT.search(value):
        raise RecordError(
            "control_characters", f"{field} holds U+{ord(found.group()):04X} at position {found.start()}"
        )


PLACE_FIELDS = ("address", "city", "state", "zip")
SUPPLIER_TEXT_FIELDS = (*PLACE_FIELDS, "tax_id", "sic_code", "accepts_card")


def validate_supplier(supplier: dict[str, Any], max_name_length: int) -> None:
    """Raise ``RecordError`` for a supplier (a row of a supplier source, as text) the topic, the
    match index and the feeds cannot hold: its id bounded like a payee's, its name checked like a
    payee's, its other fields like a payee's address."""
    _check_text("supplier_id", supplier.get("supplier_id"), MAX_ID_LENGTH, required=True)
    name = supplier.get("name")
    if not isinstance(name, str) or not name.strip():  # before the payee's check, which says "payee"
        raise RecordError("empty_name", "the supplier has no name")
    validate_payee(supplier, max_name_length)
    for field in SUPPLIER_TEXT_FIELDS:
        _check_text(field, supplier.get(field), MAX_FIELD_LENGTH)


def validate_record(record: dict[str, Any], max_name_length: int, now: datetime | None = None) -> None:
    """Raise ``RecordError`` for a ``payees.raw`` record the stages or the sink cannot hold."""
    for field in ("payee_id", "batch_id", "source"):
        _check_text(field, record.get(field), MAX_ID_LENGTH, required=True)
    version = record.get("version")
    if not isinstance(version, int) or not 0 <= version <= MAX_VERSION:
        raise RecordError("version_out_of_range", f"version {version!r} is not in 0..2^53")
    source_ts = record.get("source_ts")
    latest = (now or datetime.now(UTC)) + MAX_CLOCK_SKEW
    if not isinstance(source_ts, datetime) or not EPOCH <= source_ts <= latest:
        raise RecordError("timestamp_out_of_range", f"source_ts {source_ts} is before 1970 or in the future")
    payee = record["payee"]
    validate_payee(payee, max_name_length)
    place = [payee.get(field) for field in PLACE_FIELDS]
    extra = payee.get("extra") or {}
    if _plainly_fine(place, extra):  # nearly every record: one look at all its text
        return
    for field, value in zip(PLACE_FIELDS, place, strict=True):
        _check_text(field, value, MAX_FIELD_LENGTH)
    size = 0
    for key, value in extra.items():
        _check_text("extra column name", key, MAX_ID_LENGTH, required=True)
        _check_text(f"extra[{key}]", value, MAX_EXTRA_CHARS)
        size += len(key) + len(value)
    if size > MAX_EXTRA_CHARS:
        raise RecordError("field_too_long", f"extra columns: {size} characters, limit {MAX_EXTRA_CHARS}")


def _plainly_fine(place: list[Any], extra: dict[Any, Any]) -> bool:
    """Whether the address fields and extra columns pass every check of ``validate_record``
    (text or none, within their limits, no control characters, extra names not blank), judged
    at once; when not, the checks field by field say which and why."""
    texts = [value for value in place if value is not None]
    if not all(isinstance(value, str) and len(value) <= MAX_FIELD_LENGTH for value in texts):
        return False
    size = 0
    for key, value in extra.items():
        if not (
            isinstance(key, str) and isinstance(value, str) and key.strip() and len(key) <= MAX_ID_LENGTH
        ):
            return False
        size += len(key) + len(value)
        texts += (key, value)
    return size <= MAX_EXTRA_CHARS and not _BAD_TEXT.search("".join(texts))
