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


@dataclass(frozen=True)
class Enricher:
    """Adds the ``enrichment`` section; with ``card_network``, a business the supplier network does
    not know to take cards is left pending for the card network's search."""

    card_network: bool = False

    def __post_init__(self) -> None:
        zip_table()  # read once when the stage is built, not by its first record

    def enrich(self, record: dict[str, Any]) -> dict[str, Any]:
        address = standardise_address(record["payee"])
        payment = recommend(record, address["address_status"])
        pending = [CARD_NETWORK] if self.card_network and needs_card_search(record, payment) else []
        return {
            **address,
            **payment.section(),
            "providers_pending": pending,
            "card_network": None,
        }

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
