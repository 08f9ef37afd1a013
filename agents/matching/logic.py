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
from typing import Any, NamedTuple

import numpy as np

from payeeflow.agents.classification.native import align
from payeeflow.agents.matching.index import (
    CITY,
    MAX_POSTING,
    NAME,
    STATE,
    SUPPLIER_ID,
    ZIP,
    Supplier,
    SupplierIndex,
)
from payeeflow.agents.matching.normalize import (
    cut_then_formed,
    identity_tokens,
    legal_form,
    split_dba,
    strip_erp_noise,
)
from payeeflow.errors import InputError

EXACT, STRONG, WEAK = 97.0, 92.0, 88.0
TIE_MARGIN = 2.0
NEAR_WEIGHT = 0.6  # a near spelling finds candidates, but less surely than the word itself
BOOST_FROM = 0.5  # common words re-rank the candidates weighing at least this share of the best
TRUNCATED_AT = (22, 35)  # bank-file field limits
CUT_LENGTHS = tuple(n - d for n in TRUNCATED_AT for d in (0, 1))
OUT_OF_ORDER = 15.0  # shared words in another order name another firm (RACINE MARATHON, MARATHON RACING)
OTHER_NUMBER = 10.0  # a number or roman numeral on one side only names another entity


def _where(payee: dict[str, Any]) -> tuple[str, str, str]:
    """(state, zip5, city) of a payee, as the index holds them."""
    state = (payee.get("state") or "").strip().upper()
    city = (payee.get("city") or "").strip().upper()
    return state, (payee.get("zip") or "").strip()[:5], city


def _evidence(
    where: tuple[str, str, str],
    supplier: list[str],
    form: str | None,
    supplier_form: str | None,
    explain: list[str] | None = None,
) -> float:
    """Bonus for agreeing location and legal form; another state is a penalty. ``explain``
    collects the words a clerk reads for each piece of evidence that counted."""
    state, zip5, city = where
    bonus = 0.0
    said = explain.append if explain is not None else _unsaid
    if state and supplier[STATE]:
        same = state == supplier[STATE]
        bonus += 3.0 if same else -6.0
        said("same state" if same else f"other state ({supplier[STATE]})")
    if zip5 and zip5 == supplier[ZIP]:
        bonus += 3.0
        said("same ZIP")
    if city and city == supplier[CITY]:
        bonus += 2.0
        said("same city")
    if form and supplier_form:
        bonus += 1.0 if form == supplier_form else -1.0
        said("same legal form" if form == supplier_form else "other legal form")
    return bonus


def _unsaid(_: str) -> None:
    """Where no one asked for the explanation (scoring every candidate)."""


class Best(NamedTuple):
    """A name's best row, its score, the best score of another supplier, and the rows behind."""

    score: float
    row: int | None
    runner_up: float | None
    scored: list[tuple[float, int]]  # (score, row), best first
    exact: bool = False
    by_tax_id: bool = False
    form: str | None = None  # the legal form the name states, as evidence


class Query(NamedTuple):
    """One name of a payee as matching reads it."""

    tokens: list[str]
    truncated: bool  # the name may be cut at a bank-file limit
    form: str | None  # the legal form it states; none when appended after a cut


NO_BEST = Best(0.0, None, None, [])
CANDIDATES_SHOWN = 3


