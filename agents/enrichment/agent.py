"""Faust agent of the enrichment stage: payees.matched -> payees.enriched."""

from __future__ import annotations

from agents.enrichment.logic import Enricher
from payeeflow.config import Settings
from streams.app import Stage
from streams.topics import ENRICHED, MATCHED


def build(settings: Settings) -> Stage:
    return Stage("enrichment", MATCHED, ENRICHED, Enricher().apply)
