"""Builds the classifier's lexicon from the shared data, deterministically (``payeeflow model train``).

The output is a gzip'd JSON file with sorted keys and a zero mtime, so the same data always gives
the same bytes. Everything the classifier knows comes from here (the shared data and the word tables
of ``words.toml``); nothing is fetched at run time.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from wordfreq import top_n_list

from payeeflow.agents.classification.artifacts import LEXICON_FILE
from payeeflow.agents.classification.training.words import LEXICON
from payeeflow.agents.text import canonical, canonical_tokens, clean
from payeeflow.shared_data import may_be_a_person, rows

Keep = Callable[[str], bool]
TRADES: tuple[str, ...] = tuple(LEXICON["trades"])
PERSON_LIKE_BRANDS: dict[str, str] = LEXICON["person_like_brands"]
_SIC_STOPWORDS = frozenset(LEXICON["sic_stopwords"])
_NOT_BUSINESS = frozenset(LEXICON["not_business"])


def _first_names(data: Path) -> dict[str, float]:
    births: Counter[str] = Counter()
    for row in rows(data / "us_first_names_ssa.csv"):
        births[clean(row["first_name"])] += int(row["births_1960_2005"] or 0)
    total = sum(births.values())
    names = {name: round(count / total * 1e6, 1) for name, count in births.items() if count >= 300}
    for row in rows(data / "us_first_names_census1990.csv"):
        names.setdefault(clean(row["first_name"]), round(float(row["freq_pct"]) * 1e4, 1))
    return names


def _surnames(data: Path) -> dict[str, float]:
    return {
        clean(row["surname"]): round(float(row["freq_pct"]) * 1e4, 1)
        for row in rows(data / "us_surnames_census1990.csv")
        if int(row["rank"]) <= 60000
    }


def legal_suffixes(data: Path) -> list[str]:
    found = set(LEXICON["foreign_legal"]) | set(LEXICON["us_professional"])
    for row in rows(data / "business_legal_suffixes_cleanco.csv"):
        if row["group_value"].startswith("United States"):
            suffix = clean(row["suffix"])
            if suffix and suffix not in {"AND CO", "AND COMPANY"}:
                found.add(suffix.replace(" ", ""))
    return sorted(found)


def _company_word_counts(
    data: Path, first: dict[str, float], last: dict[str, float], keep: Keep
) -> Counter[str]:
    """In how many real company names each token is, for tokens that are rare as person names."""
    df: Counter[str] = Counter()
    for row in rows(data / "company_names_combined.csv"):
        if keep(row["name"]):
            df.update(set(canonical_tokens(row["name"])))
    person_like = {tok for tok, share in first.items() if share >= 5} | {
        tok for tok, share in last.items() if share >= 3
    }
    return Counter(
        {
            tok: n
            for tok, n in df.items()
            if len(tok) > 2 and tok not in person_like and tok not in _NOT_BUSINESS
        }
    )


def _statistical_business_words(counts: Counter[str]) -> list[str]:
    """Tokens frequent in real company names (40 or more) and rare as person names."""
    return sorted(tok for tok, n in counts.items() if n >= 40)


ENGLISH_WORDS = 30000  # the most frequent English words (wordfreq) the vocabulary holds


def _trade_vocabulary(
    counts: Counter[str], data: Path, first: dict[str, float], last: dict[str, float]
) -> list[str]:
    """Words a company name may hold that a person's name seldom does (MUSIC, DAIRY, ARCHITECTS;
    not LEWKO, not BISHOP): in five or more real company names, in the SIC and NAICS titles, or a
    trade word, less common names; or one of the commonest English words (wordfreq, pinned), less
    names as common as an English word (YOUNG, HUNTER); each in singular and plural."""
    trade = {tok for tok, n in counts.items() if n >= 5}
    for phrase in TRADES:
        trade.update(canonical_tokens(phrase))
    for row in rows(data / "sic_codes.csv"):
        for column in ("description", "industry_group_desc", "major_group_desc"):
            trade.update(canonical_tokens(row[column]))
    for row in rows(data / "naics_2022_codes.csv"):
        trade.update(canonical_tokens(row["title"]))
    english = {w.upper() for w in top_n_list("en", ENGLISH_WORDS) if w.isascii() and w.isalpha()}

    def names(share: float) -> set[str]:
        return {tok for tok, s in first.items() if s >= share} | {
            tok for tok, s in last.items() if s >= share
        }

    words = (_with_plurals(trade) - names(3)) | (_with_plurals(english) - names(50))
    return sorted(w for w in words if len(w) > 3 and w not in _SIC_STOPWORDS)


def _with_plurals(words: set[str]) -> set[str]:
    return (
        words | {w + "S" for w in words if not w.endswith("S")} | {w[:-1] for w in words if w.endswith("S")}
    )


def _sic_lexicon(data: Path) -> dict[str, list[str]]:
    """Word -> [code, description]: the most specific SIC code whose description uses the word."""
    best: dict[str, tuple[int, str, str]] = {}
    for row in rows(data / "sic_codes.csv"):
        code, desc = row["sic_code"], row["description"]
        if code.startswith("9") or code.endswith("00"):
            continue
        words = [w for w in canonical_tokens(desc) if w not in _SIC_STOPWORDS and len(w) > 3]
        for word in words:
            rank = len(words)
            if word not in best or rank < best[word][0]:
                best[word] = (rank, code, desc)
    return {word: [code, desc] for word, (_, code, desc) in sorted(best.items())}


def _sic_descriptions(data: Path) -> dict[str, str]:
    return {row["sic_code"]: row["description"] for row in rows(data / "sic_codes.csv")}


def _known_company_cores(data: Path, legal: set[str], keep: Keep) -> list[str]:
    """Multi-word names of real companies without their legal form (brands like ROBERT HALF).

    Chicago licence names are taken only when they carry a legal form, since that list also holds
    sole proprietors' own names.
    """
    cores = set()
    for row in rows(data / "company_names_combined.csv"):
        if not keep(row["name"]):
            continue
        tokens = canonical_tokens(row["name"])
        has_form = any(tok in legal for tok in tokens)
        if may_be_a_person(row) and not has_form:
            continue
        core = [tok for tok in tokens if tok not in legal and tok != "THE"]
        if len(core) >= 2:
            cores.add(" ".join(core))
    return sorted(cores)


def _government_names(data: Path, keep: Keep) -> list[str]:
    agencies = list(rows(data / "us_federal_agencies.csv"))
    names = {canonical(row["agency"]) for row in agencies if keep(row["agency"])}
    names |= {canonical(row["sub_agency"]) for row in agencies if keep(row["sub_agency"])}
    return sorted(n for n in names if len(n.split()) >= 2)


def _places(data: Path) -> list[str]:
    """Every town and city of the gazetteer, alone and followed by its state's code or name."""
    places: set[str] = set()
    for row in rows(data / "us_cities.csv"):
        city = canonical(row["city"])
        places |= {city, f"{city} {canonical(row['state_code'])}", f"{city} {canonical(row['state_name'])}"}
    return sorted(places - {""})


