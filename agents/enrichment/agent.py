"""Faust agent of the enrichment stage: payees.matched -> payees.enriched (with address validation
and the card network's search left pending when their flags are on: see ``agents/providers/workflow.py``)."""

from __future__ import annotations

from payeeflow.agents.enrichment.logic import Enricher
from payeeflow.config import Settings
from payeeflow.streams.app import Stage
from payeeflow.streams.topics import ENRICHED, MATCHED


def build(settings: Settings) -> Stage:
    enricher = Enricher(
        card_network=settings.card_network_enabled, address_validation=settings.address_validation_enabled
    )
    return Stage("enrichment", MATCHED, ENRICHED, enricher.apply)
