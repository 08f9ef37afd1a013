import csv
import random
from pathlib import Path

import pytest
import usaddress

from payeeflow.agents.enrichment import Enricher, address, zip_table
from payeeflow.agents.enrichment.address import standardise_address
from payeeflow.agents.validation import validate_payee
from payeeflow.errors import RecordError


def test_an_address_comes_out_in_usps_forms() -> None:
    result = standardise_address({"address": "123 North Main Street Suite 4, Springfield, Illinois 62701"})
    assert result == {
        "address_line": "123 N MAIN ST STE 4",
        "city": "SPRINGFIELD",
        "state": "IL",
        "zip": "62701",
        "address_status": "complete",
    }
    assert standardise_address({"address": "P.O. Box 1756", "zip": "60601"})["address_line"] == "PO BOX 1756"
    unit = standardise_address({"address": "500 W. Madison Apartment 4B", "zip": "60661"})
    assert unit["address_line"] == "500 W MADISON APT 4B"


@pytest.mark.parametrize(
    ("payee", "status", "city", "state"),
    [
        ({}, "missing", None, None),
        ({"address": "419 W 4TH ST", "city": "CHICAGO", "state": "IL"}, "missing", "CHICAGO", "IL"),
        (
            {"address": "419 W 4th St", "city": "Chicago", "state": "IL", "zip": "60601"},
            "complete",
            "CHICAGO",
            "IL",
        ),
        # city and state from the ZIP, and a city in USPS's spelling: consistent once corrected
        ({"address": "419 W 4TH ST", "zip": "60601-1234"}, "corrected", "CHICAGO", "IL"),
        (
            {"address": "25 W 4TH ST", "city": "ST PAUL", "zip": "55101"},
            "corrected",
            "SAINT PAUL",
            "MN",
        ),
        (
            {"address": "1151 SOUTHVIEW BLVD", "city": "SOUTH ST PAUL", "state": "MN", "zip": "55075"},
            "complete",
            "SOUTH ST PAUL",
            "MN",
        ),
        # a ZIP of another state or city, a ZIP USPS does not have, a line no parser reads
        ({"address": "419 W 4TH ST", "state": "TX", "zip": "60601"}, "inconsistent", None, "TX"),
        ({"address": "419 W 4TH ST", "city": "DALLAS", "zip": "60601"}, "inconsistent", "DALLAS", None),
        ({"address": "419 W 4TH ST", "zip": "00000"}, "inconsistent", None, None),
    ],
)
def test_the_verdict_checks_city_and_state_against_the_zip(
    payee: dict[str, str], status: str, city: str | None, state: str | None
) -> None:
    result = standardise_address(payee)
    assert (result["address_status"], result["city"], result["state"]) == (status, city, state)
    if payee.get("zip"):
        assert result["zip"] == payee["zip"][:5]


def record(kind: str, match: dict | None = None, excluded: str | None = None) -> dict:
    return {
        "payee": {"name": "x", "address": "419 W 4TH ST", "zip": "60601"},
        "screening": {"excluded": excluded is not None, "category": excluded},
        "classification": {"payee_type": kind},
        "match": match or {},
    }


@pytest.mark.parametrize(
    ("payee", "card", "method", "reason"),
    [
        (record("BUSINESS", {"supplier_id": "S1", "supplier_accepts_card": True, "match_type": "exact"}),
         "ACCEPTS", "CARD", "network supplier S1 takes cards (exact match)"),
        (record("BUSINESS", {"supplier_id": "S1", "supplier_accepts_card": None, "match_type": "strong"}),
         "UNKNOWN", "ACH", "network supplier S1, card acceptance unknown: ACH"),
        (record("BUSINESS"), "UNKNOWN", "CHECK",
         "business not in the network: check to its verified address"),
        (record("INDIVIDUAL"), "NOT_APPLICABLE", "ACH", "a person: ACH to their bank account"),
        (record("GOVERNMENT"), "NOT_APPLICABLE", "ACH", "a government body: ACH"),
        (record("BUSINESS", excluded="tax_authority"), "NOT_APPLICABLE", "ACH",
         "excluded from card programs (tax_authority): ACH"),
    ],
)  # fmt: skip
def test_payment_method_comes_with_its_reason_and_confidence(
    payee: dict, card: str, method: str, reason: str
) -> None:
    enriched = Enricher().enrich(payee)
    assert (enriched["card_acceptance"], enriched["payment_method"], enriched["payment_reason"]) == (
        card,
        method,
        reason,
    )
    assert 0 < enriched["payment_confidence"] <= 1


