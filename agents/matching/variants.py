"""Generated training pairs for the match model: a supplier's name as clerks write it, and the
names of other firms that look like it.

``clerk_variant`` covers the ways issue 30 lists (spacing, possessives, shortened words, a cut
anywhere, qualifiers added or dropped, numbers as letters), beside ``payeeflow.agents.matching.synthetic``'s
``perturb`` and ``erp_noise``. ``look_alike`` makes another supplier: a distinctive word swapped,
a leading word added, another number, the words in another order, a body named after it (its
foundation), a department of a government.
Whether a trailing word added makes another firm (``NORTHERN WATER SYSTEMS``) or not (``SMITH
VALVE MFG``) is left to the real labelled pairs: no rule says it. ``person_variant`` writes a person
as another ledger does (order, a middle initial dropped, added or spelled out, a short form of the
first name), and ``person_look_alike`` another person of the surname (DESIGN.md: two first names
are two people) or the person's own firm (a person and a business are two payees).
"""

from __future__ import annotations

import random
import re
from typing import NamedTuple

from payeeflow.agents.matching.normalize import LEGAL_FORMS
from payeeflow.agents.matching.synthetic import Vocab
from payeeflow.agents.matching.words import JOINING

ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V", "6": "VI"}
VOWELS = set("AEIOU")
QUALIFIERS = ("USA", "US", "OF {state}", "- {city}", "{city}", "GROUP", "HOLDINGS", "ATTN AR", "UNIT {n}",
              "({initials})", "PHD", "MD", "CPA", "INTERNATIONAL")  # fmt: skip
DEPARTMENTS = ("SHERIFF", "TREASURER", "AUDITOR", "PUBLIC WORKS", "PARKS DEPT", "CLERK OF COURT")
# What a person's own firm adds to the person's name.
PERSONS_FIRMS = (
    "PC",
    "LLC",
    "INC",
    "PLLC",
    "PA",
    "MD PC",
    "CPA LLC",
    "DDS PC",
    "CONSULTING LLC",
    "LAW OFFICE",
)
# Words that make a body of its own of one named after it (``qualifiers.csv``'s entities).
BODIES = ("FOUNDATION", "AUXILIARY", "TRUST", "ALUMNI", "BOOSTERS", "EMPLOYEES", "RETIREES", "CHAPTER {n}",
          "LOCAL {n}")  # fmt: skip
PUBLIC = frozenset(("COUNTY", "CITY", "TOWN", "TOWNSHIP", "VILLAGE", "STATE"))
# A person as a ledger files one: SURNAME, GIVEN and perhaps a middle initial.
PERSON = re.compile(r"^([A-Z][A-Z'-]+), ([A-Z]{2,})(?: ([A-Z]))?$")


class Person(NamedTuple):
    surname: str
    given: str
    middle: str | None  # an initial

    @classmethod
    def of(cls, name: str) -> Person | None:
        """The parts of a name filed as ``SURNAME, GIVEN M``; None for any other shape."""
        found = PERSON.match(" ".join(name.upper().split()))
        return cls(*found.groups()) if found else None


def _shorten(word: str, rng: random.Random) -> str:
    """A clerk's shortening: the consonants kept (SUPPLY -> SPLY), or the word's start (DEPT)."""
    if len(word) < 5:
        return word
    if rng.random() < 0.5:
        kept = word[0] + "".join(c for c in word[1:] if c not in VOWELS)
        return kept[: rng.randint(3, 5)]
    return word[: rng.randint(3, max(3, len(word) - 2))]


