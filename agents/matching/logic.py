"""Scores candidate suppliers for a payee and decides, refusing rather than guessing."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from agents.matching.index import Supplier, SupplierIndex
from agents.matching.normalize import match_tokens, split_dba
from payeeflow.errors import InputError

EXACT, STRONG, WEAK = 97.0, 90.0, 82.0
TIE_MARGIN = 2.0


def _evidence(payee: dict[str, Any], supplier: Supplier) -> float:
    """Bonus for agreeing location; a different state is a penalty (siblings in other states)."""
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
    return bonus


@dataclass
class Matcher:
    index: SupplierIndex
    candidate_limit: int = 300

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
        """(best score, its row, best score of a different name) over the candidates."""
        tax_id = (payee.get("extra") or {}).get("tax_id")
        if tax_id and (row := self.index.by_tax_id.get(tax_id.strip().upper())) is not None:
            return 100.0, row, None
        tokens = match_tokens(name)
        key = " ".join(tokens)
        scored: list[tuple[float, int]] = []
        exact_rows = self.index.exact(key)
        rows = exact_rows or list(self.index.candidates(tokens, self.candidate_limit))
        for row in rows:
            supplier = self.index.suppliers[row]
            assert supplier is not None
            base = 100.0 if exact_rows else fuzz.token_sort_ratio(key, self.index.keys[row])
            if not exact_rows:
                base = max(base, fuzz.ratio(key, self.index.keys[row]))
            scored.append((base + _evidence(payee, supplier), row))
        if not scored:
            return 0.0, None, None
        scored.sort(reverse=True)
        top_score, top_row = scored[0]
        runner = next((s for s, r in scored[1:] if r != top_row), None)
        return top_score, top_row, runner

    def apply(self, record: dict[str, Any]) -> dict[str, Any]:
        if record.get("screening", {}).get("excluded"):
            record["match"] = _no_match(0.0)
        else:
            record["match"] = self.match(record["payee"])
        return record


def _no_match(score: float) -> dict[str, Any]:
    return {
        "supplier_id": None,
        "supplier_name": None,
        "score": round(max(min(score, 100.0), 0.0), 1),
        "match_type": "none",
        "supplier_sic_code": None,
        "supplier_accepts_card": None,
    }


def read_network(path: Path) -> list[Supplier]:
    """Suppliers of a network CSV (``supplier_id``, ``name`` required)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"supplier_id", "name"} - set(reader.fieldnames or ())
            if missing:
                raise InputError(f"{path}: network CSV lacks column(s) {', '.join(sorted(missing))}")
            return [Supplier.from_record(row) for row in reader if row["supplier_id"] and row["name"]]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{path}: cannot read network CSV: {exc}") from exc
