"""Whole-word phrase search over canonical names with an Aho-Corasick automaton.

Patterns and names are both canonicalised (``payeeflow.agents.text``) and padded with spaces, so a phrase
only matches on word boundaries: ``TAX`` does not hit ``TAXI CAB CO``; ``IRS`` hits ``I.R.S.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

import ahocorasick

from payeeflow.agents.text import canonical

T = TypeVar("T")


class PhraseIndex(Generic[T]):
    """Maps phrases to payloads; ``find`` returns the payloads whose phrases occur in a text."""

    def __init__(self, phrases: Iterable[tuple[str, T]]) -> None:
        self._automaton = ahocorasick.Automaton()
        self.size = 0
        for phrase, payload in phrases:
            key = f" {canonical(phrase)} "
            if key.strip():
                self._automaton.add_word(key, (key.strip(), payload))
                self.size += 1
        if self.size:
            self._automaton.make_automaton()

    def find(self, canonical_text: str) -> list[tuple[str, T]]:
        """All (phrase, payload) hits in an already canonical text, longest phrase first."""
        if not self.size:
            return []
        hits = [value for _, value in self._automaton.iter(f" {canonical_text} ")]
        hits.sort(key=lambda hit: -len(hit[0]))
        return hits
