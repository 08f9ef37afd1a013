"""Match keys: the part of a name that identifies a supplier, the same for index and query."""

from __future__ import annotations

import re

from rapidfuzz.distance import Indel

from payeeflow.agents.text import ABBREVIATIONS, canonical_tokens, clean, strip_erp_noise

# Legal forms are equivalent and carry no identity: ACME INC == ACME INCORPORATED == ACME.
LEGAL_FORMS = frozenset(
    "INC INCORPORATED LLC LC CORP CORPORATION CO COMPANY LTD LIMITED LP LLP LLLP PLLC PC PA PLC "
    "GMBH AG SA NV BV".split()
)
# Tokens that ERP clerks add around a supplier's name.
NOISE = frozenset("THE REMIT REMITTANCE ATTN ATTENTION HQ STORE NO NUMBER UNIT BRANCH LOCATION".split())
_STORE_NUMBER = re.compile(r"#\s*\d+|\bSTORE\s+\d+\b|\bNO\s+\d+\b")
# A name cut at a field limit and then given a legal form: the form's words after the cut.
_APPENDED_FORM = re.compile(r"[\s,]+(?:INC|LLC|CORP|CO|LTD|LP|LLP|PLLC|PC|PA)\.?$", re.I)
# Plural and singular trade words are one supplier (WHOLESALE SUPPLIES == WHOLESALE SUPPLY).
PLURALS = {
    "SUPPLIES": "SUPPLY",
    "SERVICES": "SERVICE",
    "PRODUCTS": "PRODUCT",
    "SYSTEMS": "SYSTEM",
    "SOLUTIONS": "SOLUTION",
    "ENTERPRISES": "ENTERPRISE",
    "INDUSTRIES": "INDUSTRY",
    "TECHNOLOGIES": "TECHNOLOGY",
    "HOLDINGS": "HOLDING",
    "PARTNERS": "PARTNER",
    "ASSOCIATES": "ASSOCIATE",
    "LABORATORIES": "LABORATORY",
    "COMMUNICATIONS": "COMMUNICATION",
    "MATERIALS": "MATERIAL",
    "CONTRACTORS": "CONTRACTOR",
    "DISTRIBUTORS": "DISTRIBUTOR",
    "CONSULTANTS": "CONSULTANT",
    "SPECIALTIES": "SPECIALTY",
    "UTILITIES": "UTILITY",
    "RESOURCES": "RESOURCE",
    "PROPERTIES": "PROPERTY",
    "STRATEGIES": "STRATEGY",
    "INNOVATIONS": "INNOVATION",
    "NETWORKS": "NETWORK",
    "CONCEPTS": "CONCEPT",
    "DESIGNS": "DESIGN",
    "GRAPHICS": "GRAPHIC",
    "WORKS": "WORK",
}


def cut_then_formed(name: str, limits: tuple[int, ...]) -> bool:
    """A name cut at a field limit, then given a legal form: ``DRIAXOU PROPERTY MANAG INC``."""
    stem = _APPENDED_FORM.sub("", name)
    return stem != name and len(stem.rstrip(" ,")) in limits


_DBA = re.compile(r"\b(?:D/B/A|DBA|D B A|T/A|AKA)\b", re.I)


def split_dba(name: str) -> tuple[str, str | None]:
    """``LEGAL NAME DBA TRADE NAME`` -> (legal, trade); (name, None) without a DBA."""
    parts = _DBA.split(name, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(" ,-"), parts[1].strip(" ,-")
    return name, None


# Equivalent spellings of a legal form, to one; siblings differ by form (X INC in TX, X LLC in OH).
FORM_OF = {"INCORPORATED": "INC", "CORPORATION": "CORP", "COMPANY": "CO", "LIMITED": "LTD", "LC": "LLC"}


def legal_form(name: str) -> str | None:
    """The name's (last) legal form, canonical: ``Acme Corporation`` -> ``CORP``."""
    forms = [tok for tok in canonical_tokens(name) if tok in LEGAL_FORMS]
    return FORM_OF.get(forms[-1], forms[-1]) if forms else None


_LONG_FORMS = ("CORPORATION", "INCORPORATED", "COMPANY", "LIMITED")
_FORM_PREFIXES = frozenset(
    f[:n] for f in (*_LONG_FORMS, "LLC", "CORP", "INC", "LTD", "PLLC", "LLP") for n in range(1, len(f))
)


_BEGUN_FORMS = frozenset(p for p in _FORM_PREFIXES if len(p) >= 3 and p not in LEGAL_FORMS)
_SWAPPED_FORMS = (
    frozenset(
        f"{p[:i]}{p[i + 1]}{p[i]}{p[i + 2 :]}"
        for p in _FORM_PREFIXES | LEGAL_FORMS
        if len(p) >= 3
        for i in range(len(p) - 1)
    )
    - LEGAL_FORMS
)


def _is_form(token: str, last: bool, cut: bool) -> bool:
    """A legal form, also misspelled (CORPORATINO), or as the last word begun (COR, COMP), and as a
    cut name's last word begun further (INC -> I) or with two letters swapped (ICN, CMO)."""
    if token in LEGAL_FORMS:
        return True
    if last and (token in _BEGUN_FORMS or (cut and (token in _FORM_PREFIXES or token in _SWAPPED_FORMS))):
        return True
    return len(token) >= 6 and any(Indel.normalized_similarity(token, form) >= 0.8 for form in _LONG_FORMS)


def match_tokens(name: str, cut: bool = False) -> list[str]:
    """Identity tokens of a name: canonical, without legal forms, noise and store numbers.

    ``cut``: the name was truncated at a bank-file field limit, so its last word may be partial.
    """
    return identity_tokens(strip_erp_noise(name), cut)


def identity_tokens(stripped: str, cut: bool = False) -> list[str]:
    """``match_tokens`` of a name ``strip_erp_noise`` has already cleaned (a query strips it
    once, and needs the stripped length to tell a cut name)."""
    name = _STORE_NUMBER.sub(" ", stripped.upper())
    words = _cut_words(name) if cut else canonical_tokens(name)
    tokens = [PLURALS.get(tok, tok) for tok in words if tok not in NOISE]
    end = len(tokens)  # the cut word is the last before any form appended after the cut
    while end > 1:
        if pieces := _form_pieces(tokens[:end]):
            end -= pieces
        elif tokens[end - 1] in LEGAL_FORMS:
            end -= 1
        else:
            break
    core = [tok for i, tok in enumerate(tokens[:end]) if not _is_form(tok, i == end - 1, cut)]
    return core or tokens


def _cut_words(name: str) -> tuple[str, ...]:
    """``canonical_tokens`` of a cut name, but its cut word as typed: ``MEDICAL SUPP`` was cut from
    SUPPLY as likely as from SUPPORT, which the abbreviation would make of it."""
    words = clean(name).split()
    end = len(words)
    while end > 1 and words[end - 1] in LEGAL_FORMS:
        end -= 1
    return tuple(w if i == end - 1 else ABBREVIATIONS.get(w, w) for i, w in enumerate(words))


def _form_pieces(tokens: list[str]) -> int:
    """How many last tokens are a legal form typed with stray dots (``L.L..C`` -> ``LL C``,
    ``L.LC..`` -> ``L LC``): short pieces that together spell a form or its start."""
    for k in (3, 2):
        tail = tokens[-k:]
        if len(tokens) > k and all(len(t) <= 2 and t.isalpha() for t in tail):
            joined = "".join(tail)
            if joined in LEGAL_FORMS or joined in _FORM_PREFIXES:
                return k
    return 0


def match_key(name: str) -> str:
    return " ".join(match_tokens(name))
