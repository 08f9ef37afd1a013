"""Keyword exclusion: payees that must not go through the supplier network."""

from payeeflow.agents.exclusion.logic import Screener

__all__ = ["Screener"]