@dataclass
class Matcher:
    index: SupplierIndex
    candidate_limit: int = 30

    @classmethod
    def from_csv(cls, path: Path) -> Matcher:
        return cls(SupplierIndex.build(read_network(path)))

    def match(self, payee: dict[str, Any]) -> dict[str, Any]:
        """The ``match`` section for one payee, with its best candidates and their evidence."""
        legal, trade = split_dba(payee["name"])
        best = self._best(legal, payee)
        if trade:
            alt = self._best(trade, payee)
            if alt.score > best.score:
                best = alt
        candidates = self._explain(best, payee)
        score, row, runner_up = best.score, best.row, best.runner_up
        if row is None or score < WEAK:
            return _no_match(score, candidates)
        if runner_up is not None and score - runner_up < TIE_MARGIN:
            refused = _no_match(score, candidates)
            refused["review"] = f"ambiguous between suppliers (scores {score:.0f} and {runner_up:.0f})"
            return refused
        supplier = self.index.supplier(row)
        assert supplier is not None
        match_type = "exact" if score >= EXACT else "strong" if score >= STRONG else "weak"
        return {
            "supplier_id": supplier.supplier_id,
            "supplier_name": supplier.name,
            "score": round(min(score, 100.0), 1),
            "match_type": match_type,
            "supplier_sic_code": supplier.sic_code,
            "supplier_accepts_card": supplier.accepts_card,
            "review": f"weak supplier match (score {score:.0f})" if match_type == "weak" else None,
            "candidates": candidates,
        }

    def _explain(self, best: Best, payee: dict[str, Any]) -> list[dict[str, Any]]:
        """The best ``CANDIDATES_SHOWN`` suppliers a name was scored against, with the evidence."""
        index, where = self.index, _where(payee)
        form = best.form
        shown = []
        for score, row in best.scored[:CANDIDATES_SHOWN]:
            if score <= 0:
                break
            fields = index.fields(row)
            evidence = ["tax id"] if best.by_tax_id else []
            bonus = _evidence(where, fields, form, index.forms[row], evidence)
            name_score = min(score - bonus, 100.0)
            evidence.insert(0, "same name" if best.exact else f"name {name_score:.0f}")
            shown.append(
                {
                    "supplier_id": fields[SUPPLIER_ID],
                    "supplier_name": fields[NAME],
                    "score": round(min(score, 100.0), 1),
                    "evidence": evidence,
                }
            )
        return shown

    def _best(self, name: str, payee: dict[str, Any]) -> Best:
        """The best row over the candidates, and the best score of another supplier name."""
        tax_id = (payee.get("extra") or {}).get("tax_id")
        if tax_id and (row := self.index.by_tax(tax_id.strip().upper())) is not None:
            return Best(100.0, row, None, [(100.0, row)], by_tax_id=True, form=legal_form(name))
        tokens, truncated, form = _read(name)
        if not tokens:
            return NO_BEST
        rows, exact = self._rows(tokens, truncated)
        index, where = self.index, _where(payee)
        idf = functools.cache(index.idf)  # the same words recur across the candidates
        query_weights = [idf(token) for token in tokens]
        scored, places = [], {}
        for row in rows:
            fields = index.fields(row)
            places[row] = (fields[STATE], fields[CITY])
            base = (
                100.0 if exact else self.similarity(tokens, query_weights, index.tokens(row), truncated, idf)
            )
            scored.append((base + _evidence(where, fields, form, index.forms[row]), row))
        if not scored:
            return NO_BEST
        scored.sort(reverse=True)
        top_score, top_row = scored[0]
        top_key, top_place = index.keys[top_row], places[top_row]
        runner = next(
            (s for s, r in scored[1:] if index.keys[r] != top_key or places[r] != top_place),
            None,
        )
        return Best(top_score, top_row, runner, scored, exact, form=form)

    def candidates(self, name: str) -> list[str]:
        """Ids of the suppliers a name's match would score (both names of a DBA): the blocking step."""
        ids: list[str] = []
        for part in filter(None, split_dba(name)):
            tokens, truncated, _ = _read(part)
            if tokens:
                ids += (self.index.fields(row)[SUPPLIER_ID] for row in self._rows(tokens, truncated)[0])
        return ids

    def _rows(self, tokens: list[str], truncated: bool) -> tuple[list[int], bool]:
        """(rows to score, whether they hold the name's exact key): the exact key, else candidates."""
        rows = self.index.exact(" ".join(tokens))
        if rows and not truncated:
            return rows, True
        return list(dict.fromkeys([*rows, *self._candidates(tokens, truncated)])), False

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
            alive = filter(index.alive, index.postings[rarest])
            return list(itertools.islice(alive, self.candidate_limit))
        rows, weights = found[0] if len(found) == 1 else _sum_by_row(found)
        if common:  # only rows near the top can be lifted into the candidates
            near_top = np.flatnonzero(weights >= weights.max() * BOOST_FROM)
            for near, w in common.items():
                weights[near_top[index.contains(near, rows[near_top])]] += w
        return self._alive_best(rows, weights)

    def _alive_best(self, rows: np.ndarray, weights: np.ndarray) -> list[int]:
        """The ``candidate_limit`` heaviest rows still in the network, heaviest first."""
        limit, alive = self.candidate_limit, self.index.alive
        if len(rows) > 2 * limit:  # most rows are alive: partition first, sort only the top
            top = np.argpartition(-weights, 2 * limit)[: 2 * limit]
            top = top[np.lexsort((top, -weights[top]))]
            best = list(filter(alive, rows[top].tolist()))
            if len(best) >= limit:
                return best[:limit]
        ranked = rows[np.argsort(-weights, kind="stable")].tolist()
        return list(itertools.islice(filter(alive, ranked), limit))

    def similarity(
        self,
        query: list[str],
        query_weights: list[float],
        candidate: list[str],
        truncated: bool,
        idf: Callable[[str], float],
    ) -> float:
        """IDF-weighted token alignment, 0-100; a cut name is not blamed for the words it lost.
        Compiled (``native/src/align.rs``): each query token takes the unused candidate token
        most like it; the score is Dice over the weights, less points for shared words in another
        order and for a number on one side only, looked at only near a match."""
        weights = [idf(token) for token in candidate]
        return align(
            query, query_weights, candidate, weights, truncated, WEAK - TIE_MARGIN, OUT_OF_ORDER, OTHER_NUMBER
        )

    def _maybe_cut(self, token: str) -> bool:
        """Whether a cut name's last word finds candidates by the words it begins. Also when it is
        a word of its own (REN, SUPP, DEP are tokens somewhere among half a million suppliers): a
        cut name that fits two suppliers alike is refused as a tie, never guessed. Shorter starts
        (GR, K) begin too many words to find with, but still score as the start of one."""
        return not _exact_only(token) and len(token) >= 3

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("screening", {}).get("excluded"):
            record["match"] = _no_match(0.0, [])
        else:
            record["match"] = self.match(record["payee"])
        return record


def _read(name: str) -> Query:
    """One name of a payee as matching reads it, ERP wording stripped once.

    A name is cut when it is as long as a field limit (or one less: the cut fell on a space the
    export then trimmed), or when it was and then got a legal form. That appended form says
    nothing of the supplier's (``SHUR OFFICE SUPPLY COR LLC``): it is no evidence.
    """
    name = strip_erp_noise(name)
    appended = cut_then_formed(name, CUT_LENGTHS)
    truncated = appended or len(name) in CUT_LENGTHS
    return Query(identity_tokens(name, cut=truncated), truncated, None if appended else legal_form(name))


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


ROMAN = frozenset("I II III IV V VI VII VIII IX X XI XII".split())


@functools.lru_cache(maxsize=65536)
def _exact_only(token: str) -> bool:
    """Numbers, roman numerals and single letters name different entities when they differ."""
    return len(token) == 1 or token.isdigit() or token in ROMAN


def _no_match(score: float, candidates: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "supplier_id": None,
        "supplier_name": None,
        "score": round(max(min(score, 100.0), 0.0), 1),
        "match_type": "none",
        "supplier_sic_code": None,
        "supplier_accepts_card": None,
        "review": None,
        "candidates": candidates,
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
