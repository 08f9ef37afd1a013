"""Payee type (INDIVIDUAL / BUSINESS / GOVERNMENT / UNKNOWN) with confidence, reason and SIC code."""

from agents.classification.logic import Classifier

__all__ = ["Classifier"]
