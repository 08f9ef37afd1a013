"""Rule-based payee typing over the trained lexicon; every signal used is named in ``reason``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.classification.train import MODEL_FILE, load_lexicon
from agents.phrases import PhraseIndex
from agents.text import canonical_tokens

TITLES = {"MR", "MRS", "MS", "MISS", "DR", "PROF", "REV", "HON", "SIR", "ATTY"}
GENERATIONS = {"JR", "SR", "II", "III", "IV", "V", "2ND", "3RD"}
PROFESSIONS = {"DDS", "DMD", "MD", "DO", "CPA", "ESQ", "PHD", "RN", "DC", "OD", "DPM", "DVM"}
# Weak government words: they name a government body only when nothing marks a business.
WEAK_GOVERNMENT = {
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
_DIGIT = re.compile(r"\d")


@dataclass
class Classifier:
    """Types a payee name as INDIVIDUAL, BUSINESS, GOVERNMENT or UNKNOWN."""

    lexicon: dict[str, Any]
    first_names: dict[str, float] = field(init=False)
    surnames: dict[str, float] = field(init=False)
    legal: frozenset[str] = field(init=False)
    business_words: frozenset[str] = field(init=False)
    known_companies: frozenset[str] = field(init=False)
    government: PhraseIndex[str] = field(init=False)

    def __post_init__(self) -> None:
        lx = self.lexicon
        self.first_names = lx["first_names"]
        self.surnames = lx["surnames"]
        self.legal = frozenset(lx["legal_suffixes"])
        self.business_words = frozenset(lx["business_words"]) - GENERATIONS - TITLES
        self.known_companies = frozenset(lx["known_companies"])
        self.government = PhraseIndex((p, p) for p in lx["government_phrases"])

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> Classifier:
        return cls(load_lexicon(path))

    def classify(self, name: str) -> dict[str, Any]:
        """The ``classification`` section for one name."""
        tokens = canonical_tokens(name)
        text = " ".join(tokens)
        legal = [tok for tok in tokens if tok in self.legal]
        gov_hits = [phrase for phrase, _ in self.government.find(text)]
        strong_gov = [p for p in gov_hits if p not in WEAK_GOVERNMENT]
        if strong_gov and not legal:
            return self._result("GOVERNMENT", 0.96, f"government phrase '{strong_gov[0]}'", text)
        if legal:
            return self._result("BUSINESS", 0.97, f"legal form '{legal[-1]}'", text)
        core = " ".join(tok for tok in tokens if tok != "THE")
        if core in self.known_companies:
            return self._result("BUSINESS", 0.93, "known company name", text)
        if gov_hits:
            return self._result("GOVERNMENT", 0.8, f"government word '{gov_hits[0]}'", text)
        biz = [tok for tok in tokens if tok in self.business_words]
        if biz:
            return self._result("BUSINESS", 0.9, f"business word '{biz[0]}'", text)
        if _DIGIT.search(text):
            return self._result("BUSINESS", 0.75, "digits in the name", text)
        return self._person_or_unknown(name, tokens, text)

    def _person_or_unknown(self, name: str, tokens: list[str], text: str) -> dict[str, Any]:
        signals = []
        if any(tok in TITLES for tok in tokens):
            signals.append("title")
        if any(tok in GENERATIONS for tok in tokens):
            signals.append("generational suffix")
        words = [
            tok
            for tok in tokens
            if tok not in TITLES and tok not in GENERATIONS and tok not in PROFESSIONS and tok != "AND"
        ]
        initials = [tok for tok in words if len(tok) == 1]
        names = [tok for tok in words if len(tok) > 1]
        if not names:
            return self._result("UNKNOWN", 0.3, "no recognisable words", text)
        if "," in name:  # LAST, FIRST M
            signals.append("LAST, FIRST form")
            names = names[1:] + names[:1]
        first_known = names[0] in self.first_names
        last_known = names[-1] in self.surnames
        all_known = all(tok in self.first_names or tok in self.surnames for tok in names)
        if len(names) == 1:
            if initials and last_known:
                return self._result("INDIVIDUAL", 0.8, "initial and surname", text)
            return self._result("BUSINESS", 0.55, "single word, likely a brand", text)
        if len(names) > 5:
            return self._result("BUSINESS", 0.6, "too many words for a person", text)
        if first_known and last_known and all_known:
            signals.append("first name and surname")
            confidence = 0.9 + 0.03 * min(len(signals) - 1, 2)
            return self._result("INDIVIDUAL", confidence, ", ".join(signals), text)
        if first_known or last_known:
            signals.append("first name" if first_known else "surname")
            return self._result("INDIVIDUAL", 0.65, ", ".join(signals), text)
        return self._result("UNKNOWN", 0.4, "no person, business or government signal", text)

    def _result(self, payee_type: str, confidence: float, reason: str, text: str) -> dict[str, Any]:
        sic_code, sic_description = self._sic(payee_type, text)
        return {
            "payee_type": payee_type,
            "confidence": round(confidence, 3),
            "reason": reason,
            "sic_code": sic_code,
            "sic_description": sic_description,
        }

    def _sic(self, payee_type: str, text: str) -> tuple[str | None, str | None]:
        if payee_type == "INDIVIDUAL" or payee_type == "UNKNOWN":
            return None, None
        descriptions = self.lexicon["sic_descriptions"]
        if payee_type == "GOVERNMENT":
            padded = f" {text} "
            for phrase, code in self.lexicon["government_sic"].items():
                if f" {phrase} " in padded:
                    return code, descriptions.get(code)
            return "9199", descriptions.get("9199")
        lexicon = self.lexicon["sic_lexicon"]
        for tok in text.split():
            hit = lexicon.get(tok)
            if hit:
                return hit[0], hit[1]
        return None, None

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        record["classification"] = self.classify(record["payee"]["name"])
        return record
