"""Faust agent of the classification stage: payees.screened -> payees.classified.

Reviewers' corrections (``payees.corrections``) are followed while the agent runs and set the type
of every later record of the payee and of the same name.

With ``PAYEEFLOW_LLM_ENABLED``, payees the offline model is unsure of are also asked of an
OpenAI-compatible LLM (``payeeflow.agents.classification.llm``), concurrently within each batch.
"""

from __future__ import annotations

from typing import Any

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.feeds import CorrectionFeed
from payeeflow.config import Settings
from payeeflow.streams.app import Stage
from payeeflow.streams.topics import CLASSIFIED, SCREENED


def build(settings: Settings) -> Stage:
    classifier = Classifier.load()
    feed = CorrectionFeed(settings, classifier.corrections)
    stage = Stage("classification", SCREENED, CLASSIFIED, classifier.apply, feeds=[feed])
    if settings.llm_enabled:
        from payeeflow.agents.classification.llm import (
            LLMFallback,  # the openai client costs ~40 MiB to import
        )

        fallback = LLMFallback(settings)

        async def refine(record: dict[str, Any]) -> dict[str, Any]:
            record["classification"] = await fallback.refine(
                record["payee"]["name"], record["classification"]
            )
            return record

        stage.refine = refine
    return stage
