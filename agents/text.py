"""Name normalisation shared by every stage, so the index and the query see names alike."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}(?=\s|$|[^A-Z])")  # I.R.S. / L.L.C. / U.S.
_NON_WORD = re.compile(r"[^A-Z0-9 ]+")
_APOSTROPHE = re.compile(r"(?<=[A-Z])'(?=[A-Z])")  # O'BRIEN -> OBRIEN, MCDONALD'S -> MCDONALDS

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


def clean(text: str) -> str:
    """Upper-case, ASCII-folded, punctuation-free, single-spaced; ``&`` becomes ``AND``."""
    if not text.isascii():  # most AP names are ASCII already: skip the Unicode work
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = text.upper()
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group(0).replace(".", ""), text)
    if "'" in text:
        text = _APOSTROPHE.sub("", text)
    if "&" in text:
        text = text.replace("&", " AND ")
    return " ".join(_NON_WORD.sub(" ", text).split())


@lru_cache(maxsize=8192)
def canonical_tokens(text: str) -> tuple[str, ...]:
    """Tokens of ``clean(text)`` with AP abbreviations expanded.

    Cached (bounded): screening, classification and matching each canonicalise the same name.
    """
    words = clean(text).split()
    return tuple(map(ABBREVIATIONS.get, words, words))  # each word, or its expansion


def canonical(text: str) -> str:
    return " ".join(canonical_tokens(text))


# Remit-to, attention and department wording ERP exports write around a payee's name.
_REMIT_PREFIX = re.compile(r"^\s*(?:(?:REMIT(?:TANCE)?(?:\s+TO)?|PAY\s+TO)\b\s*:?\s*)+", re.I)
_ATTENTION = re.compile(r"[\s,;-]*\b(?:ATTN|ATTENTION|C/O|C\\O|CARE\s+OF)\b.*$", re.I)
_DEPARTMENT = (
    r"AP|A/P|AR|A/R|ACCOUNTS\s+(?:PAYABLE|RECEIVABLE)|ACCTS?\s+(?:PAY|REC)\w*|BILLING|REMIT\w*|"
    r"LOCKBOX(?:\s+\d+)?|PAYMENTS?|DEPT|DEPARTMENT"
)
_TRAILING_DEPT = re.compile(rf"\s+-\s+(?:{_DEPARTMENT})\b.*$", re.I)
_TRAILING_ACCOUNTS = re.compile(
    r"\s+(?:ACCOUNTS\s+(?:RECEIVABLE|PAYABLE)|ACCTS?\s+REC\w*|(?:AR|A/R|AP|A/P|BILLING)\s+DEPT\w*|"
    r"LOCKBOX\s+\d+)\b.*$",
    re.I,
)


def strip_erp_noise(name: str) -> str:
    """The payee's name without remit-to, attention, care-of and department wording around it: the
    type and the supplier of ``ACME INC - AP DEPT`` are those of ``ACME INC``."""
    stripped = _REMIT_PREFIX.sub("", name)
    for pattern in (_ATTENTION, _TRAILING_DEPT, _TRAILING_ACCOUNTS):
        cut = pattern.sub("", stripped)
        if cut != stripped and any(ch.isalnum() for ch in cut):  # never strip a name down to nothing
            stripped = cut
    return stripped.strip()