def test_a_check_to_an_unverified_address_is_the_least_sure() -> None:
    verified = Enricher().enrich(record("BUSINESS"))
    unverified = Enricher().enrich({**record("BUSINESS"), "payee": {"name": "x", "address": "419 W 4TH ST"}})
    assert unverified["payment_method"] == "CHECK" and "address missing" in unverified["payment_reason"]
    assert unverified["payment_confidence"] < verified["payment_confidence"]


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


def test_the_plain_shapes_read_as_usaddress_reads_them(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shared sample (usaddress's labelled files and the NCUA/OCC mailing addresses) comes out
    as when usaddress read every line, but for three lines where usaddress is wrong: it splits the
    city of South St Paul, drops the street of ``100 ONE JACKSON PLACE`` and reads the PARKWAY of
    ``TOWNE RIDGE PARKWAY`` as a name word."""
    with (shared_data / "us_addresses_sample.csv").open(encoding="utf-8") as fh:
        payees = [
            {"address": row["address"], "city": None, "state": None, "zip": None}
            for row in csv.DictReader(fh)
        ]
    plain = (
        "2062 MILL BLVD", "40 N OAK ST W", "3600 WEST 5TH AVE", "500 W. MADISON STREET", "P.O. BOX 1756",
        "3458 ELLICOTT CENTER DR STE 106", "612 A LAKE ST", "SAINT JOHN W ST", "US HIGHWAY 22",
    )  # fmt: skip
    assert [address._plain_parts(a) is not None for a in plain] == [True] * 6 + [False] * 3
    assert address._plain("1105 BOLTON ROAD, NW ATLANTA, GA 30331") is None  # NW is the street's
    fast = [standardise_address(p) for p in payees]
    address._read_line.cache_clear()
    monkeypatch.setattr(address, "_plain", lambda line: None)
    slow = [standardise_address(p) for p in payees]
    address._read_line.cache_clear()
    differ = [(f, s) for f, s in zip(fast, slow, strict=True) if f != s]
    assert [(f["address_line"], s["address_line"], f["city"], s["city"]) for f, s in differ] == [
        ("100 ONE JACKSON PL", "100", None, None),
        ("1151 SOUTHVIEW BLVD", "1151 SOUTHVIEW BLVD S", "SOUTH ST PAUL", "ST PAUL"),
        ("115 W TOWNE RIDGE PKWY", "115 W TOWNE RIDGE PARKWAY", "SANDY", "SANDY"),  # a name word to usaddress
    ]


def test_the_compiled_tagger_labels_every_token_as_usaddress_does(shared_data: Path) -> None:
    """The shared sample as written and upper-cased, and each line again with punctuation, digits
    and entities thrown in: the same tokens and labels as ``usaddress.parse``; a line that is not
    printable ASCII is left to usaddress."""
    with (shared_data / "us_addresses_sample.csv").open(encoding="utf-8") as fh:
        lines = [row["address"] for row in csv.DictReader(fh)]
    noise = random.Random(5)
    lines += [line.upper() for line in lines] + [
        "".join(c + (noise.choice(" .,;#&()-/'!_0aeiou") if noise.random() < 0.1 else "") for c in line)
        + noise.choice(["", "&amp;", "&#38;amp;", " #", " 1/2"])
        for line in lines
    ]
    tagger = address._tagger()
    read = [(line, labels) for line in lines if (labels := tagger.parse(line)) is not None]
    assert len(read) > 0.99 * len(lines)
    assert [line for line, labels in read if labels != usaddress.parse(line)] == []
    assert tagger.parse("12 CAFÉ ST") is None and tagger.parse("") == []
    for line in ("MAIN ST AND OAK AVE, CHICAGO IL", "CORNER OF MAIN ST & 5TH AVE", "KING AND WARREN STREETS"):
        assert address._tag(line) == usaddress.tag(line)[0]  # intersections: the second street's parts
    assert address._tag("FIFTY N. FRONT ST., MEMPHIS TN, TN 38103") is None  # a label twice


def test_the_committed_zip_table_is_what_its_script_builds(tmp_path: Path) -> None:
    built = tmp_path / "zip_codes.tsv.gz"
    assert zip_table.build(built) > 40_000
    assert built.read_bytes() == zip_table.TABLE_FILE.read_bytes()
