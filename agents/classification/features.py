"""The classifier's features, shared by training and inference so they can never drift apart.

A name becomes a list of feature strings: its words, first and last word, word bigrams, character
4-grams, its shape (length, comma, digits, initials) and the lexicon's signals (first-name and
surname frequency, legal form, business and government phrases, known company). ``Signals`` keeps
the human-readable ones for the ``reason`` of a decision.

The reading itself is compiled (``native/src/features.rs``, imported as
``payeeflow._native``) so a payee costs microseconds; this module holds the word lists
it reads with and builds it from the trained lexicon.
"""

from __future__ import annotations

import re
from typing import Any

from payeeflow._native import Featurizer as NativeFeaturizer
from payeeflow._native import Signals
from payeeflow.agents.text import canonical, canonical_tokens, strip_erp_noise

TITLES = frozenset({"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "HON", "SIR", "ATTY"})
GENERATIONS = frozenset({"JR", "SR", "II", "III", "IV", "2ND", "3RD"})
PROFESSIONS = frozenset({"DDS", "DMD", "MD", "DO", "CPA", "ESQ", "PHD", "RN", "DC", "OD", "DPM", "DVM"})
# Government phrases that alone are weak evidence: many companies' names hold them too.
WEAK_GOVERNMENT = frozenset(
    {
        "COUNTY",
        "COMMISSION",
        "AUTHORITY",
        "FEDERAL",
        "GOVERNMENT",
        "BOARD OF",
        "TOWNSHIP",
        "MUNICIPAL",
        "TRIBAL",
        "TRIBE",
        "DIVISION OF",
        "OFFICE OF THE",
        "ADMINISTRATION",
        "PORT OF",
        "CORRECTIONS",
    }
)
# Features that say how a name looks, not what it says: alone they are no evidence.
SHAPE = ("n=", "comma", "digit", "len", "initial", "namelike=")
# A nickname in quotes between a person's names: EARL "THE GOAT" MANIGAULT is EARL MANIGAULT.
_QUOTED = re.compile(r'\s"[^"]+"\s')

__all__ = ["SHAPE", "Featurizer", "Signals"]


class Featurizer:
    """A name's features and signals against the lexicon's word lists."""

    def __init__(self, lexicon: dict[str, Any]) -> None:
        phrases = {canonical(phrase) for phrase in lexicon["government_phrases"]}
        self.native = NativeFeaturizer(
            first_names=list(lexicon["first_names"].items()),
            surnames=list(lexicon["surnames"].items()),
            legal=list(lexicon["legal_suffixes"]),
            business=list(lexicon["business_words"]),
            trade=list(lexicon["trade_words"]),
            titles=list(TITLES),
            generations=list(GENERATIONS),
            professions=list(PROFESSIONS),
            known_companies=list(lexicon["known_companies"]),
            places=list(lexicon["places"]),
            government=[(phrase, phrase in WEAK_GOVERNMENT) for phrase in sorted(phrases)],
        )

        self.legal = frozenset(lexicon["legal_suffixes"])

    def read(self, name: str) -> tuple[str, tuple[str, ...]]:
        """The name without ERP wording (``strip_erp_noise``: ``ACME INC - AP DEPT`` is ``ACME INC``)
        or a quoted nickname, and its ``canonical_tokens``, with a legal form spelled in letters
        joined: ``BLACK & MCDONALD, P. C.`` ends in PC, ``TELEFONICA S A`` in SA."""
        name = strip_erp_noise(name)
        if '"' in name:
            name = _QUOTED.sub(" ", name)
        tokens = canonical_tokens(name)
        if len(tokens) < 3 or len(tokens[-1]) != 1:  # nearly every name: no letters at the end
            return name, tokens
        for k in (3, 2):
            tail = tokens[-k:]
            if len(tokens) > k and all(len(t) == 1 for t in tail) and "".join(tail) in self.legal:
                return name, (*tokens[:-k], "".join(tail))
        return name, tokens

    def __call__(self, name: str) -> tuple[list[str], Signals, str]:
        """(features, signals, canonical text) of a name; a feature may come more than once."""
        name, tokens = self.read(name)
        features, signals = self.native.features(name, tokens)
        return features, signals, " ".join(tokens)
