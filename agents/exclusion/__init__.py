"""Keyword exclusion: payees that must not go through the supplier network."""

from agents.exclusion.logic import Screener

__all__ = ["Screener"]
