import pytest

from payeeflow.agents.enrichment import Enricher
from payeeflow.agents.enrichment.logic import normalise_address
from payeeflow.agents.validation import validate_payee
from payeeflow.errors import RecordError


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
