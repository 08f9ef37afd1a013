"""Addresses in USPS Publication 28 forms, checked against the USPS ZIP table, offline.

A street line is read into its parts (number, directionals, name, street type, unit) either by a
regular expression for the common shapes or by usaddress's CRF for the rest (``_read_line``): its
model and its features, with the tokeniser and the Viterbi path compiled (``native/src/crf.rs``,
the same labels as ``usaddress.parse``, tested on every line of the shared sample); each
part is then written in its Publication 28 form with usaddress-scourgify's tables (``STREET`` ->
``ST``, ``NORTH`` -> ``N``, ``SUITE`` -> ``STE``, ``ILLINOIS`` -> ``IL``). scourgify's own
normaliser is not called: it runs the CRF on every line (0.12 ms), where the plain shapes, two
lines in three of real mailing addresses, need none.

The verdict (``address_status``):

- ``complete``: street, city, state and ZIP given, and the ZIP's state and one of its USPS city
  names;
- ``corrected``: consistent once a part was taken from the ZIP table (a missing city or state) or
  put in its USPS spelling (``ST PAUL`` -> ``SAINT PAUL``);
- ``inconsistent``: the parts disagree (the ZIP is no USPS ZIP, or belongs to another state or
  city), or the street line could not be read: not to be mailed without a look;
- ``missing``: no street line, or no ZIP to place it.
"""

from __future__ import annotations

import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import usaddress
from scourgify.address_constants import (
    AMBIGUOUS_DIRECTIONALS,
    CITY_ABBRS,
    DIRECTIONAL_REPLACEMENTS,
    OCCUPANCY_TYPE_ABBREVIATIONS,
    STATE_ABBREVIATIONS,
    STREET_TYPE_ABBREVIATIONS,
)

from payeeflow._native import AddressTagger
from payeeflow.agents.enrichment.zip_table import zip_table

STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM "
    "NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP AA AE AP".split()
)
_DIRECTIONS = {**DIRECTIONAL_REPLACEMENTS, **AMBIGUOUS_DIRECTIONALS}
_ZIP = re.compile(r"^(\d{5})(?:-?\d{4})?$")
# The common shapes, which usaddress labels as street parts whole, are read without the CRF: a
# number, up to four name words and a street type, abbreviated or spelled out, with directionals
# and a suite (``2062 MILL BLVD``, ``40 N OAK ST W``, ``500 W. MADISON STREET STE 4``), and PO
# boxes. Name words of one letter, directionals and street types are left to usaddress (``612 A
# LAKE ST``, ``SAINT JOHN W ST``, ``PECK LANE CHESHIRE CT``), where it reorders or drops a word.
_SUFFIXES = "ST|AVE|BLVD|RD|DR|LN|CT|WAY|PL|PKWY|HWY|CIR|TER|TRL|SQ|LOOP|PIKE|ROW|PLZ|XING|EXPY|FWY"
_SPELLED = "STREET|AVENUE|ROAD|DRIVE|LANE|COURT|PLACE|BOULEVARD|PARKWAY|CIRCLE|TERRACE|TRAIL"
_PLAIN_STREET = re.compile(
    r"^(?P<AddressNumber>\d{1,6}) "
    r"(?:(?P<StreetNamePreDirectional>[NSEW]{1,2}\.?|NORTH|SOUTH|EAST|WEST) )?"
    r"(?P<StreetName>(?:(?:[A-Z]{2,}|\d+(?:ST|ND|RD|TH)) ){1,4})"  # name words, ordinals
    rf"(?P<StreetNamePostType>(?:{_SUFFIXES}|{_SPELLED})\.?)"
    r"(?: (?P<StreetNamePostDirectional>[NSEW]{1,2}))?"
    r"(?: (?P<OccupancyType>(?:STE|SUITE|APT|UNIT)\.?) (?P<OccupancyIdentifier>#?[A-Z0-9-]+))?$"
)
_COMMA_SUITE = re.compile(r", (?=(?:STE|SUITE|APT|UNIT)\.? )")  # usaddress drops that comma
_PO_BOX = re.compile(r"^(?P<USPSBoxType>PO|P\.O\.|P O|P\. O\.) BOX (?P<USPSBoxID>\d+)$")
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
# usaddress's labels of a street line, in the order the line is written
STREET_PARTS = (
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


class Line(NamedTuple):
    """What a street line holds: the street in USPS forms, and any city, state and ZIP on it."""

    street: str
    city: str | None
    state: str | None
    zip: str | None


def _plain_parts(line: str) -> dict[str, str] | None:
    if box := _PO_BOX.match(line):
        return box.groupdict()
    match = _PLAIN_STREET.match(line)
    if match is None or any(word in _NOT_A_NAME_WORD for word in match.group("StreetName").split()):
        return None
    return {label: part.strip() for label, part in match.groupdict().items() if part}


def _plain(line: str) -> tuple[dict[str, str], str | None, str | None, str | None] | None:
    """(street parts, city, state, ZIP) of a line in a plain shape, read without usaddress's CRF."""
    line = _COMMA_SUITE.sub(" ", line)
    if (parts := _plain_parts(line)) is not None:
        return parts, None, None, None
    if (full := _FULL_LINE.match(line)) and (parts := _plain_parts(full.group(1))) is not None:
        _, city, state, zip5 = full.groups()
        return parts, city, state, zip5
    return None


def _usps(label: str, part: str) -> str:
    """One part of a street line in its Publication 28 form."""
    part = part.strip(" ,")
    if label in ("StreetNamePreDirectional", "StreetNamePostDirectional"):
        bare = part.replace(".", "")
        return _DIRECTIONS.get(bare, bare)
    if label == "StreetNamePostType":
        bare = part.rstrip(".")
        return STREET_TYPE_ABBREVIATIONS.get(bare, bare)
    if label == "OccupancyType":
        bare = part.replace(".", "")
        return OCCUPANCY_TYPE_ABBREVIATIONS.get(bare, bare)
    if label == "OccupancyIdentifier":
        return part.lstrip("# ") or part
    if label == "OccupancyNumber":  # a unit without a designator: "#4" is "# 4"
        return "# " + part.lstrip("# ") if part.startswith("#") else part
    if label == "USPSBoxType":
        return "PO BOX"
    return part


def _street(parts: dict[str, str]) -> str:
    if "USPSBoxType" in parts and "USPSBoxID" in parts and "StreetName" not in parts:
        return f"PO BOX {parts['USPSBoxID']}"
    bare_unit = "OccupancyIdentifier" in parts and "OccupancyType" not in parts
    return " ".join(
        _usps("OccupancyNumber" if bare_unit and label == "OccupancyIdentifier" else label, parts[label])
        for label in STREET_PARTS
        if parts.get(label)
    )


@lru_cache(maxsize=65_536)  # payment-level files repeat a payee's address on every row
def _read_line(line: str) -> Line | None:
    """The street in USPS forms, and the city, state and ZIP a line holds; None when usaddress
    cannot label it. The plain shapes are read without usaddress's CRF, which labels them the same
    (tested)."""
    if (plain := _plain(line)) is not None:
        parts, city, state, zip5 = plain
        return Line(_street(parts), _upper(city), _upper(state), zip5)
    if (tagged := _tag(line)) is None:
        return None
    street = _street({label: tagged[label] for label in STREET_PARTS if label in tagged}) or line
    zip_match = _ZIP.match(tagged.get("ZipCode", ""))
    return Line(
        street,
        _upper(tagged.get("PlaceName")),
        _upper(tagged.get("StateName")),
        zip_match.group(1) if zip_match else None,
    )


_WEIGHT = re.compile(r"^\s+\(\d+\) (.+) --> (\w+): (\S+)$")


@lru_cache(maxsize=1)
def _tagger() -> AddressTagger:
    """usaddress's model (labels, transition and state weights), read once from the installed
    package's crfsuite file through crfsuite's own dump."""
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "usaddr.dump"
        usaddress.TAGGER.dump(str(dump))
        text = dump.read_text(encoding="utf-8")
    sections: dict[str, list[str]] = {}
    for block in text.split("\n}\n"):
        head, _, body = block.strip().partition(" = {\n")
        sections[head] = body.splitlines()
    labels = [line.split(": ", 1)[1] for line in sections["LABELS"]]
    index = {label: i for i, label in enumerate(labels)}

    def weights(section: str) -> list[tuple[str, str, float]]:
        found = (_WEIGHT.match(line) for line in sections[section])
        return [(m.group(1), m.group(2), float(m.group(3))) for m in found if m]

    return AddressTagger(
        labels=labels,
        state=[(attribute, index[label], w) for attribute, label, w in weights("STATE_FEATURES")],
        transitions=[(index[a], index[b], w) for a, b, w in weights("TRANSITIONS")],
        directions=set(usaddress.DIRECTIONS),
        street_names=set(usaddress.STREET_NAMES),
    )


def _tag(line: str) -> dict[str, str] | None:
    """``usaddress.tag``'s components of a line, or None where it raises ``RepeatedLabelError``."""
    parsed = _tagger().parse(line)
    if parsed is None:
        parsed = usaddress.parse(line)
    parts: dict[str, list[str]] = {}
    last = None
    crossing = False  # after an intersection's separator, the second street's parts
    for token, label in parsed:
        crossing = crossing or label == "IntersectionSeparator"
        if crossing and "StreetName" in label:
            label = "Second" + label
        if label != last and label in parts:
            return None
        parts.setdefault(label, []).append(token)
        last = label
    return {label: " ".join(tokens).strip(" ,;") for label, tokens in parts.items()}


def _upper(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(value.strip().strip(",").upper().split()) or None


def _state(value: str | None) -> str | None:
    """A state's two-letter code, from the code or the name (``ILLINOIS``, ``ILL``, ``Ill.``)."""
    if value is None:
        return None
    bare = value.replace(".", "")
    return STATE_ABBREVIATIONS.get(bare, bare)


def _usps_city(city: str) -> str:
    """``ST PAUL`` as USPS writes it: ``SAINT PAUL`` (and MT, FT)."""
    first, _, rest = city.partition(" ")
    return f"{CITY_ABBRS[first]} {rest}" if rest and first in CITY_ABBRS and first != "VA" else city


def standardise_address(payee: dict[str, Any]) -> dict[str, Any]:
    """The ``enrichment`` section's address: street line, city, state and ZIP in USPS forms, and
    the verdict (see the module's docstring)."""
    line = _upper(payee.get("address"))
    city, state = _upper(payee.get("city")), _state(_upper(payee.get("state")))
    zip_match = _ZIP.match((payee.get("zip") or "").strip())
    zip5 = zip_match.group(1) if zip_match else None
    readable = True
    if line:
        read = _read_line(line)
        if read is None:
            readable = False
        else:
            line = read.street
            city, state, zip5 = city or read.city, state or _state(read.state), zip5 or read.zip
    if state is not None and state not in STATES:
        state = None
    status = _verdict(line, city, state, zip5, readable)
    if status[1] is not None:
        city, state = status[1], status[2]
    return {"address_line": line, "city": city, "state": state, "zip": zip5, "address_status": status[0]}


def _verdict(
    line: str | None, city: str | None, state: str | None, zip5: str | None, readable: bool
) -> tuple[str, str | None, str | None]:
    """(status, city, state) with the city and state the ZIP table gives, when it gives them."""
    if not line or not zip5:
        return "missing", None, None
    known = zip_table().get(zip5)
    if known is None or not readable or (state is not None and state != known.state):
        return "inconsistent", None, None
    corrected = state is None or city is None
    if city is not None and not known.accepts(city):
        spelled = _usps_city(city)
        if not known.accepts(spelled):
            return "inconsistent", None, None
        city, corrected = spelled, True
    return ("corrected" if corrected else "complete"), city or known.city, known.state
