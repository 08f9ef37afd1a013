"""Scores candidate suppliers for a payee and decides, refusing rather than guessing.

Candidates come from the exact match key, or from the postings of the payee's tokens and of the
network tokens within two edits of them (and, for a name cut at 22 or 35 characters, of tokens its
last word begins). Words too common to find candidates with still rank the ones found. Each
candidate is scored by an IDF-weighted token alignment (Dice over token weights, fuzzy per token),
so a shared common word counts little and an unexplained distinctive word counts a lot. Location,
tax id and legal form are evidence that separates siblings. A tie between different suppliers, or a
best score under the weak threshold, gives no supplier.
"""

from __future__ import annotations

import csv
import functools
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA, Indel

from agents.matching.index import MAX_POSTING, Supplier, SupplierIndex
from agents.matching.normalize import legal_form, match_tokens, split_dba
from payeeflow.errors import InputError

EXACT, STRONG, WEAK = 97.0, 92.0, 88.0
TIE_MARGIN = 2.0
TOKEN_MIN = 0.75  # a token pair less alike than this does not align
SHORT_TOKEN_MIN = 0.85  # for tokens of 5 letters or fewer, where one letter makes another name
NEAR_WEIGHT = 0.6  # a near spelling finds candidates, but less surely than the word itself
BOOST_FROM = 0.5  # common words re-rank the candidates weighing at least this share of the best
TRUNCATED_AT = (22, 35)  # bank-file field limits


def _evidence(
    payee: dict[str, Any], supplier: Supplier, form: str | None, supplier_form: str | None
) -> float:
    """Bonus for agreeing location and legal form; another state is a penalty."""
    bonus = 0.0
    state = (payee.get("state") or "").strip().upper()
    if state and supplier.state:
        bonus += 3.0 if state == supplier.state else -6.0
    zip5 = (payee.get("zip") or "").strip()[:5]
    if zip5 and supplier.zip and zip5 == supplier.zip:
        bonus += 3.0
    city = (payee.get("city") or "").strip().upper()
    if city and supplier.city and city == supplier.city:
        bonus += 2.0
    if form and supplier_form:
        bonus += 1.0 if form == supplier_form else -1.0
    return bonus


