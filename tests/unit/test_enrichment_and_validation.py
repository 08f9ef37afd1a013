import csv

import pytest

from payeeflow.agents.enrichment import Enricher, logic
from payeeflow.agents.enrichment.logic import normalise_address
from payeeflow.agents.validation import validate_payee
from payeeflow.errors import RecordError
from tests.conftest import SHARED_DATA


def test_address_parsed_from_one_line() -> None:
    result = normalise_address({"address": "123 N Main St Suite 4, Springfield, IL 62701"})
    assert result == {
        "address_line": "123 N MAIN ST SUITE 4",
        "city": "SPRINGFIELD",
        "state": "IL",
        "zip": "62701",
        "address_status": "parsed",
    }


def test_missing_and_partial_addresses() -> None:
    assert normalise_address({})["address_status"] == "missing"
    assert normalise_address({"address": "419 W 4TH ST"})["address_status"] == "partial"
    assert (
        normalise_address({"address": "1 A St", "zip": "75501-1234", "city": "X", "state": "TX"})["zip"]
        == "75501"
    )


def test_payment_method_follows_the_match_and_type() -> None:
    enricher = Enricher()
    card = {
        "payee": {"name": "x"},
        "classification": {"payee_type": "BUSINESS"},
        "match": {"supplier_id": "S1", "supplier_accepts_card": True},
    }
    assert enricher.enrich(card)["payment_method"] == "CARD"
    person = {"payee": {"name": "x"}, "classification": {"payee_type": "INDIVIDUAL"}, "match": {}}
    assert enricher.enrich(person)["card_acceptance"] == "NOT_APPLICABLE"


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty_name"),
        ("   ", "empty_name"),
        ("---", "empty_name"),
        ("X" * 301, "name_too_long"),
        ("ACME\x00", "undecodable_text"),
        ("ACME \ufffd", "undecodable_text"),
    ],
)
def test_validation_rejects_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(RecordError) as info:
        validate_payee({"name": name}, 300)
    assert info.value.reason == reason


@pytest.mark.skipif(not SHARED_DATA.exists(), reason=f"no shared data at {SHARED_DATA}")
def test_the_plain_shapes_read_as_usaddress_reads_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shared sample (usaddress's labelled files and the NCUA/OCC mailing addresses) comes out
    as when usaddress read every line, but for two lines where usaddress is wrong: it splits the
    city of South St Paul and drops the street of ``100 ONE JACKSON PLACE``."""
    with (SHARED_DATA / "us_addresses_sample.csv").open(encoding="utf-8") as fh:
        payees = [
            {"address": row["address"], "city": None, "state": None, "zip": None}
            for row in csv.DictReader(fh)
        ]
    plain = (
        "2062 MILL BLVD", "40 N OAK ST W", "3600 WEST 5TH AVE", "500 W. MADISON STREET", "P.O. BOX 1756",
        "3458 ELLICOTT CENTER DR STE 106", "612 A LAKE ST", "SAINT JOHN W ST", "US HIGHWAY 22",
    )  # fmt: skip
    assert [logic._plain_street(a) for a in plain] == [True] * 6 + [False] * 3
    assert logic._plain("1105 BOLTON ROAD, NW ATLANTA, GA 30331") is None  # NW is the street's
    fast = [normalise_address(p) for p in payees]
    logic._read_line.cache_clear()
    monkeypatch.setattr(logic, "_plain", lambda line: None)
    slow = [normalise_address(p) for p in payees]
    logic._read_line.cache_clear()
    differ = [(f, s) for f, s in zip(fast, slow, strict=True) if f != s]
    assert [(f["address_line"], s["address_line"], f["city"], s["city"]) for f, s in differ] == [
        ("100 ONE JACKSON PLACE", "100", None, None),
        ("1151 SOUTHVIEW BLVD", "1151 SOUTHVIEW BLVD SOUTH", "SOUTH ST PAUL", "ST PAUL"),
    ]
