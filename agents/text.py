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
