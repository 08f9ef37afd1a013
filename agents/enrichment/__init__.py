"""Enrichment: clean address, card acceptance and payment method."""

from payeeflow.agents.enrichment.logic import Enricher

__all__ = ["Enricher"]
