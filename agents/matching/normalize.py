"""Match keys: the part of a name that identifies a supplier, the same for index and query."""

from __future__ import annotations

import re

from rapidfuzz.distance import Indel

from agents.text import canonical_tokens

# Legal forms are equivalent and carry no identity: ACME INC == ACME INCORPORATED == ACME.
LEGAL_FORMS = frozenset(
    "INC INCORPORATED LLC LC CORP CORPORATION CO COMPANY LTD LIMITED LP LLP LLLP PLLC PC PA PLC "
    "GMBH AG SA NV BV".split()
)
# Tokens that ERP clerks add around a supplier's name.
NOISE = frozenset("THE REMIT REMITTANCE ATTN ATTENTION HQ STORE NO NUMBER UNIT BRANCH LOCATION".split())
_STORE_NUMBER = re.compile(r"#\s*\d+|\bSTORE\s+\d+\b|\bNO\s+\d+\b")
_TRAILING_DEPT = re.compile(r"\s+-\s+(AP|A/P|ACCOUNTS PAYABLE|AR|BILLING)\b.*$", re.I)
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
    f[:n] for f in (*_LONG_FORMS, "LLC", "CORP", "INC", "LTD") for n in range(1, len(f))
)


def _is_form(token: str, last: bool, cut: bool) -> bool:
    """A legal form, also misspelled (CORPORATINO) or, as a cut name's last word, begun (INC -> I)."""
    if token in LEGAL_FORMS:
        return True
    if last and cut and token in _FORM_PREFIXES:
        return True
    return len(token) >= 6 and any(Indel.normalized_similarity(token, form) >= 0.8 for form in _LONG_FORMS)


def match_tokens(name: str, cut: bool = False) -> list[str]:
    """Identity tokens of a name: canonical, without legal forms, noise and store numbers.

    ``cut``: the name was truncated at a bank-file field limit, so its last word may be partial.
    """
    name = _TRAILING_DEPT.sub("", name)
    name = _STORE_NUMBER.sub(" ", name.upper())
    tokens = [tok for tok in canonical_tokens(name) if tok not in NOISE]
    core = [tok for i, tok in enumerate(tokens) if not _is_form(tok, i == len(tokens) - 1, cut)]
    return core or tokens


def match_key(name: str) -> str:
    return " ".join(match_tokens(name))
