"""Every field of a raw record is checked where it enters, so poison never reaches the sink."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from payeeflow.agents.validation import validate_record, validate_supplier
from payeeflow.connectors.database.sink.tables import storable_letter
from payeeflow.errors import RecordError
from payeeflow.logs import WithoutQueryStrings
from payeeflow.schemas.limits import MAX_ID_LENGTH, MAX_VERSION
from payeeflow.streams.deadletters import storable_id
from tests.conftest import raw_record

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def reason(record: dict) -> str | None:
    try:
        validate_record(record, 300, NOW)
    except RecordError as exc:
        return exc.reason
    return None


def test_an_ordinary_record_passes() -> None:
    record = raw_record("ACME SUPPLY LLC", address="1 MAIN ST\nSUITE 4", city="AUSTIN", extra={"dept": "x"})
    assert reason(record) is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["payee"].update(address="1 MAIN\x00 ST"), "control_characters"),
        (lambda r: r["payee"].update(city="AUS\x1bTIN"), "control_characters"),
        (lambda r: r["payee"].update(zip="7\ud80001"), "control_characters"),
        (lambda r: r["payee"].update(address="X" * 1001), "field_too_long"),
        (lambda r: r.update(payee_id="P" * (MAX_ID_LENGTH + 1)), "field_too_long"),
        (lambda r: r.update(payee_id="P\x00"), "control_characters"),
        (lambda r: r.update(payee_id="  "), "invalid_field"),
        (lambda r: r.update(batch_id="b\x07"), "control_characters"),
        (lambda r: r.update(version=2**63 - 1), "version_out_of_range"),
        (lambda r: r.update(version=-1), "version_out_of_range"),
        (lambda r: r.update(source_ts=datetime(9999, 1, 1, tzinfo=UTC)), "timestamp_out_of_range"),
        (lambda r: r.update(source_ts=NOW + timedelta(days=2)), "timestamp_out_of_range"),
        (lambda r: r["payee"].update(extra={"k": "v\x00"}), "control_characters"),
        (lambda r: r["payee"].update(extra={"k": "v" * 70_000}), "field_too_long"),
        (lambda r: r["payee"].update(name="ACME\x00"), "undecodable_text"),
    ],
)
def test_each_field_is_checked_with_a_reason(change, expected: str) -> None:  # type: ignore[no-untyped-def]
    record = raw_record("ACME SUPPLY LLC")
    change(record)
    assert reason(record) == expected


@pytest.mark.parametrize("name", [None, "", "   "])
def test_an_empty_name_says_whose_it_is(name: str | None) -> None:
    """The payee's words are those of the dead letters already stored; a supplier has its own."""
    record = raw_record("ACME SUPPLY LLC")
    record["payee"]["name"] = name
    with pytest.raises(RecordError) as payee:
        validate_record(record, 300, NOW)
    assert (payee.value.reason, payee.value.detail) == ("empty_name", "the payee has no name")
    with pytest.raises(RecordError) as supplier:
        validate_supplier({"supplier_id": "S1", "name": name}, 300)
    assert (supplier.value.reason, supplier.value.detail) == ("empty_name", "the supplier has no name")


def test_the_limits_themselves_pass() -> None:
    record = raw_record("ACME SUPPLY LLC", payee_id="P" * MAX_ID_LENGTH)
    record.update(version=MAX_VERSION, source_ts=NOW + timedelta(hours=23))
    assert reason(record) is None


def test_an_unstorable_id_is_cut_but_stays_distinct() -> None:
    long_a, long_b = "A" * 5000 + "1", "A" * 5000 + "2"
    assert storable_id("P-1") == "P-1" and storable_id(None) is None
    a, b = storable_id(long_a), storable_id(long_b)
    assert a is not None and b is not None and a != b
    assert len(a) <= MAX_ID_LENGTH and a.startswith("A" * 100)
    assert "\x00" not in (storable_id("P\x00Q") or "")


def test_a_dead_letter_is_made_storable() -> None:
    letter = {
        "stage": "exclusion",
        "reason": "control_characters",
        "error": "bad \x00 byte" + "e" * 5000,
        "topic": "payees.raw",
        "payee_id": "P\x00",
        "batch_id": None,
    }
    stored = storable_letter(letter, "cluster-1")
    assert stored["cluster_id"] == "cluster-1" and "\x00" not in stored["error"] + stored["payee_id"]
    assert len(stored["error"]) == 2000 and stored["batch_id"] is None


def test_the_access_log_keeps_paths_but_not_query_strings() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        "",
        0,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/payees?name=Joel%20Alonso", "1.1", 200),
        None,
    )
    assert WithoutQueryStrings().filter(record)
    assert record.getMessage() == '127.0.0.1:1 - "GET /payees HTTP/1.1" 200'
