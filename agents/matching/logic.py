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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from payeeflow.agents.corrections import Correction, Corrections
from payeeflow.agents.matching.index import (
    CITY,
    NAME,
    STATE,
    SUPPLIER_ID,
    ZIP,
    Supplier,
    SupplierIndex,
    network_columns,
)
from payeeflow.agents.matching.normalize import legal_form, read_query, split_dba

EXACT, STRONG, WEAK = 97.0, 92.0, 88.0
TIE_MARGIN = 2.0
OUT_OF_ORDER = 15.0  # shared words in another order name another firm (RACINE MARATHON, MARATHON RACING)
OTHER_NUMBER = 10.0  # a number or roman numeral on one side only names another entity
# Scoring (``native/src/align.rs``): looked at closer from this score, and the points taken there.
RULES = (WEAK - TIE_MARGIN, OUT_OF_ORDER, OTHER_NUMBER)


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
    explain: list[str],
) -> float:
    """The points location and legal form gave a shown candidate (an agreeing one adds, another
    state takes), and in ``explain`` the words a clerk reads for each. The compiled scoring
    (``native/src/postings.rs``) adds the same points; a test holds the two together."""
    state, zip5, city = where
    bonus = 0.0
    if state and supplier[STATE]:
        same = state == supplier[STATE]
        bonus += 3.0 if same else -6.0
        explain.append("same state" if same else f"other state ({supplier[STATE]})")
    if zip5 and zip5 == supplier[ZIP]:
        bonus += 3.0
        explain.append("same ZIP")
    if city and city == supplier[CITY]:
        bonus += 2.0
        explain.append("same city")
    if form and supplier_form:
        bonus += 1.0 if form == supplier_form else -1.0
        explain.append("same legal form" if form == supplier_form else "other legal form")
    return bonus


class Best(NamedTuple):
    """A name's best row, its score, the best score of another supplier, and the rows behind."""

    score: float
    row: int | None
    runner_up: float | None
    scored: list[tuple[float, int]]  # (score, row), best first
    exact: bool = False
    by_tax_id: bool = False
    form: str | None = None  # the legal form the name states, as evidence


NO_BEST = Best(0.0, None, None, [])
CANDIDATES_SHOWN = 3


@dataclass
class Matcher:
    index: SupplierIndex
    candidate_limit: int = 30
    corrections: Corrections = field(default_factory=Corrections)

    @classmethod
    def from_csv(cls, path: Path) -> Matcher:
        return cls(SupplierIndex.from_csv(path))

    def match(self, payee: dict[str, Any]) -> dict[str, Any]:
        """The ``match`` section for one payee, with its best candidates and their evidence."""
        legal, trade = split_dba(payee["name"])
        where = _where(payee)
        best = self._best(legal, payee, where)
        if trade:
            alt = self._best(trade, payee, where)
            if alt.score > best.score:
                best = alt
        candidates = self._explain(best, where)
        score, row, runner_up = best.score, best.row, best.runner_up
        if row is None or score < WEAK:
            return _no_match(score, candidates)
        if runner_up is not None and score - runner_up < TIE_MARGIN:
            refused = _no_match(score, candidates)
            shown = min(score, 100.0), min(runner_up, 100.0)  # as the candidates' scores are shown
            refused["review"] = f"ambiguous between suppliers (scores {shown[0]:.0f} and {shown[1]:.0f})"
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

    def _explain(self, best: Best, where: tuple[str, str, str]) -> list[dict[str, Any]]:
        """The best ``CANDIDATES_SHOWN`` suppliers a name was scored against, with the evidence."""
        index = self.index
        form = best.form
        shown = []
        for score, row in best.scored[:CANDIDATES_SHOWN]:
            if score <= 0:
                break
            fields = index.fields(row)
            evidence = ["tax id"] if best.by_tax_id else []
            bonus = _evidence(where, fields, form, index.form(row), evidence)
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

    def _best(self, name: str, payee: dict[str, Any], where: tuple[str, str, str]) -> Best:
        """The best row over the candidates, and the best score of another supplier name."""
        tax_id = (payee.get("extra") or {}).get("tax_id")
        if tax_id and (row := self.index.by_tax(tax_id.strip().upper())) is not None:
            return Best(100.0, row, None, [(100.0, row)], by_tax_id=True, form=legal_form(name))
        tokens, truncated, form = read_query(name)
        if not tokens:
            return NO_BEST
        rows, exact = self._rows(tokens, truncated)
        state, zip5, city = where
        scored, runner = self.index.native.score(
            tokens, truncated, rows, exact, state=state, zip=zip5, city=city, form=form, rules=RULES
        )
        if not scored:
            return NO_BEST
        top_score, top_row = scored[0]
        return Best(top_score, top_row, runner, scored, exact, form=form)

    def candidates(self, name: str) -> list[str]:
        """Ids of the suppliers a name's match would score (both names of a DBA): the blocking step."""
        ids: list[str] = []
        for part in filter(None, split_dba(name)):
            tokens, truncated, _ = read_query(part)
            if tokens:
                ids += (self.index.fields(row)[SUPPLIER_ID] for row in self._rows(tokens, truncated)[0])
        return ids

    def _rows(self, tokens: list[str], truncated: bool) -> tuple[list[int], bool]:
        """(rows to score, whether they hold the name's exact key): the exact key, else candidates."""
        rows = self.index.exact(" ".join(tokens))
        if rows and not truncated:
            return rows, True
        found = self.index.candidates(tokens, truncated, self.candidate_limit)
        return list(dict.fromkeys([*rows, *found])), False

    def corrected(self, correction: Correction, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        """The ``match`` section a reviewer's answer gives: no supplier, or theirs, first among the
        candidates with the reviewer as its evidence."""
        if correction.not_supplier:
            return _no_match(0.0, candidates)
        assert correction.supplier_id is not None
        row = self.index.row_of(correction.supplier_id)
        supplier = None if row is None else self.index.supplier(row)
        name = supplier.name if supplier else correction.supplier_name or ""
        chosen = {"supplier_id": correction.supplier_id, "supplier_name": name, "score": 100.0}
        others = [c for c in candidates if c["supplier_id"] != correction.supplier_id]
        return {
            "supplier_id": correction.supplier_id,
            "supplier_name": name or None,
            "score": 100.0,
            "match_type": "exact",
            "supplier_sic_code": supplier.sic_code if supplier else None,
            "supplier_accepts_card": supplier.accepts_card if supplier else None,
            "review": None if supplier else "the supplier a reviewer chose is not in the network",
            "candidates": [{**chosen, "evidence": [correction.reason]}, *others][:CANDIDATES_SHOWN],
        }

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("screening", {}).get("excluded"):
            record["match"] = _no_match(0.0, [])
            return record
        payee = record["payee"]
        record["match"] = self.match(payee)
        correction = self.corrections.find(record["payee_id"], payee["name"])
        if correction is not None and (correction.supplier_id or correction.not_supplier):
            record["match"] = self.corrected(correction, record["match"]["candidates"])
        return record


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
    """Suppliers of a network CSV (``supplier_id``, ``name`` required), one row at a time, as
    ``SupplierIndex.from_csv`` reads them; InputError at once for a file it cannot use."""
    return _suppliers(path, network_columns(path))


def _suppliers(path: Path, positions: list[int | None]) -> Iterator[Supplier]:
    """Rows as ``Supplier.from_values`` takes them; a short row's missing cells are blank."""
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        next(reader, None)  # the header, read by ``network_columns``
        for row in reader:
            values = [row[i] if i is not None and i < len(row) else "" for i in positions]
            if values[0] and values[1]:
                yield Supplier.from_values(*values)
