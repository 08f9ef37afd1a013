"""How clerks write a supplier's name, for ``benchmarks/match.py --clerk``: the kinds of change
issue 30 found in real files, written here apart from the matcher and its training
(``agents/matching/variants.py``), with choices of their own, so that the figure is not the
matcher grading its own tables. It is still a figure on generated names: the real labelled set
(``benchmarks/match_real.py``) comes first.
"""

from __future__ import annotations

import random

STATES = {"TX": "TEXAS", "OH": "OHIO", "CA": "CALIFORNIA", "NY": "NEW YORK", "MN": "MINNESOTA"}
SHORT = {  # as AP clerks shorten words, vowels and endings dropped
    "SUPPLY": "SPLY", "SERVICES": "SRVCS", "SERVICE": "SVC", "ASSOCIATES": "ASSOCS", "ASSOCIATION": "ASSN",
    "MANUFACTURING": "MFG", "LABORATORIES": "LABS", "CENTER": "CNTR", "INTERNATIONAL": "ITL",
    "DEPARTMENT": "DEPT", "MANAGEMENT": "MGT", "CONSTRUCTION": "CONSTR", "CONSULTING": "CONSLTG",
    "ENGINEERING": "ENGRG", "EQUIPMENT": "EQPT", "PRODUCTS": "PRODS", "MEDICAL": "MED", "GROUP": "GRP",
    "COMPANY": "CO", "BROTHERS": "BROS", "LANDSCAPING": "LNDSCPG", "PLUMBING": "PLBG", "ROOFING": "RFG",
    "ELECTRIC": "ELEC", "TRUCKING": "TRKG", "PAINTING": "PNTG", "STAFFING": "STFG", "SOLUTIONS": "SOLNS",
}  # fmt: skip
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV", "5": "V"}


def _spacing(words: list[str], rng: random.Random) -> list[str]:
    joinable = [i for i in range(len(words) - 1) if len(words[i]) + len(words[i + 1]) <= 14]
    if joinable and rng.random() < 0.6:
        i = rng.choice(joinable)
        return [*words[:i], words[i] + words[i + 1], *words[i + 2 :]]
    initials = [
        i for i, w in enumerate(words) if 2 <= len(w) <= 3 and w.isalpha() and not set(w) & set("AEIOU")
    ]
    if initials:
        i = rng.choice(initials)
        return [*words[:i], *words[i], *words[i + 1 :]]
    return words


def _possessive(words: list[str], rng: random.Random) -> list[str]:
    i = 0 if len(words) < 3 else rng.randrange(len(words) - 1)
    word = words[i]
    if word.endswith("S") and len(word) > 3:
        changed = word[:-1] + rng.choice(("'S", "’S"))
    else:
        changed = word + rng.choice(("'S", "S", "’S"))
    return [*words[:i], changed, *words[i + 1 :]]


def _cut(words: list[str], rng: random.Random) -> list[str]:
    text = " ".join(words)
    if len(text) < 14:
        return words
    return text[: rng.randint(max(10, len(text) // 2), len(text) - 2)].rstrip().split()


def _qualifier(words: list[str], rng: random.Random, city: str, state: str) -> list[str]:
    added = rng.choice(
        (f"OF {STATES.get(state, 'TEXAS')}", "USA", f"- {city}", "(HQ)", "ATTN AP", "UNIT 7", "US")
    )
    return [*words, *added.split()]


def distort(name: str, rng: random.Random, city: str, state: str) -> str:
    """One or two of a clerk's changes to ``name``."""
    words = name.upper().replace(",", "").replace(".", "").split()
    for _ in range(rng.choice((1, 1, 2))):
        kind = rng.randrange(6)
        if kind == 0:
            words = _spacing(words, rng)
        elif kind == 1:
            words = _possessive(words, rng)
        elif kind == 2:
            words = [SHORT.get(w, w) if rng.random() < 0.7 else w for w in words]
        elif kind == 3:
            words = _cut(words, rng)
        elif kind == 4:
            words = _qualifier(words, rng, city, state)
        else:
            words = (
                [ROMAN.get(w, w) for w in words] if any(w in ROMAN for w in words) else words[:-1] or words
            )
    return " ".join(words) or name
