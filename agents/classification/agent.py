"""Faust agent of the classification stage: payees.screened -> payees.classified."""

from __future__ import annotations

from agents.classification.logic import Classifier
from payeeflow.config import Settings
from streams.app import Stage
from streams.topics import CLASSIFIED, SCREENED


def build(settings: Settings) -> Stage:
    return Stage("classification", SCREENED, CLASSIFIED, Classifier.load().apply)
