"""Match keys: the part of a name that identifies a supplier, the same for index and query.

The word lists are here; the reading is compiled (``native/src/names.rs``): an index build reads
483k names.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from payeeflow._native import MatchKeys
from payeeflow.agents.matching.words import readings
from payeeflow.agents.text import ABBREVIATIONS

# Legal forms are equivalent and carry no identity: ACME INC == ACME INCORPORATED == ACME.
LEGAL_FORMS = frozenset(
    "INC INCORPORATED LLC LC CORP CORPORATION CO COMPANY LTD LIMITED LP LLP LLLP PLLP PLLC PC PA PLC "
    "GMBH AG SA NV BV".split()
)
# Forms that are also words or state codes, read as a legal form only where a name ends, and not
# after OF: SIEMENS AG is a firm's form, the AG of NUTRIEN AG SOLUTIONS is agriculture's, the PA of
# COMMONWEALTH OF PA DEPT OF REVENUE and of STATE OF PA is Pennsylvania's.
TRAILING_FORMS = frozenset("AG SA NV BV PA".split())
# Tokens that ERP clerks add around a supplier's name.
NOISE = frozenset("THE REMIT REMITTANCE ATTN ATTENTION HQ NO NUMBER UNIT BRANCH LOCATION".split())
TRUNCATED_AT = (22, 35)  # bank-file field limits
# A name as long as a limit, or one less: the cut fell on a space the export then trimmed.
CUT_LENGTHS = tuple(n - d for n in TRUNCATED_AT for d in (0, 1))
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


_DBA = re.compile(r"\b(?:D/B/A|DBA|D B A|T/A|AKA)\b", re.I)


def split_dba(name: str) -> tuple[str, str | None]:
    """``LEGAL NAME DBA TRADE NAME`` -> (legal, trade); (name, None) without a DBA."""
    parts = _DBA.split(name, maxsplit=1)
    if len(parts) == 2 and parts[0].strip() and parts[1].strip():
        return parts[0].strip(" ,-"), parts[1].strip(" ,-")
    return name, None


# Equivalent spellings of a legal form, to one; siblings differ by form (X INC in TX, X LLC in OH).
FORM_OF = {"INCORPORATED": "INC", "CORPORATION": "CORP", "COMPANY": "CO", "LIMITED": "LTD", "LC": "LLC"}


# Legal forms as a typo or a cut leaves them: the long forms a misspelling is measured against,
# the beginnings of forms, those a last word may stop at, and forms with two letters swapped.
_LONG_FORMS = ("CORPORATION", "INCORPORATED", "COMPANY", "LIMITED")
_FORM_PREFIXES = frozenset(
    f[:n]
    for f in (*_LONG_FORMS, "LLC", "CORP", "INC", "LTD", "PLLC", "PLLP", "LLP")
    for n in range(1, len(f))
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


# A shorthand the pairing table reads more than one way (COMM: COMMISSION, COMMUNITY; DIST:
# DISTRICT, DISTRIBUTORS) stays as written in a key, where the pairing pairs it with any of its
# readings: expanded to one, COMMUNITY SERV and COMM SRVCS would be two names.
KEY_ABBREVIATIONS = {
    short: full for short, full in ABBREVIATIONS.items() if readings().get(short, {full}) == {full}
}

KEYS = MatchKeys(
    abbreviations=KEY_ABBREVIATIONS,
    legal_forms=LEGAL_FORMS,
    trailing_forms=TRAILING_FORMS,
    noise=NOISE,
    plurals=PLURALS,
    form_of=FORM_OF,
    long_forms=list(_LONG_FORMS),
    form_prefixes=_FORM_PREFIXES,
    begun_forms=_BEGUN_FORMS,
    swapped_forms=_SWAPPED_FORMS,
    cut_lengths=list(CUT_LENGTHS),
)


class Query(NamedTuple):
    """One name of a payee as matching reads it."""

    tokens: list[str]  # identity tokens: canonical, without legal forms, noise and store numbers
    truncated: bool  # the name may be cut at a bank-file limit
    form: str | None  # the legal form it states; none when appended after a cut


def read_query(name: str) -> Query:
    """A payee's name as matching reads it, ERP wording stripped.

    A name is cut when it is as long as a field limit, or when it was and then got a legal form:
    that appended form says nothing of the supplier's (``SHUR OFFICE SUPPLY COR LLC``). A cut
    name's last word may be partial, and a legal form misspelled or begun (``CORPORATINO``,
    ``COR``, ``L.L..C``) is still a legal form.
    """
    return Query(*KEYS.query(name))


def supplier_key(name: str) -> tuple[list[str], str | None]:
    """(identity tokens, canonical legal form) of a supplier's name, as the index stores them."""
    return KEYS.key(name)


def legal_form(name: str) -> str | None:
    """The name's (last) legal form, canonical: ``Acme Corporation`` -> ``CORP``."""
    return KEYS.legal_form(name)


def match_key(name: str) -> str:
    return " ".join(supplier_key(name)[0])
