"""The word lists a name's words are paired with a supplier's by (``native/src/pairing.rs``).

- **Equivalent spellings**: AP shorthand and common first-name forms (``data/abbreviations.csv``),
  and USPS Publication 28's state, directional and street-word abbreviations as
  ``usaddress-scourgify`` carries them (``TX``/``TEXAS``, ``SW``/``SOUTHWEST``, ``MTN``/``MOUNTAIN``).
  Shortenings whose letters come in order in the word (``SPLY``, ``MGMT``) pair without a list.
- **Qualifiers**: words that place or qualify a name rather than identify it when they trail it
  (``data/qualifiers.csv``: ``USA``, ``GROUP``, credentials, remit-to wording), the states, and the
  one-word city names of the USPS ZIP table: ``ACME OF OHIO INC`` and ``ACME - TULSA`` are ``ACME``.
  City names that are everyday words of company names (``UNION``, ``CENTER``: each in 30 or more
  of the shared data's 58,589 company names) are listed there as ``not-a-place``.
- **Entity words**: an unpaired one makes another body of one named after it
  (``data/qualifiers.csv``: ``FOUNDATION``, ``SHERIFF``, ``CHAPTER``, ``DIVISION``).
- **Joining words**, which say nothing alone.
- **First names**: the classifier's lexicon's, those of 20 or more in a million US births or
  people (some 3,200): whether two names share one, and what is left over is a middle name or
  another person's first name.
- **Credentials** (``data/qualifiers.csv``: ``MD``, ``CPA``, ``JR``) and the classifier's business
  and trade words: whether a name reads as a person's (``persons.two_payees``).
"""

from __future__ import annotations

import csv
import gzip
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from scourgify.address_constants import LONGHAND_DIRECTIONALS, LONGHAND_STREET_TYPES, STATE_ABBREVIATIONS

from payeeflow.agents.classification.artifacts import load_lexicon
from payeeflow.agents.enrichment.zip_table import TABLE_FILE

DATA = Path(__file__).parent / "data"
JOINING = frozenset("AND OF THE FOR AT IN ON TO BY".split())
GIVEN_PER_MILLION = 20.0  # how common a first name must be to count as one


class PairWords(NamedTuple):
    equivalents: list[tuple[str, str]]
    qualifiers: frozenset[str]
    entities: frozenset[str]
    joining: frozenset[str]
    given: frozenset[str]
    credentials: frozenset[str]
    trade: frozenset[str]  # words of firms' names, never a person's: FENCE, SUPPLY


@cache
def readings() -> Mapping[str, frozenset[str]]:
    """Each shorthand of ``data/abbreviations.csv`` and the words it may stand for."""
    found: dict[str, set[str]] = {}
    with (DATA / "abbreviations.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found.setdefault(row["short"], set()).add(row["full"])
    return MappingProxyType({short: frozenset(full) for short, full in found.items()})


def _one_word(*texts: str) -> bool:
    return all(text and " " not in text for text in texts)


def _state_names(given: frozenset[str]) -> list[tuple[str, str]]:
    """A state's short spellings and its name: ``usaddress-scourgify`` maps ``CALIF``, ``CAL`` and
    ``CALIFORNIA`` each to ``CA`` only. Not the short spellings with one another, nor those that
    are first names (``KEN``, ``KENT``: ``KENTUCKY``; ``IDA``), which keep their code alone."""
    spellings: dict[str, list[str]] = {}
    for name, code in STATE_ABBREVIATIONS.items():
        spellings.setdefault(code, []).append(name)
    pairs = []
    for names in spellings.values():
        full = max(names, key=len)
        pairs += [
            (short, full)
            for short in names
            if short != full and short not in given and _one_word(short, full)
        ]
    return pairs


@cache
def pair_words() -> PairWords:
    lexicon = load_lexicon()
    first_names = lexicon["first_names"].items()
    given = frozenset(name for name, per_million in first_names if per_million >= GIVEN_PER_MILLION)
    equivalents = [(short, full) for short, fulls in readings().items() for full in fulls]
    for table in (STATE_ABBREVIATIONS, LONGHAND_DIRECTIONALS, LONGHAND_STREET_TYPES):
        equivalents += [(a, b) for a, b in table.items() if _one_word(a, b) and a != b]
    equivalents += _state_names(given)
    with (DATA / "qualifiers.csv").open(newline="", encoding="utf-8") as fh:
        kinds = {row["word"]: row["kind"] for row in csv.DictReader(fh)}
    qualifiers = {word for word, kind in kinds.items() if kind not in ("not-a-place", "entity")}
    entities = frozenset(word for word, kind in kinds.items() if kind == "entity")
    qualifiers |= {w for name, code in STATE_ABBREVIATIONS.items() for w in (*name.split(), code)}
    with gzip.open(TABLE_FILE, "rt", encoding="utf-8") as fh:  # ZIP, state, city, other cities
        qualifiers |= {city for line in fh for city in line.rstrip("\n").split("\t")[2:3] if _one_word(city)}
    qualifiers -= {word for word, kind in kinds.items() if kind == "not-a-place"} | entities | JOINING
    return PairWords(
        sorted(set(equivalents)),
        frozenset(qualifiers),
        entities,
        JOINING,
        given,
        credentials=frozenset(word for word, kind in kinds.items() if kind == "credential"),
        trade=frozenset(lexicon["business_words"]) | frozenset(lexicon["trade_words"]),
    )
