"""Client of Google's Address Validation API (``POST v1:validateAddress``, see RESEARCH.md): one
address in, Google's verdict, its USPS CASS-standardised form and whether the address is a
business, a residence or a PO box out. Requests carry the API key in ``X-Goog-Api-Key`` and are
retried as ``provider_http`` retries every provider's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from payeeflow.agents.providers.http import ProviderError, as_flag, as_text, request_json
from payeeflow.config import Settings

PROVIDER = "address_validation"
ACTIONS = frozenset({"FIX", "CONFIRM_ADD_SUBPREMISES", "CONFIRM", "ACCEPT"})


@dataclass(frozen=True)
class AddressAnswer:
    """What Google said of one address; ``usps`` holds CASS's standardised lines when it has them."""

    address_complete: bool
    unconfirmed: bool
    next_action: str | None = None
    formatted: str | None = None
    first_line: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    business: bool | None = None
    residential: bool | None = None
    po_box: bool | None = None

    def to_record(self, outcome: str = "answered") -> dict[str, Any]:
        """The ``address_validation`` section of the enrichment; for an address Google did not
        answer, ``AddressAnswer(False, False).to_record(why)``."""
        return {
            "outcome": outcome,
            "address_complete": self.address_complete,
            "unconfirmed_components": self.unconfirmed,
            "next_action": self.next_action,
            "formatted_address": self.formatted,
            "business": self.business,
            "residential": self.residential,
            "po_box": self.po_box,
        }

    def usps(self) -> dict[str, str] | None:
        """CASS's standardised lines under the enrichment's field names, when it gave them."""
        if not self.first_line:
            return None
        lines = {"address_line": self.first_line, "city": self.city, "state": self.state, "zip": self.zip}
        return {field: value for field, value in lines.items() if value}

    @classmethod
    def from_response(cls, body: Any) -> AddressAnswer:
        try:
            result = body["result"]
            verdict = result.get("verdict") or {}
            usps = (result.get("uspsData") or {}).get("standardizedAddress") or {}
            meta = result.get("metadata") or {}
            action = verdict.get("possibleNextAction")
            return cls(
                address_complete=verdict.get("addressComplete") is True,
                unconfirmed=verdict.get("hasUnconfirmedComponents") is True,
                next_action=action if action in ACTIONS else None,
                formatted=as_text((result.get("address") or {}).get("formattedAddress")),
                first_line=as_text(usps.get("firstAddressLine")),
                city=as_text(usps.get("city")),
                state=as_text(usps.get("state")),
                zip=as_text(usps.get("zipCode")),
                business=as_flag(meta.get("business")),
                residential=as_flag(meta.get("residential")),
                po_box=as_flag(meta.get("poBox")),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ProviderError(f"validateAddress: an answer not in the documented shape ({exc!r})") from exc


class AddressValidationClient:
    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.url = settings.address_validation_url.rstrip("/") + "/v1:validateAddress"
        self.key = settings.address_validation_api_key.get_secret_value()
        self.retries = settings.address_validation_retries
        self.http = http or httpx.AsyncClient(timeout=settings.address_validation_timeout)

    async def validate(
        self, line: str, city: str | None, state: str | None, zip_code: str | None
    ) -> AddressAnswer:
        """Google's answer for a US address, CASS asked for."""
        address = {
            "regionCode": "US",
            "addressLines": [line],
            "locality": city,
            "administrativeArea": state,
            "postalCode": zip_code,
        }
        content = json.dumps({"address": {k: v for k, v in address.items() if v}, "enableUspsCass": True})

        def headers() -> dict[str, str]:
            return {"X-Goog-Api-Key": self.key, "Content-Type": "application/json"}

        body = await request_json(
            self.http, PROVIDER, "validate", "POST", self.url, content, headers, self.retries
        )
        return AddressAnswer.from_response(body)

    async def close(self) -> None:
        await self.http.aclose()
