"""All stages chained in-process: what ``payeeflow process``, the CLI and the API call.

The Kafka path runs the same ``apply`` functions, one agent per stage; this module is only the
in-process composition (the flat row view of a record is ``payeeflow.agents.rows``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.enrichment import Enricher
from payeeflow.agents.exclusion import Screener
from payeeflow.agents.matching import Matcher
from payeeflow.agents.validation import validate_record

Stage = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Pipeline:
    """The stages to run, in order; ``None`` leaves a stage out."""

    screener: Screener | None = None
    classifier: Classifier | None = None
    matcher: Matcher | None = None
    enricher: Enricher | None = None
    max_name_length: int = 300
    stages: list[Stage] = field(init=False)

    def __post_init__(self) -> None:
        chain: list[Any] = [self.screener, self.classifier, self.matcher, self.enricher]
        self.stages = [stage.apply for stage in chain if stage is not None]

    def process(self, record: dict[str, Any]) -> dict[str, Any]:
        """Run every stage on one record; raises ``RecordError`` for a record no stage can use."""
        validate_record(record, self.max_name_length)
        for apply in self.stages:
            record = apply(record)
        return record
