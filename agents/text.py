"""Name normalisation shared by every stage, so the index and the query see names alike.

The word list is here; the reading is compiled (``native/src/names.rs``).
"""

from __future__ import annotations

from functools import lru_cache

from payeeflow._native import Text

# AP-file abbreviations, expanded to one canonical spelling before any lookup.
ABBREVIATIONS: dict[str, str] = {
    "DEPT": "DEPARTMENT",
    "DEP": "DEPARTMENT",
    "DPT": "DEPARTMENT",
    "TREAS": "TREASURY",
    "TRES": "TREASURY",
    "TREASR": "TREASURER",
    "CNTY": "COUNTY",
    "CTY": "COUNTY",
    "TWP": "TOWNSHIP",
    "TWNSHP": "TOWNSHIP",
    "VLG": "VILLAGE",
    "BORO": "BOROUGH",
    "GOVT": "GOVERNMENT",
    "GOV": "GOVERNMENT",
    "ADMIN": "ADMINISTRATION",
    "SVCS": "SERVICES",
    "SVC": "SERVICE",
    "SERV": "SERVICE",
    "SRVS": "SERVICES",
    "ASSOC": "ASSOCIATES",
    "ASSOCS": "ASSOCIATES",
    "ASSN": "ASSOCIATION",
    "MGMT": "MANAGEMENT",
    "MGT": "MANAGEMENT",
    "INTL": "INTERNATIONAL",
    "NATL": "NATIONAL",
    "BROS": "BROTHERS",
    "MFG": "MANUFACTURING",
    "DIST": "DISTRICT",
    "SCH": "SCHOOL",
    "SCHL": "SCHOOL",
    "UNIV": "UNIVERSITY",
    "CTR": "CENTER",
    "HOSP": "HOSPITAL",
    "MED": "MEDICAL",
    "INS": "INSURANCE",
    "FIN": "FINANCIAL",
    "FINL": "FINANCIAL",
    "SUPP": "SUPPORT",
    "ENFORCE": "ENFORCEMENT",
    "REV": "REVENUE",
    "COMM": "COMMISSION",
    "COMMR": "COMMISSIONER",
    "COLL": "COLLECTOR",
    "AUTH": "AUTHORITY",
    "SYS": "SYSTEMS",
    "TECH": "TECHNOLOGY",
    "ENGR": "ENGINEERING",
    "CONST": "CONSTRUCTION",
    "CONSTR": "CONSTRUCTION",
    "ELEC": "ELECTRIC",
    "EQUIP": "EQUIPMENT",
    "DISTR": "DISTRIBUTION",
    "LABS": "LABORATORIES",
}


_TEXT = Text(abbreviations=ABBREVIATIONS)


def clean(text: str) -> str:
    """Upper-case, ASCII-folded, punctuation-free, single-spaced; ``&`` becomes ``AND``; dotted
    initials and apostrophes inside a word are closed up (``I.R.S.`` -> ``IRS``, ``O'BRIEN`` ->
    ``OBRIEN``)."""
    return _TEXT.clean(text)


@lru_cache(maxsize=8192)
def canonical_tokens(text: str) -> tuple[str, ...]:
    """Tokens of ``clean(text)`` with AP abbreviations expanded.

    Cached (bounded): screening, classification and matching each canonicalise the same name.
    """
    return _TEXT.canonical_tokens(text)


def canonical(text: str) -> str:
    return " ".join(canonical_tokens(text))


def strip_erp_noise(name: str) -> str:
    """The payee's name without remit-to, attention, care-of and department wording around it
    (``REMIT TO``, ``ATTN …``, ``C/O …``, `` - AP DEPT``, ``ACCOUNTS RECEIVABLE``, ``LOCKBOX 12``):
    the type and the supplier of ``ACME INC - AP DEPT`` are those of ``ACME INC``. Never strips
    a name down to nothing."""
    return _TEXT.strip_erp_noise(name)
