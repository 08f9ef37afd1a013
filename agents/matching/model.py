"""The match model: gradient-boosted trees over a (payee, supplier) pairing's features, giving the
probability that they are one supplier, and the thresholds that turn it into an answer.

The features are computed in compiled code (``native/src/pairing.rs``) in ``FEATURES``' order;
``payeeflow.agents.matching.train`` fits the trees (scikit-learn's histogram boosting) on labelled
real pairs and generated ones, sets the thresholds on cross-validated answers, and writes
``model/match.json.gz``, which every matcher loads.
"""

from __future__ import annotations

import gzip
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MODEL_FILE = Path(__file__).parent / "model" / "match.json.gz"

FEATURES = (
    "name_similarity",  # IDF-weighted share of both names' words paired (similarity-scaled)
    "payee_covered",  # the payee's words the supplier's explain, by weight
    "supplier_covered",
    "payee_inner_unpaired",  # unpaired words before the payee's last paired one
    "payee_trailing_unpaired",  # unpaired words after it (a qualifier, or what the other lost)
    "supplier_inner_unpaired",
    "supplier_trailing_unpaired",
    "payee_trailing_qualifiers",  # trailing places, USA, GROUP, credentials
    "supplier_trailing_qualifiers",
    "first_words_pair",
    "payee_first_unpaired",
    "supplier_first_unpaired",
    "out_of_order",
    "numbers_differ",
    "number_on_one_side",
    "rarest_shared",  # the rarest paired word's IDF, of the highest
    "rarest_payee_unpaired",
    "rarest_supplier_unpaired",
    "inexact_share",  # the payee's weight paired by typo, shortening, initials or cut
    "words_joined",
    "word_cut",
    "squashed_indel",  # rapidfuzz's indel similarity of the names with spaces taken out
    "squashed_jaro_winkler",
    "same_key",
    "same_squashed",
    "payee_one_word",
    "supplier_one_word",
    "payee_words",
    "supplier_words",
    "legal_form",  # +1 the same (or none on both sides), -1 another, 0 on one side only
    "state",
    "zip",
    "city",
    "payee_ends_joining",  # ends with AND, OF, FOR: cut after it
    "supplier_ends_joining",
    "payee_unpaired_entity",  # an unpaired FOUNDATION, SHERIFF, CHAPTER: another body
    "supplier_unpaired_entity",
    "payee_length",  # letters and spaces of its key, up to 40, over 40: a long one may be cut
    "supplier_length",
    "turned_round",  # the same words, the last ones first (SMITH JOHN, JOHN SMITH)
    "initials_moved",  # initials in another order (D & B, B & D): another firm
    "person_names",  # +1 a first name shared, a middle name on one side only; -1 on both: two people
)


@dataclass(frozen=True)
class Decision:
    """Where a probability becomes an answer: a match at ``match`` or more, when the best leads
    every other supplier by ``margin`` in log-odds (near 1, probabilities crowd: 0.9999 and 0.99
    are far apart) and no sibling of its key (spelled otherwise, in another state) reaches
    ``match`` too; a chain's other places of its very name are no rival, and a best spelled as
    the payee typed it (``OSCAR INC`` among ``OSCAR INC`` and ``OSCAR CO``) needs no lead: the
    readers judge such near-duplicates of a network one firm. A review (its candidates shown) at
    ``review`` or more; else none."""

    match: float
    review: float
    margin: float

    def matches(
        self, probability: float, runner_up: float | None, twin: bool = False, as_typed: bool = False
    ) -> bool:
        """``runner_up``: the best probability of another supplier; ``twin``: it is a sibling of
        the best's key that the payee does not tell apart (``native/src/postings.rs``, ``rank``);
        ``as_typed``: the best is of the payee's key and spelled as the payee typed it."""
        if probability < self.match:
            return False
        if runner_up is None or as_typed:
            return True
        tied = twin and runner_up >= self.match
        return not tied and log_odds(probability) - log_odds(runner_up) >= self.margin


def log_odds(p: float) -> float:
    """log(p / (1 - p)), kept finite."""
    q = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(q / (1 - q))


@dataclass(frozen=True)
class MatchModel:
    trees: list[list[tuple[int, float, int, int, float]]]  # (feature, threshold, left, right, value)
    base: float
    decision: Decision
    about: dict[str, Any]  # how it was trained: data, counts, figures

    @classmethod
    def untrained(cls) -> MatchModel:
        """A model that knows nothing (every pair 0.5): an index for computing features to train on."""
        return cls(trees=[[(0, 0.0, 0, 0, 0.0)]], base=0.0, decision=Decision(1.0, 1.0, 0.0), about={})

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "base": self.base,
            "trees": self.trees,
            "decision": self.decision.__dict__,
            "about": self.about,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> MatchModel:
        if doc["features"] != list(FEATURES):
            raise ValueError("the match model was trained on other features: retrain it")
        return cls(
            trees=[[tuple(node) for node in tree] for tree in doc["trees"]],
            base=float(doc["base"]),
            decision=Decision(**doc["decision"]),
            about=doc.get("about", {}),
        )

    def write(self, path: Path = MODEL_FILE) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.to_json(), separators=(",", ":")).encode()
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
            fh.write(text)  # no time stamp: the same model, the same bytes


@cache
def match_model(path: Path = MODEL_FILE) -> MatchModel:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return MatchModel.from_json(json.load(fh))
