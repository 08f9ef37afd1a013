"""Address normalisation with usaddress and payment-method rules; slow providers come later."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import usaddress

STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP".split()
)
_STREET_PARTS = (
    "AddressNumber",
    "StreetNamePreDirectional",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
    "OccupancyType",
    "OccupancyIdentifier",
    "USPSBoxType",
    "USPSBoxID",
)
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
# The common shapes, which usaddress labels as street parts whole, are kept as they are without
# the CRF: a number, up to four name words and a street type, abbreviated or spelled out, with
# directionals and a suite (``2062 MILL BLVD``, ``40 N OAK ST W``, ``500 W. MADISON STREET STE 4``),
# and PO boxes. Name words of one letter, directionals and street types are left to usaddress
# (``612 A LAKE ST``, ``SAINT JOHN W ST``, ``PECK LANE CHESHIRE CT``), where it reorders or drops a word.
_SUFFIXES = "ST|AVE|BLVD|RD|DR|LN|CT|WAY|PL|PKWY|HWY|CIR|TER|TRL|SQ|LOOP|PIKE|ROW|PLZ|XING|EXPY|FWY"
_SPELLED = "STREET|AVENUE|ROAD|DRIVE|LANE|COURT|PLACE|BOULEVARD|PARKWAY|CIRCLE|TERRACE|TRAIL"
_PLAIN_STREET = re.compile(
    r"^\d{1,6} (?:(?:[NSEW]{1,2}\.?|NORTH|SOUTH|EAST|WEST) )?"  # number, directional
    r"((?:(?:[A-Z]{2,}|\d+(?:ST|ND|RD|TH)) ){1,4})"  # name words, ordinals
    rf"(?:{_SUFFIXES}|{_SPELLED})\.?(?: [NSEW]{{1,2}})?"  # street type, directional
    r"(?: (?:STE|SUITE|APT|UNIT)\.? #?[A-Z0-9-]+)?$"  # suite
)
_COMMA_SUITE = re.compile(r", (?=(?:STE|SUITE|APT|UNIT)\.? )")  # usaddress drops that comma
_PO_BOX = re.compile(r"^(?:PO|P\.O\.|P O|P\. O\.) BOX \d+$")
# The same street with its city, state and ZIP (if any) on one line, as mailing lists write it. A
# "city" that starts with an abbreviated directional holds the street's (``BOLTON ROAD, NW ATLANTA``).
_FULL_LINE = re.compile(
    r"^(.+), (?!(?:[NSEW]{1,2}|[NS]\.[EW]\.) )([A-Z .'-]+), ([A-Z]{2})(?: (\d{5})(?:-\d{4})?)?$"
)
_NOT_A_NAME_WORD = frozenset(
    _SUFFIXES.split("|")
    + "NE NW SE SW STREET AVENUE ROAD DRIVE LANE COURT PLACE BOULEVARD PARKWAY HIGHWAY CIRCLE TERRACE "
    "TRAIL SQUARE PLAZA CROSSING EXPRESSWAY FREEWAY SUITE STE APT UNIT BOX PO NORTH SOUTH EAST WEST "
    "NORTHEAST NORTHWEST SOUTHEAST SOUTHWEST".split()
)


def _plain_street(line: str) -> bool:
    if _PO_BOX.match(line):
        return True
    match = _PLAIN_STREET.match(line)
    return match is not None and not any(word in _NOT_A_NAME_WORD for word in match.group(1).split())


def _upper(value: str | None) -> str | None:
    value = (value or "").strip().strip(",").upper()
    return " ".join(value.split()) or None


def _plain(line: str) -> tuple[str, str | None, str | None, str | None] | None:
    """(street, city, state, ZIP) of a line in a plain shape, read without usaddress's CRF."""
    line = _COMMA_SUITE.sub(" ", line)
    if _plain_street(line):
        return line, None, None, None
    if (full := _FULL_LINE.match(line)) and _plain_street(full.group(1)):
        street, city, state, zip5 = full.groups()
        return street, city, state, zip5
    return None


@lru_cache(maxsize=65_536)  # payment-level files repeat a payee's address on every row
def _read_line(line: str) -> tuple[str, str | None, str | None, str | None] | None:
    """(street, city, state, ZIP) an address line holds; None when usaddress cannot label it. The
    plain shapes are read without usaddress's CRF, which labels them the same (tested)."""
    if (plain := _plain(line)) is not None:
        return plain
    try:
        tagged = usaddress.tag(line)[0]
    except usaddress.RepeatedLabelError:
        return None
    street = _upper(" ".join(tagged[part] for part in _STREET_PARTS if part in tagged)) or line
    zip_match = _ZIP.match(tagged.get("ZipCode", ""))
    return (
        street,
        _upper(tagged.get("PlaceName")),
        _upper(tagged.get("StateName")),
        zip_match.group(1) if zip_match else None,
    )


def normalise_address(payee: dict[str, Any]) -> dict[str, Any]:
    """Street line, city, two-letter state and 5-digit ZIP, with how sure the parse was."""
    line = _upper(payee.get("address"))
    city, state = _upper(payee.get("city")), _upper(payee.get("state"))
    zip_match = _ZIP.match((payee.get("zip") or "").strip())
    zip5 = zip_match.group(1) if zip_match else None
    if not line and not city:
        return {
            "address_line": None,
            "city": None,
            "state": state if state in STATES else None,
            "zip": zip5,
            "address_status": "missing",
        }
    status = "parsed"
    if line:
        read = _read_line(line)
        if read is None:
            status = "unparsed"
        else:
            line, line_city, line_state, line_zip = read
            city, state, zip5 = city or line_city, state or line_state, zip5 or line_zip
    if state not in STATES:
        state = None
    if status == "parsed" and not (line and city and state and zip5):
        status = "partial"
    return {"address_line": line, "city": city, "state": state, "zip": zip5, "address_status": status}


@dataclass(frozen=True)
class Enricher:
    """Adds the ``enrichment`` section; external providers are listed in ``providers_pending``."""

    pending_providers: tuple[str, ...] = ()

    def enrich(self, record: dict[str, Any]) -> dict[str, Any]:
        address = normalise_address(record["payee"])
        match = record.get("match") or {}
        kind = (record.get("classification") or {}).get("payee_type")
        excluded = (record.get("screening") or {}).get("excluded", False)
        accepts = match.get("supplier_accepts_card")
        if excluded or kind in ("INDIVIDUAL", "GOVERNMENT"):
            card, method = "NOT_APPLICABLE", "ACH" if kind != "BUSINESS" else "CHECK"
        elif accepts:
            card, method = "ACCEPTS", "CARD"
        else:
            card, method = "UNKNOWN", "ACH" if match.get("supplier_id") else "CHECK"
        return {
            **address,
            "card_acceptance": card,
            "payment_method": method,
            "providers_pending": list(self.pending_providers),
        }

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        record["enrichment"] = self.enrich(record)
        return record
