"""The classifier's features, shared by training and inference so they can never drift apart.

A name becomes a list of feature strings: its words, first and last word, word bigrams, character
trigrams, its shape (length, comma, digits, initials) and the lexicon's signals (first-name and
surname frequency, legal form, business and government phrases, known company). ``Signals`` keeps
the human-readable ones for the ``reason`` of a decision.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from agents.phrases import PhraseIndex
from agents.text import canonical_tokens

TITLES = frozenset({"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "HON", "SIR", "ATTY"})
GENERATIONS = frozenset({"JR", "SR", "II", "III", "IV", "2ND", "3RD"})
PROFESSIONS = frozenset({"DDS", "DMD", "MD", "DO", "CPA", "ESQ", "PHD", "RN", "DC", "OD", "DPM", "DVM"})
NOT_NAME_WORDS = TITLES | GENERATIONS | PROFESSIONS | {"AND"}
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
    }
)


@dataclass
class Signals:
    """What a name shows, in words a person reads."""

    legal_form: str | None = None
    government: str | None = None
    business_word: str | None = None
    known_company: bool = False
    first_name: bool = False
    surname: bool = False
    person: list[str] = field(default_factory=list)
    digits: bool = False


def _bucket(share: float) -> str:
    return "hi" if share >= 100 else "mid" if share >= 10 else "lo"


class Featurizer:
    def __init__(self, lexicon: dict[str, Any]) -> None:
        self.first_names: dict[str, float] = lexicon["first_names"]
        self.surnames: dict[str, float] = lexicon["surnames"]
        self.legal = frozenset(lexicon["legal_suffixes"])
        self.business_words = frozenset(lexicon["business_words"]) - GENERATIONS - TITLES
        self.known_companies = frozenset(lexicon["known_companies"])
        self.government = PhraseIndex((p, p) for p in lexicon["government_phrases"])

    def __call__(self, name: str) -> tuple[list[str], Signals, str]:
        """(features, signals, canonical text) of a name."""
        tokens = canonical_tokens(name)
        text = " ".join(tokens)
        signals = Signals()
        feats = [f"n={min(len(tokens), 7)}"]
        if not tokens:
            return feats, signals, text
        if "," in name:
            feats.append("comma")
            if "," in name.split()[0]:
                feats.append("comma_after_first")
                signals.person.append("LAST, FIRST form")
        if any(ch.isdigit() for ch in text):
            feats.append("digit")
            signals.digits = True
        if len(name) in (22, 35):
            feats.append(f"len{len(name)}")
        for tok in tokens:
            feats.append("w=" + tok)
            if len(tok) == 1:
                feats.append("initial")
            padded = f"^{tok}$"
            feats.extend("c=" + padded[i : i + 4] for i in range(len(padded) - 3))
        feats.append("f=" + tokens[0])
        feats.append("l=" + tokens[-1])
        feats.extend(f"b={a}_{b}" for a, b in itertools.pairwise(tokens))
        self._lexicon_features(name, tokens, text, feats, signals)
        return feats, signals, text

    def _lexicon_features(
        self, name: str, tokens: Sequence[str], text: str, feats: list[str], signals: Signals
    ) -> None:
        legal = [tok for tok in tokens if tok in self.legal]
        if legal:
            feats.append("legal")
            if tokens[-1] in self.legal:
                feats.append("legal_last")
            signals.legal_form = legal[-1]
        hits = [phrase for phrase, _ in self.government.find(text)]
        strong = [p for p in hits if p not in WEAK_GOVERNMENT]
        if strong:
            feats.append("gov")
            signals.government = strong[0]
        elif hits:
            feats.append("gov_weak")
            signals.government = hits[0]
        biz = [tok for tok in tokens if tok in self.business_words]
        if biz:
            feats.append(f"biz={min(len(biz), 3)}")
            signals.business_word = biz[0]
        core = " ".join(tok for tok in tokens if tok not in self.legal and tok != "THE")
        if core in self.known_companies:
            feats.append("known_co")
            signals.known_company = True
        if tokens[0] == "THE":
            feats.append("the_first")
        present = set(tokens)
        if present & TITLES:
            feats.append("title")
            signals.person.append("title")
        if present & GENERATIONS:
            feats.append("generation")
            signals.person.append("generational suffix")
        if present & PROFESSIONS:
            feats.append("profession")
        words = [
            t for t in tokens if len(t) > 1 and t not in TITLES | GENERATIONS | PROFESSIONS and t != "AND"
        ]
        if not words:
            return
        if "comma_after_first" in feats and len(words) > 1:
            words = words[1:] + words[:1]  # LAST, FIRST -> FIRST LAST
        first, last = words[0], words[-1]
        if first in self.first_names:
            feats.append("fn_" + _bucket(self.first_names[first]))
            signals.first_name = True
        if last in self.surnames:
            feats.append("sn_" + _bucket(self.surnames[last]))
            signals.surname = len(words) > 1 or any(len(t) == 1 for t in tokens)
        known = sum(t in self.first_names or t in self.surnames for t in words)
        feats.append(f"namelike={known}/{min(len(words), 5)}")
        if "AND" in tokens and known == len(words):
            feats.append("couple")
