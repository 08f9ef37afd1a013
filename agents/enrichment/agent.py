"""Faust agent of the enrichment stage: payees.matched -> payees.enriched (with the card network's
search left pending when ``PAYEEFLOW_CARD_NETWORK_ENABLED``: see ``streams/cardsearch.py``)."""

from __future__ import annotations

from payeeflow.agents.enrichment.logic import Enricher
from payeeflow.config import Settings
from payeeflow.streams.app import Stage
from payeeflow.streams.topics import ENRICHED, MATCHED


def build(settings: Settings) -> Stage:
    return Stage("enrichment", MATCHED, ENRICHED, Enricher(card_network=settings.card_network_enabled).apply)
