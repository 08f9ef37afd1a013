"""The enrichment stage: the address in USPS forms with its verdict, and how to pay the payee.

Slow external providers (the card network's search, address validation) add to this later, as a
new version of the payee; ``providers_pending`` names those still to answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payeeflow.agents.enrichment.address import standardise_address
from payeeflow.agents.enrichment.payment import recommend
from payeeflow.agents.enrichment.zip_table import zip_table


@dataclass(frozen=True)
class Enricher:
    """Adds the ``enrichment`` section."""

    pending_providers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        zip_table()  # read once when the stage is built, not by its first record

    def enrich(self, record: dict[str, Any]) -> dict[str, Any]:
        address = standardise_address(record["payee"])
        payment = recommend(record, address["address_status"])
        return {
            **address,
            "card_acceptance": payment.card_acceptance,
            "payment_method": payment.method,
            "payment_confidence": payment.confidence,
            "payment_reason": payment.reason,
            "providers_pending": list(self.pending_providers),
        }

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        record["enrichment"] = self.enrich(record)
        return record