@dataclass
class Matcher:
    index: SupplierIndex
    candidate_limit: int = 40

    @classmethod
    def from_csv(cls, path: Path) -> Matcher:
        return cls(SupplierIndex.build(read_network(path)))

    def match(self, payee: dict[str, Any]) -> dict[str, Any]:
        """The ``match`` section for one payee."""
        legal, trade = split_dba(payee["name"])
        best = self._best(legal, payee)
        if trade:
            alt = self._best(trade, payee)
            if alt[0] > best[0]:
                best = alt
        score, row, runner_up = best
        if row is None or score < WEAK:
            return _no_match(score)
        if runner_up is not None and score - runner_up < TIE_MARGIN:
            return _no_match(score)
        supplier = self.index.suppliers[row]
        assert supplier is not None
        match_type = "exact" if score >= EXACT else "strong" if score >= STRONG else "weak"
        return {
            "supplier_id": supplier.supplier_id,
            "supplier_name": supplier.name,
            "score": round(min(score, 100.0), 1),
            "match_type": match_type,
            "supplier_sic_code": supplier.sic_code,
            "supplier_accepts_card": supplier.accepts_card,
        }

    def _best(self, name: str, payee: dict[str, Any]) -> tuple[float, int | None, float | None]:
        """(best score, its row, best score of another supplier name) over the candidates."""
        tax_id = (payee.get("extra") or {}).get("tax_id")
        if tax_id and (row := self.index.by_tax_id.get(tax_id.strip().upper())) is not None:
            return 100.0, row, None
        truncated = len(name.strip()) in TRUNCATED_AT
        tokens = match_tokens(name, cut=truncated)
        if not tokens:
            return 0.0, None, None
        form = legal_form(name)
        rows = self.index.exact(" ".join(tokens))
        exact = bool(rows) and not truncated
        if not exact:
            rows = list(dict.fromkeys([*rows, *self._candidates(tokens, truncated)]))
        scored = []
        idf = functools.cache(self.index.idf)  # the same words recur across the candidates
        for row in rows:
            supplier = self.index.suppliers[row]
            assert supplier is not None
            base = 100.0 if exact else self.similarity(tokens, self.index.tokens[row], truncated, idf)
            scored.append((base + _evidence(payee, supplier, form, self.index.forms[row]), row))
        if not scored:
            return 0.0, None, None
        scored.sort(reverse=True)
        top_score, top_row = scored[0]
        top_tokens = self.index.tokens[top_row]
        top_place = _place(self.index.suppliers[top_row])
        runner = next(
            (
                s
                for s, r in scored[1:]
                if self.index.tokens[r] != top_tokens or _place(self.index.suppliers[r]) != top_place
            ),
            None,
        )
        return top_score, top_row, runner

    def _candidates(self, tokens: list[str], truncated: bool) -> list[int]:
        """Rows sharing the payee's tokens or their near spellings, best total weight first.

        Postings are summed as numpy arrays: a query touches up to a thousand rows per spelling.
        """
        index = self.index
        found: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, weights), one pair per payee token
        common: dict[str, float] = {}  # too common to find candidates with, but they rank them
        for position, token in enumerate(dict.fromkeys(tokens)):
            similar = index.similar_tokens(token)
            if truncated and position == len(tokens) - 1 and self._maybe_cut(token):
                similar.update(index.prefixed_tokens(token))
            spellings: list[tuple[float, str]] = []
            for near in similar:
                w = index.idf(near) * (1.0 if near == token else NEAR_WEIGHT)
                if len(index.postings[near]) > MAX_POSTING:
                    common[near] = max(w, common.get(near, 0.0))
                else:
                    spellings.append((w, near))
            if spellings:
                found.append(_best_spelling(index, spellings))
        if not found:
            if not common:
                return []
            rarest = min(common, key=lambda t: len(index.postings[t]))  # only common words: bounded
            alive = (row for row in index.postings[rarest] if index.suppliers[row] is not None)
            return list(itertools.islice(alive, self.candidate_limit))
        rows, weights = found[0] if len(found) == 1 else _sum_by_row(found)
        if common:  # only rows near the top can be lifted into the candidates
            near_top = np.flatnonzero(weights >= weights.max() * BOOST_FROM)
            for near, w in common.items():
                weights[near_top[index.contains(near, rows[near_top])]] += w
        return self._alive_best(rows, weights)

    def _alive_best(self, rows: np.ndarray, weights: np.ndarray) -> list[int]:
        """The ``candidate_limit`` heaviest rows still in the network, heaviest first."""
        limit, suppliers = self.candidate_limit, self.index.suppliers
        if len(rows) > 2 * limit:  # most rows are alive: partition first, sort only the top
            top = np.argpartition(-weights, 2 * limit)[: 2 * limit]
            top = top[np.lexsort((top, -weights[top]))]
            alive = [row for row in rows[top].tolist() if suppliers[row] is not None]
            if len(alive) >= limit:
                return alive[:limit]
        ranked = rows[np.argsort(-weights, kind="stable")].tolist()
        return list(itertools.islice((row for row in ranked if suppliers[row] is not None), limit))

    def similarity(
        self, query: list[str], candidate: tuple[str, ...], truncated: bool, idf: Callable[[str], float]
    ) -> float:
        """IDF-weighted token alignment, 0-100; a cut name is not blamed for the words it lost."""
        partial = len(query) - 1 if truncated and self._maybe_cut(query[-1]) else -1
        used = [False] * len(candidate)
        matched = query_total = 0.0
        last_used = -1
        for i, token in enumerate(query):
            best, best_j = 0.0, -1
            token_exact_only = _exact_only(token)
            for j, other in enumerate(candidate):
                if used[j]:
                    continue
                if token == other or (i == partial and other.startswith(token)):
                    sim = 1.0
                elif token_exact_only or _exact_only(other):
                    continue
                else:
                    sim = _token_similarity(token, other)
                    if not sim:
                        continue
                if sim > best:
                    best, best_j = sim, j
                    if sim == 1.0:
                        break
            if best_j >= 0:
                used[best_j] = True
                last_used = max(last_used, best_j)
                w = idf(candidate[best_j])
                matched += best * w
                query_total += w
            else:
                query_total += idf(token)
        candidate_total = sum(
            idf(tok) for j, tok in enumerate(candidate) if used[j] or not (truncated and j > last_used)
        )
        return 100.0 * 2 * matched / (query_total + candidate_total) if matched else 0.0

    def _maybe_cut(self, token: str) -> bool:
        """Whether a cut name's last word may be the start of a longer one (not a word itself)."""
        return not _exact_only(token) and token not in self.index.postings

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("screening", {}).get("excluded"):
            record["match"] = _no_match(0.0)
        else:
            record["match"] = self.match(record["payee"])
        return record


