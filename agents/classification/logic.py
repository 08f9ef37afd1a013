"""Payee typing: a logistic-regression model over name features, with reasons from the signals.

The model (``model/model.json.gz``) and the lexicon it reads (``model/lexicon.json.gz``) are built
by ``payeeflow model train`` from the shared data. Featurising and scoring a name (a softmax of
summed per-feature weights) are compiled, so a name costs microseconds and nothing is loaded beyond
two small files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from payeeflow._native import Scorer
from payeeflow.agents.classification.artifacts import LEXICON_FILE, MODEL_FILE, load_lexicon, load_model
from payeeflow.agents.classification.features import SHAPE, Featurizer, Signals
from payeeflow.agents.classification.meanings import MEANINGS
from payeeflow.agents.corrections import Correction, Corrections
from payeeflow.agents.phrases import PhraseIndex

UNKNOWN_BELOW = 0.5  # a model less sure than this of any class answers UNKNOWN
INTERNAL = "internal_transfer"  # the exclusion category of the books' own accounts


@dataclass
class Classifier:
    """Types a payee name as INDIVIDUAL, BUSINESS, GOVERNMENT or UNKNOWN."""

    lexicon: dict[str, Any]
    model: dict[str, Any]
    corrections: Corrections = field(default_factory=Corrections)
    featurize: Featurizer = field(init=False)

    def __post_init__(self) -> None:
        self.featurize = Featurizer(self.lexicon)
        self.classes: list[str] = self.model["classes"]
        self.raised = raised(self.model["decision_shift"])
        self.sic_phrases = PhraseIndex(self.lexicon["sic_phrases"].items())
        self.government_sic = PhraseIndex(self.lexicon["government_sic"].items())
        self.scorer = Scorer(
            self.featurize.native,
            list(self.model["weights"].items()),
            self.model["bias"],
            self.model["temperature"],
            list(SHAPE),
        )

    @classmethod
    def load(cls, lexicon: Path = LEXICON_FILE, model: Path = MODEL_FILE) -> Classifier:
        return cls(load_lexicon(lexicon), load_model(model))

    def probabilities(self, name: str) -> tuple[list[float], Signals, str, bool]:
        """(class probabilities, signals, canonical text, whether any content feature is known)."""
        name, tokens = self.featurize.read(name)
        probs, signals, evidence = self.scorer.probabilities(name, tokens)
        return probs, signals, " ".join(tokens), evidence

    def classify(self, name: str) -> dict[str, Any]:
        """The ``classification`` section for one name."""
        probs, signals, text, evidence = self.probabilities(name)
        best, confidence = answer(probs, evidence, self.raised)
        payee_type = self.classes[best] if best is not None else "UNKNOWN"
        explained = best if best is not None else probs.index(max(probs))  # UNKNOWN: its best guess
        sic_code, sic_description = self._sic(payee_type, text)
        return {
            "payee_type": payee_type,
            "confidence": round(confidence, 3),
            "reason": self._reason(explained, signals, text, probs)
            if evidence
            else "no known words or signals",
            "sic_code": sic_code,
            "sic_description": sic_description,
        }

    def _reason(self, best: int, signals: Signals, text: str, probs: list[float]) -> str:
        """The signals behind a decision in words; without one, the words that weighed most for
        the answer against the runner-up class. A person's name is never quoted."""
        kind = self.classes[best]
        parts = _signals(kind, signals)
        if not parts and kind != "INDIVIDUAL":
            weighed = []
            for word in dict.fromkeys(text.split()):
                weights = self.model["weights"].get("w=" + word)
                if weights:
                    weighed.append((weights[best] - max(w for i, w in enumerate(weights) if i != best), word))
            parts = [_meaning(word, kind) for lead, word in sorted(weighed, reverse=True)[:2] if lead > 0.5]
        likeliest = probs.index(max(probs))
        if likeliest != best:  # the decision shift chose it: say so, and what the model found likelier
            doubt = f"in doubt ({self.classes[likeliest].lower()} {probs[likeliest]:.2f}, {kind.lower()} "
            parts = [doubt + f"{probs[best]:.2f}): a {kind.lower()} payee is not to be missed", *parts]
        if not parts:
            parts = ["the words of a person's name, no trade or legal form"] if kind == "INDIVIDUAL" else []
            parts = parts or [f"no single word decided; the name as a whole reads as {kind.lower()}"]
        return f"model ({kind.lower()}): " + ", ".join(parts)

    def _sic(self, payee_type: str, text: str) -> tuple[str | None, str | None]:
        if payee_type in ("INDIVIDUAL", "UNKNOWN"):
            return None, None
        descriptions = self.lexicon["sic_descriptions"]
        if payee_type == "GOVERNMENT":  # the longest function named: CHILD SUPPORT before SUPPORT
            code = next((code for _, code in self.government_sic.find(text)), "9199")
            return code, descriptions.get(code)
        hits = self.sic_phrases.find(text)  # curated phrases first, longest first
        if hits:
            return hits[0][1], descriptions.get(hits[0][1])
        lexicon = self.lexicon["sic_lexicon"]
        for tok in reversed(text.split()):  # the trade word usually comes last: SMITH PLUMBING
            hit = lexicon.get(tok)
            if hit:
                return hit[0], hit[1]
        return None, None

    def corrected(self, name: str, correction: Correction) -> dict[str, Any]:
        """The ``classification`` section a reviewer's type gives: certain, with its SIC code."""
        assert correction.payee_type is not None
        sic_code, sic_description = self._sic(correction.payee_type, " ".join(self.featurize.read(name)[1]))
        return {
            "payee_type": correction.payee_type,
            "confidence": 1.0,
            "reason": correction.reason,
            "sic_code": sic_code,
            "sic_description": sic_description,
        }

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        name = record["payee"]["name"]
        correction = self.corrections.find(record["payee_id"], name)
        screening = record.get("screening") or {}
        if correction is not None and correction.payee_type is not None:
            record["classification"] = self.corrected(name, correction)
        elif screening.get("excluded") and screening.get("category") == INTERNAL:
            record["classification"] = _internal_account(screening["keyword"])
        else:
            record["classification"] = self.classify(name)
        return record


