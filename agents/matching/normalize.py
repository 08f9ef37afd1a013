"""Match keys: the part of a name that identifies a supplier, the same for index and query."""

from __future__ import annotations

import re

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


def match_tokens(name: str) -> list[str]:
    """Identity tokens of a name: canonical, without legal forms, noise and store numbers."""
    name = _TRAILING_DEPT.sub("", name)
    name = _STORE_NUMBER.sub(" ", name.upper())
    tokens = [tok for tok in canonical_tokens(name) if tok not in NOISE]
    core = [tok for tok in tokens if tok not in LEGAL_FORMS]
    return core or tokens


def match_key(name: str) -> str:
    return " ".join(match_tokens(name))
