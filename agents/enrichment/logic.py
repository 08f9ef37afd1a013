"""The enrichment stage: the address in USPS forms with its verdict, and how to pay the payee.

Slow external providers (the card network's search, address validation) add to this later, as a
new version of the payee; ``providers_pending`` names those still to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payeeflow.agents.enrichment.address import standardise_address
from payeeflow.agents.enrichment.payment import needs_card_search, recommend
from payeeflow.agents.enrichment.zip_table import zip_table

CARD_NETWORK = "card_network"
ADDRESS_VALIDATION = "address_validation"
ADDRESS_FIELDS = ("address_line", "city", "state", "zip")


@dataclass(frozen=True)
class Enricher:
    """Adds the ``enrichment`` section; with ``card_network``, a business the supplier network does
    not know to take cards is left pending for the card network's search; with
    ``address_validation``, every payee with an address is left pending for its validation."""

    card_network: bool = False
    address_validation: bool = False

    def __post_init__(self) -> None:
        zip_table()  # read once when the stage is built, not by its first record

    def enrich(self, record: dict[str, Any]) -> dict[str, Any]:
        address = standardise_address(record["payee"])
        payment = recommend(record, address["address_status"])
        pending = (
            [ADDRESS_VALIDATION] if self.address_validation and address["address_status"] != "missing" else []
        )
        if self.card_network and needs_card_search(record, payment):
            pending.append(CARD_NETWORK)
        return {
            **address,
            **payment.section(),
            "providers_pending": pending,
            "card_network": None,
            "address_validation": None,
        }

    def validated(
        self, record: dict[str, Any], check: dict[str, Any], usps: dict[str, str] | None
    ) -> dict[str, Any]:
        """The record's next version once address validation answered (or could not): the
        USPS-standardised lines when it gave them, the verdict from its answer (``complete`` when
        every component was confirmed as written, ``corrected`` when CASS rewrote it,
        ``inconsistent`` when it says fix it; the offline verdict otherwise), the payment
        reconsidered."""
        enrichment = record["enrichment"]
        address = {field: enrichment[field] for field in ADDRESS_FIELDS}
        status = enrichment["address_status"]
        if check["outcome"] == "answered":
            if usps:
                address = {field: usps.get(field) or address[field] for field in ADDRESS_FIELDS}
            if check["address_complete"] and not check["unconfirmed_components"]:
                same = all(address[f] == enrichment[f] for f in ADDRESS_FIELDS)
                status = "complete" if same else "corrected"
            elif check["next_action"] == "FIX":
                status = "inconsistent"
        payment = recommend(record, status, enrichment["card_network"])
        record["enrichment"] = {
            **enrichment,
            **address,
            "address_status": status,
            **payment.section(),
            "providers_pending": [p for p in enrichment["providers_pending"] if p != ADDRESS_VALIDATION],
            "address_validation": check,
        }
        return record

    def answered(self, record: dict[str, Any], card: dict[str, Any]) -> dict[str, Any]:
        """The record's next version once the card network answered (or could not): its answer
        kept, the payment recommendation reconsidered, the card network no longer pending."""
        enrichment = record["enrichment"]
        payment = recommend(record, enrichment["address_status"], card)
        record["enrichment"] = {
            **enrichment,
            **payment.section(),
            "providers_pending": [p for p in enrichment["providers_pending"] if p != CARD_NETWORK],
            "card_network": card,
        }
        return record

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        record["enrichment"] = self.enrich(record)
        return record