def raised(shift: list[float]) -> list[tuple[int, float]]:
    """The classes a decision shift raises (``fit.GOVERNMENT_SHIFT``), with the factor their odds
    are multiplied by: what ``answer`` reads."""
    return [(i, math.exp(s)) for i, s in enumerate(shift) if s]


def answer(probs: list[float], evidence: bool, raised: list[tuple[int, float]]) -> tuple[int | None, float]:
    """(the class answered, or None for UNKNOWN; the confidence). The class is the likeliest once
    the ``raised`` classes' odds are multiplied by their factor; the confidence is its calibrated
    probability, so an answer the shift chose is as unsure as it is. A model less sure than
    ``UNKNOWN_BELOW`` of any class, or knowing none of the name (its answer would be the prior),
    answers UNKNOWN. Plain loops: this runs once a payee, and a list per call costs microseconds."""
    sure = max(probs)
    if not evidence or sure < UNKNOWN_BELOW:
        return None, min(sure, UNKNOWN_BELOW - 0.01)
    best, top = probs.index(sure), sure
    for i, factor in raised:
        if probs[i] * factor > top:
            best, top = i, probs[i] * factor
    return best, probs[best]


def _internal_account(keyword: str) -> dict[str, Any]:
    """PETTY CASH, a trust account: an entry of the books, not a payee of any type (DESIGN.md)."""
    return {
        "payee_type": "UNKNOWN",
        "confidence": 0.0,
        "reason": f"internal account ('{keyword}'): no payee to type",
        "sic_code": None,
        "sic_description": None,
    }


def _signals(kind: str, s: Signals) -> list[str]:
    """The lexicon's signals for a class, in words."""
    if kind == "GOVERNMENT":
        return [f"government phrase '{s.government}'"] if s.government else []
    if kind == "BUSINESS":
        parts = []
        if s.legal_form:
            parts.append(f"legal form '{s.legal_form}'")
        if s.known_company:
            parts.append("known company name")
        if s.business_word:
            parts.append(f"business word '{s.business_word}'")
        if s.digits:
            parts.append("digits")
        return parts
    parts = list(s.person)
    if s.first_name:
        parts.append("known first name")
    if s.surname:
        parts.append("known surname")
    return parts


def _meaning(word: str, kind: str) -> str:
    """What a deciding word says, from what the project knows of it (``meanings.MEANINGS``)."""
    meaning = MEANINGS.get((word, kind))
    return f"'{word}' {meaning}" if meaning else f"'{word}' is a word of {kind.lower()} names"