def _best_spelling(index: SupplierIndex, spellings: list[tuple[float, str]]) -> tuple[np.ndarray, np.ndarray]:
    """(rows, weight) of one payee token: a row counts once, at its best-weighted spelling."""
    spellings.sort(key=lambda s: -s[0])
    rows = np.concatenate([index.rows(near) for _, near in spellings])
    weights = np.repeat([w for w, _ in spellings], [len(index.postings[near]) for _, near in spellings])
    if len(spellings) == 1:
        return rows, weights
    rows, first = np.unique(rows, return_index=True)  # stable: the first is the best spelling
    return rows, weights[first]


def _sum_by_row(found: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    rows, inverse = np.unique(np.concatenate([r for r, _ in found]), return_inverse=True)
    return rows, np.bincount(inverse, weights=np.concatenate([w for _, w in found]))


def _token_similarity(token: str, other: str) -> float:
    """0 when two tokens do not align; short ones need one typo at most, not in the first letter."""
    if min(len(token), len(other)) <= 5:
        if token[0] != other[0] or OSA.distance(token, other, score_cutoff=1) > 1:
            return 0.0
        return SHORT_TOKEN_MIN
    sim = Indel.normalized_similarity(token, other)
    return sim if sim >= TOKEN_MIN else 0.0


ROMAN = frozenset("I II III IV V VI VII VIII IX X XI XII".split())


@functools.lru_cache(maxsize=65536)
def _exact_only(token: str) -> bool:
    """Numbers, roman numerals and single letters name different entities when they differ."""
    return len(token) == 1 or token.isdigit() or token in ROMAN


def _place(supplier: Supplier | None) -> tuple[str | None, str | None]:
    return (supplier.state, supplier.city) if supplier else (None, None)


def _no_match(score: float) -> dict[str, Any]:
    return {
        "supplier_id": None,
        "supplier_name": None,
        "score": round(max(min(score, 100.0), 0.0), 1),
        "match_type": "none",
        "supplier_sic_code": None,
        "supplier_accepts_card": None,
    }


def read_network(path: Path) -> Iterator[Supplier]:
    """Suppliers of a network CSV (``supplier_id``, ``name`` required), one row at a time."""
    try:
        fh = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read network CSV: {exc.strerror or exc}") from exc
    reader = csv.DictReader(fh)
    missing = {"supplier_id", "name"} - set(reader.fieldnames or ())
    if missing:
        fh.close()
        raise InputError(f"{path}: network CSV lacks column(s) {', '.join(sorted(missing))}")
    return _suppliers(reader, fh)


def _suppliers(reader: csv.DictReader, fh: Any) -> Iterator[Supplier]:
    with fh:
        for row in reader:
            if row["supplier_id"] and row["name"]:
                yield Supplier.from_record(row)