def clerk_variant(name: str, rng: random.Random, vocab: Vocab) -> str:
    """One or two of the ways a clerk writes a supplier's name."""
    words = name.upper().replace(",", " ").split()
    for _ in range(rng.choice((1, 1, 2))):
        if not words:
            break
        kind = rng.randrange(9)
        i = rng.randrange(len(words))
        if kind == 0 and len(words) > 1 and i + 1 < len(words):  # run together
            words[i : i + 2] = [words[i] + words[i + 1]]
        elif kind == 1 and len(words[i]) >= 7:  # split apart
            at = rng.randint(3, len(words[i]) - 3)
            words[i : i + 1] = [words[i][:at], words[i][at:]]
        elif kind == 2:  # possessive
            word = words[i]
            words[i] = word[:-2] + "S" if word.endswith("'S") else word + rng.choice(("'S", "S", " S"))
        elif kind == 3:  # shortened
            words[i] = _shorten(words[i], rng)
        elif kind == 4:  # cut anywhere, perhaps after a joining word
            text = " ".join(words)
            cut = text[: rng.randint(max(4, len(text) * 3 // 5), max(5, len(text) - 1))].rstrip()
            words = cut.split() or words
        elif kind == 5:  # a qualifier added
            place = rng.choice(vocab.places)
            city, state = place.city, place.state
            initials = "".join(w[0] for w in words if w[0].isalpha())[:4]
            words += rng.choice(QUALIFIERS).format(state=state, city=city, n=rng.randint(1, 999),
                                                   initials=initials).split()  # fmt: skip
        elif kind == 6 and len(words) > 2:  # a trailing word dropped
            words = words[:-1]
        elif kind == 7:  # initials spaced or closed up
            if len(words[i]) in (2, 3) and words[i].isalpha():
                words[i : i + 1] = list(words[i])
            elif i + 1 < len(words) and len(words[i]) == len(words[i + 1]) == 1:
                words[i : i + 2] = [words[i] + words[i + 1]]
        elif kind == 8:  # numbers as letters
            words = [ROMAN.get(w, w) for w in words]
    out = re.sub(r"\s+", " ", " ".join(words)).strip()
    return out or name


def look_alike(name: str, rng: random.Random, vocab: Vocab) -> str:
    """Another supplier whose name looks like ``name``'s."""
    words = name.upper().replace(",", " ").split()
    public = bool(PUBLIC & set(words))
    kind = rng.randrange(7 if public else 6)
    if kind == 0 and words:  # the first word swapped for another surname
        words[0] = rng.choice(vocab.surnames)
    elif kind == 1:  # a leading word added: a first name, a place
        words.insert(0, rng.choice((rng.choice(vocab.first_names), rng.choice(vocab.places).city)))
    elif kind == 2 and len(distinctive := _distinctive(words)) > 1:  # a distinctive word swapped
        words[rng.choice(distinctive)] = rng.choice(vocab.surnames)
    elif kind == 3:  # another number, or none: the second fund, store, post
        numbers = [i for i, w in enumerate(words) if w.isdigit() or w in ROMAN.values()]
        other = rng.choice(("II", "III", "2", "3", "IV", str(rng.randint(4, 99))))
        if numbers and rng.random() < 0.5:
            del words[numbers[-1]]  # the first fund, of the second
        elif numbers:
            words[numbers[-1]] = other if words[numbers[-1]] != other else "V"
        else:
            words.insert(max(1, len(words) - 1) if rng.random() < 0.5 else len(words), other)
    elif kind == 4 and len(words) > 1:  # its words in another order (MARATHON RACING, RACING MARATHON)
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    elif kind == 5:  # a body of its own named after it: its foundation, a union's local
        at = len(words) - 1 if words and _is_form(words[-1]) else len(words)
        words[at:at] = rng.choice(BODIES).format(n=rng.randint(1, 999)).split()
    elif public:  # one of a government's departments or offices
        words += rng.choice(DEPARTMENTS).split()
    else:
        words.insert(0, rng.choice(vocab.surnames))
    return " ".join(words)


def _distinctive(words: list[str]) -> list[int]:
    """Where the words that tell a firm from another are: not its legal form (``ACME SUPPLY
    OAKS`` for ``ACME SUPPLY INC`` is the firm with a qualifier, not another) nor a joining word."""
    return [i for i, w in enumerate(words) if not _is_form(w) and w not in JOINING]


def _is_form(word: str) -> bool:
    """A legal form, dotted or not (``L.L.C.``)."""
    return word.replace(".", "") in LEGAL_FORMS


def person_variant(person: Person, rng: random.Random, vocab: Vocab, short: dict[str, list[str]]) -> str:
    """The same person as another ledger writes them: the middle initial dropped, added or
    spelled out, the first name's short form (``short``: full -> its short forms), given name first."""
    given, middle = person.given, person.middle
    kind = rng.randrange(3)
    if kind == 0 and middle:
        middle = None
    elif kind == 1 and middle:
        spelled = [f for f in vocab.first_names if f.startswith(middle)]
        middle = rng.choice(spelled) if spelled else middle
    elif kind < 2:
        middle = rng.choice(vocab.first_names)[0]
    elif short.get(given):
        given = rng.choice(short[given])
    rest = " ".join(filter(None, (given, middle)))
    return f"{rest} {person.surname}" if rng.random() < 0.4 else f"{person.surname}, {rest}"


def person_look_alike(person: Person, rng: random.Random, vocab: Vocab) -> str:
    """Another payee of the name: the person's own firm (``ROBERT THOMAS CPA LLC``: DESIGN.md,
    a person and a business are two payees), or another person of the surname, a first name of
    another letter, the middle initial kept."""
    if rng.random() < 0.3:
        rest = " ".join(filter(None, (person.given, person.middle, person.surname)))
        return f"{rest} {rng.choice(PERSONS_FIRMS)}"
    others = [f for f in vocab.first_names if f[0] != person.given[0]]
    rest = " ".join(filter(None, (rng.choice(others), person.middle)))
    return f"{person.surname}, {rest}"
