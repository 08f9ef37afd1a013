"""Faust agent of the exclusion stage: payees.raw -> payees.screened (it also rejects poison)."""

from __future__ import annotations

from typing import Any

from payeeflow.agents.exclusion.logic import ReloadingScreener
from payeeflow.agents.validation import validate_record
from payeeflow.config import Settings
from payeeflow.streams.app import Stage
from payeeflow.streams.topics import RAW, SCREENED


def build(settings: Settings) -> Stage:
    screener = ReloadingScreener(settings.exclusion_keywords_file, settings.exclusion_allowlist_file)

    def apply(record: dict[str, Any]) -> dict[str, Any]:
        validate_record(record, settings.max_name_length)
        return screener.apply(record)

    return Stage("exclusion", RAW, SCREENED, apply)