def build_lexicon(data: Path, keep: Keep = lambda name: True) -> dict[str, Any]:
    """The lexicon from the shared data; ``keep`` says which organisation names it may learn from
    (training builds it from its own side of the entity split only)."""
    first, last = _first_names(data), _surnames(data)
    legal = legal_suffixes(data)
    counts = _company_word_counts(data, first, last, keep)
    return {
        "version": 1,
        "first_names": first,
        "surnames": last,
        "legal_suffixes": legal,
        "known_companies": sorted(
            set(_known_company_cores(data, set(legal), keep)) | set(PERSON_LIKE_BRANDS)
        ),
        "business_words": sorted(set(LEXICON["business_words"]) | set(_statistical_business_words(counts))),
        "trade_words": _trade_vocabulary(counts, data, first, last),
        "places": _places(data),
        "government_phrases": sorted(set(LEXICON["government_phrases"]) | set(_government_names(data, keep))),
        "government_sic": LEXICON["government_sic"],
        "sic_lexicon": _sic_lexicon(data),
        "sic_phrases": {**LEXICON["sic_phrases"], **PERSON_LIKE_BRANDS},
        "sic_descriptions": _sic_descriptions(data),
    }


def write_lexicon(lexicon: dict[str, Any], path: Path = LEXICON_FILE) -> None:
    payload = json.dumps(lexicon, sort_keys=True, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(payload)
