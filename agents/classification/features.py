"""The classifier's features, shared by training and inference so they can never drift apart.

A name becomes a list of feature strings: its words, first and last word, word bigrams, character
4-grams, its shape (length, comma, digits, initials) and the lexicon's signals (first-name and
surname frequency, legal form, business and government phrases, known company). ``Signals`` keeps
the human-readable ones for the ``reason`` of a decision.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from agents.phrases import PhraseIndex
from agents.text import canonical_tokens

TITLES = frozenset({"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "HON", "SIR", "ATTY"})
GENERATIONS = frozenset({"JR", "SR", "II", "III", "IV", "2ND", "3RD"})
PROFESSIONS = frozenset({"DDS", "DMD", "MD", "DO", "CPA", "ESQ", "PHD", "RN", "DC", "OD", "DPM", "DVM"})
NOT_NAME_WORDS = TITLES | GENERATIONS | PROFESSIONS | {"AND"}
LAST_FIRST = "LAST, FIRST form"
_DIGIT = re.compile(r"[0-9]")
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


class Word(NamedTuple):
    """What one word contributes to any name it is in; computed once per word and cached."""

    features: tuple[str, ...]  # its own: itself, whether it is an initial, its character 4-grams
    first: str  # the feature for a name that starts with it
    last: str  # ... and for one that ends with it
    flags: int  # LEGAL | BUSINESS | TITLE | GENERATION | PROFESSION | NAME_WORD | KNOWN_NAME
    first_name: str | None  # fn_hi / fn_mid / fn_lo when it is a known first name
    surname: str | None  # sn_hi / ...


LEGAL, BUSINESS, TITLE, GENERATION, PROFESSION, NAME_WORD, KNOWN_NAME = (1 << i for i in range(7))


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
        # Bounded: words repeat across names far more than names do, and a cached feature string
        # keeps its hash, so the model's lookups of a known word's features cost no hashing.
        self.word = lru_cache(maxsize=65536)(self._word)

    def _word(self, tok: str) -> Word:
        padded = f"^{tok}$"
        grams = ["c=" + padded[i : i + 4] for i in range(len(padded) - 3)]
        flags = (
            LEGAL * (tok in self.legal)
            | BUSINESS * (tok in self.business_words)
            | TITLE * (tok in TITLES)
            | GENERATION * (tok in GENERATIONS)
            | PROFESSION * (tok in PROFESSIONS)
            | NAME_WORD * (len(tok) > 1 and tok not in NOT_NAME_WORDS)
            | KNOWN_NAME * (tok in self.first_names or tok in self.surnames)
        )
        first, surname = self.first_names.get(tok), self.surnames.get(tok)
        return Word(
            ("w=" + tok, *(("initial",) if len(tok) == 1 else ()), *grams),
            "f=" + tok,
            "l=" + tok,
            flags,
            None if first is None else "fn_" + _bucket(first),
            None if surname is None else "sn_" + _bucket(surname),
        )

    def __call__(self, name: str) -> tuple[list[str], Signals, str]:
        """(features, signals, canonical text) of a name."""
        tokens, feats, signals, text = self.parts(name)
        for tok in tokens:
            feats.extend(self.word(tok).features)
        return feats, signals, text

    def parts(self, name: str) -> tuple[tuple[str, ...], list[str], Signals, str]:
        """(tokens, the name's features but its words' own, signals, canonical text).

        A name's features are these plus each token's ``Word.features``, which the classifier
        looks up once per word and caches.
        """
        tokens = canonical_tokens(name)
        text = " ".join(tokens)
        signals = Signals()
        feats = [_LENGTHS[min(len(tokens), 7)]]
        if not tokens:
            return tokens, feats, signals, text
        words = [self.word(tok) for tok in tokens]
        if "," in name:
            feats.append("comma")
            if "," in name.split(None, 1)[0]:
                feats.append("comma_after_first")
                signals.person.append(LAST_FIRST)
        if _DIGIT.search(text):
            feats.append("digit")
            signals.digits = True
        if len(name) in (22, 35):
            feats.append(f"len{len(name)}")
        feats.append(words[0].first)
        feats.append(words[-1].last)
        feats.extend(f"b={a}_{b}" for a, b in itertools.pairwise(tokens))
        self._lexicon_features(tokens, words, text, feats, signals)
        return tokens, feats, signals, text

    def _lexicon_features(
        self, tokens: Sequence[str], words: list[Word], text: str, feats: list[str], signals: Signals
    ) -> None:
        flags = nbiz = known = 0
        core: list[str] = []  # the name without legal forms or THE, to look up as a known company
        named: list[Word] = []  # the words that can be part of a person's name
        for tok, word in zip(tokens, words, strict=True):  # one pass: this runs for every payee
            flags |= word.flags
            if word.flags & LEGAL:
                signals.legal_form = tok
            elif tok != "THE":
                core.append(tok)
            if word.flags & BUSINESS:
                nbiz += 1
                signals.business_word = signals.business_word or tok
            if word.flags & NAME_WORD:
                named.append(word)
                known += word.flags & KNOWN_NAME
        if flags & LEGAL:
            feats.append("legal")
            if words[-1].flags & LEGAL:
                feats.append("legal_last")
        hits = self.government.find(text)
        if hits:
            strong = [phrase for phrase, _ in hits if phrase not in WEAK_GOVERNMENT]
            feats.append("gov" if strong else "gov_weak")
            signals.government = strong[0] if strong else hits[0][0]
        if nbiz:
            feats.append(_BUSINESS[min(nbiz, 3)])
        if " ".join(core) in self.known_companies:
            feats.append("known_co")
            signals.known_company = True
        if tokens[0] == "THE":
            feats.append("the_first")
        if flags & TITLE:
            feats.append("title")
            signals.person.append("title")
        if flags & GENERATION:
            feats.append("generation")
            signals.person.append("generational suffix")
        if flags & PROFESSION:
            feats.append("profession")
        if not named:
            return
        if len(named) > 1 and signals.person[:1] == [LAST_FIRST]:
            named.append(named.pop(0))  # LAST, FIRST -> FIRST LAST
        first, last = named[0], named[-1]
        if first.first_name:
            feats.append(first.first_name)
            signals.first_name = True
        if last.surname:
            feats.append(last.surname)
            signals.surname = len(named) > 1 or any(len(t) == 1 for t in tokens)
        known //= KNOWN_NAME
        feats.append(f"namelike={known}/{min(len(named), 5)}")
        if known == len(named) and "AND" in tokens:
            feats.append("couple")


_LENGTHS = [f"n={n}" for n in range(8)]
_BUSINESS = ["", "biz=1", "biz=2", "biz=3"]
