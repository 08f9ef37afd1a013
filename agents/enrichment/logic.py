"""Address normalisation with usaddress and payment-method rules; slow providers come later."""

from __future__ import annotations

import re
from dataclasses import dataclass
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


def _upper(value: str | None) -> str | None:
    value = (value or "").strip().strip(",").upper()
    return " ".join(value.split()) or None


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
        try:
            tagged, _ = usaddress.tag(line)
            street = " ".join(tagged[part] for part in _STREET_PARTS if part in tagged)
            line = _upper(street) or line
            city = city or _upper(tagged.get("PlaceName"))
            state = state or _upper(tagged.get("StateName"))
            if not zip5 and (z := _ZIP.match(tagged.get("ZipCode", ""))):
                zip5 = z.group(1)
        except usaddress.RepeatedLabelError:
            status = "unparsed"
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
