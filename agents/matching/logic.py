"""Finds a payee's supplier in the network, or sends it to review, rather than guessing.

Candidates come from the exact match key, or from the postings of the payee's words and their
near spellings: typos, listed equivalents, words run together or apart, and the words a last
(perhaps cut) word begins. Each candidate's words are paired with the payee's, and the match
model (``matching.model``) reads the pairing (how much of each name the other explains, how
distinctive the words left over are, where they stand, place and legal form) as the probability
that the two are one supplier. Three answers:

- **match** (``exact``: the same key; ``strong``: a variant) when the best is sure enough and no
  other supplier comes near it;
- **review** when it is plausible, or two suppliers tie, or the best is a firm in the name of
  the person the payee is (or the reverse: ``matching.persons``): the best is ``candidate_id``,
  the candidates carry their evidence, and ``review`` says why;
- **none** otherwise.
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
from payeeflow.agents.matching.persons import two_payees
from payeeflow.agents.matching.words import pair_words

CANDIDATES_SHOWN = 3
# How a clerk reads a pairing's links (``native/src/pairing.rs``).
LINK_WORDS = {
    "joined": "run together",
    "initials": "initials",
    "equivalent": "abbreviation",
    "typo": "spelling",
    "abbreviated": "shortened",
    "cut": "cut",
}


def _where(payee: dict[str, Any]) -> tuple[str, str, str]:
    """(state, zip5, city) of a payee, as the index holds them."""
    state = (payee.get("state") or "").strip().upper()
    city = (payee.get("city") or "").strip().upper()
    return state, (payee.get("zip") or "").strip()[:5], city


class Best(NamedTuple):
    """A name's best row, its probability, the best probability of another supplier, and the
    rows behind, best first."""

    probability: float
    row: int | None
    runner_up: float | None
    twin: bool  # the runner-up is a sibling of the best's key spelled otherwise, not told apart
    ranked: list[tuple[float, int]]  # (probability, row), best first
    tokens: list[str]  # the name's key words, as paired
    same_key: bool = False
    as_typed: bool = False  # of the name's key and spelled as the payee typed it, but for case and spacing
    by_tax_id: bool = False
    form: str | None = None  # the legal form the name states, as evidence
    two_payees: str | None = None  # why the best is another payee of the name's (``persons.two_payees``)


NO_BEST = Best(0.0, None, None, False, [], [])


@dataclass
class Matcher:
    index: SupplierIndex
    candidate_limit: int = 20
    corrections: Corrections = field(default_factory=Corrections)

    @classmethod
    def from_csv(cls, path: Path) -> Matcher:
        return cls(SupplierIndex.from_csv(path))

    def best(self, payee: dict[str, Any]) -> Best:
        """The payee's candidates ranked (of a DBA's two names, the one ranked surer)."""
        legal, trade = split_dba(payee["name"])
        where = _where(payee)
        best = self._best(legal, payee, where)
        if trade:
            alt = self._best(trade, payee, where)
            if alt.probability > best.probability:
                best = alt
        return best

    def match(self, payee: dict[str, Any]) -> dict[str, Any]:
        """The ``match`` section for one payee, with its best candidates and their evidence."""
        best = self.best(payee)
        decision = self.index.model.decision
        candidates = self._explain(best, _where(payee))
        p, row, runner_up = best.probability, best.row, best.runner_up
        if row is None or p < decision.review:
            return _no_match(p, candidates)
        supplier = self.index.supplier(row)
        assert supplier is not None
        sure = decision.matches(p, runner_up, best.twin, best.as_typed)
        if sure and best.two_payees is None:
            return {
                **_no_match(p, candidates),
                "supplier_id": supplier.supplier_id,
                "supplier_name": supplier.name,
                "match_type": "exact" if best.same_key or best.by_tax_id else "strong",
                "supplier_sic_code": supplier.sic_code,
                "supplier_accepts_card": supplier.accepts_card,
            }
        if best.two_payees is not None:
            why = f"{best.two_payees}: two payees, one name (probability {p:.2f})"
        elif p >= decision.match:
            why = f"ambiguous between suppliers (probabilities {p:.4f} and {runner_up:.4f})"
        else:
            why = f"unsure supplier match (probability {p:.2f}): {'; '.join(candidates[0]['evidence'])}"
        return {**_no_match(p, candidates), "match_type": "review", "candidate_id": supplier.supplier_id,
                "review": why}  # fmt: skip

    def _explain(self, best: Best, where: tuple[str, str, str]) -> list[dict[str, Any]]:
        """The best ``CANDIDATES_SHOWN`` suppliers a name was ranked against, with the evidence
        for and against each in a clerk's words."""
        shown = []
        key = " ".join(best.tokens)
        for p, row in best.ranked[:CANDIDATES_SHOWN]:
            fields = self.index.fields(row)
            if best.by_tax_id:
                evidence = ["same tax id"]
            elif self.index.key(row) == key:
                evidence = ["same name"]
            else:
                evidence = self._words(best.tokens, row)
            evidence += _place(where, fields, best.form, self.index.form(row))
            shown.append(
                {
                    "supplier_id": fields[SUPPLIER_ID],
                    "supplier_name": fields[NAME],
                    "score": round(100 * p, 1),
                    "probability": round(p, 4),
                    "evidence": evidence,
                }
            )
        return shown

    def _words(self, tokens: list[str], row: int) -> list[str]:
        """What pairs and what is left over between the payee's key words and a row's."""
        theirs, ours_links, their_links = self.index.native.pairing(tokens, row)
        said: list[str] = []
        for i, link in enumerate(ours_links):
            if link is None or link[1] == "same":
                continue
            at, how, _ = link
            if how == "initials" and not any(lk and lk[0] == i for lk in their_links):
                said.append(f"{tokens[i]}: its initials, beside its words")  # ACME WIDGET CORP (AWC)
                continue
            if how == "joined" or how == "initials":
                ours = " ".join(
                    t for t, lk in zip(tokens, ours_links, strict=True) if lk and lk[:2] == (at, how)
                )
                mine = " ".join(t for t, lk in zip(theirs, their_links, strict=True) if lk and lk[0] == i)
                if i and ours_links[i - 1] and ours_links[i - 1][0] == at:  # type: ignore[index]
                    continue  # said at the run's first word
            else:
                ours, mine = tokens[i], theirs[at]
            said.append(f"{ours} = {mine} ({LINK_WORDS[how]})")
        extra = [t for t, link in zip(tokens, ours_links, strict=True) if link is None]
        missing = [t for t, link in zip(theirs, their_links, strict=True) if link is None]
        if not said and not extra and not missing:
            said.append("same words")
        if extra:
            said.append(f"payee's words not in it: {' '.join(extra)}")
        if missing:
            said.append(f"its words not in the payee's: {' '.join(missing)}")
        return said

    def _best(self, name: str, payee: dict[str, Any], where: tuple[str, str, str]) -> Best:
        """The rows ranked by the model, and the best probability of another supplier."""
        tax_id = (payee.get("extra") or {}).get("tax_id")
        if tax_id and (row := self.index.by_tax(tax_id.strip().upper())) is not None:
            return Best(1.0, row, None, False, [(1.0, row)], [], by_tax_id=True, form=legal_form(name))
        tokens, truncated, form = read_query(name)
        if not tokens:
            return NO_BEST
        rows, same_key = self._rows(tokens, truncated)
        state, zip5, city = where
        ranked, runner = self.index.native.rank(tokens, rows, state=state, zip=zip5, city=city, form=form)
        if not ranked:
            return NO_BEST
        top_p, top_row = ranked[0]
        key = self.index.key(top_row) or ""
        same = same_key and key == " ".join(tokens)
        typed = {_spelling(name), _spelling(payee["name"])}
        as_typed = same and _spelling(self.index.fields(top_row)[NAME]) in typed
        runner_up, twin = runner if runner is not None else (None, False)
        their = (key.split(), self.index.form(top_row), self.index.fields(top_row)[NAME])
        two = two_payees(pair_words(), tokens, form, truncated, *their)
        return Best(
            top_p, top_row, runner_up, twin, ranked, tokens, same, as_typed, form=form, two_payees=two
        )

    def candidates(self, name: str) -> list[str]:
        """Ids of the suppliers a name's match would score (both names of a DBA): the blocking step."""
        ids: list[str] = []
        for part in filter(None, split_dba(name)):
            tokens, truncated, _ = read_query(part)
            if tokens:
                ids += (self.index.fields(row)[SUPPLIER_ID] for row in self._rows(tokens, truncated)[0])
        return ids

    def _rows(self, tokens: list[str], truncated: bool) -> tuple[list[int], bool]:
        """(rows to rank, whether the first hold the name's exact key): the exact key's rows,
        then the candidates found by the name's words."""
        rows = self.index.exact(" ".join(tokens))
        found = self.index.candidates(tokens, truncated, self.candidate_limit)
        return list(dict.fromkeys([*rows, *found])), bool(rows)

    def corrected(self, correction: Correction, candidates: list[dict[str, Any]]) -> dict[str, Any]:
        """The ``match`` section a reviewer's answer gives: no supplier, or theirs, first among the
        candidates with the reviewer as its evidence."""
        if correction.not_supplier:
            return _no_match(0.0, candidates)
        assert correction.supplier_id is not None
        row = self.index.row_of(correction.supplier_id)
        supplier = None if row is None else self.index.supplier(row)
        name = supplier.name if supplier else correction.supplier_name or ""
        chosen = {
            "supplier_id": correction.supplier_id,
            "supplier_name": name,
            "score": 100.0,
            "probability": 1.0,
        }
        others = [c for c in candidates if c["supplier_id"] != correction.supplier_id]
        return {
            **_no_match(1.0, [{**chosen, "evidence": [correction.reason]}, *others][:CANDIDATES_SHOWN]),
            "supplier_id": correction.supplier_id,
            "supplier_name": name or None,
            "match_type": "exact",
            "supplier_sic_code": supplier.sic_code if supplier else None,
            "supplier_accepts_card": supplier.accepts_card if supplier else None,
            "review": None if supplier else "the supplier a reviewer chose is not in the network",
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


def _spelling(name: str) -> str:
    """A name as typed, but for case and spacing."""
    return " ".join(name.upper().split())


def _no_match(probability: float, candidates: list[dict[str, Any]]) -> dict[str, Any]:
    """A match section without a supplier: the best candidate's probability, and the candidates."""
    return {
        "supplier_id": None,
        "supplier_name": None,
        "score": round(100 * probability, 1),
        "probability": round(probability, 4),
        "match_type": "none",
        "candidate_id": None,
        "supplier_sic_code": None,
        "supplier_accepts_card": None,
        "review": None,
        "candidates": candidates,
    }


def _place(
    where: tuple[str, str, str], supplier: list[str], form: str | None, supplier_form: str | None
) -> list[str]:
    """What location and legal form say of a candidate, in a clerk's words."""
    state, zip5, city = where
    said = []
    if state and supplier[STATE]:
        said.append("same state" if state == supplier[STATE] else f"other state ({supplier[STATE]})")
    if zip5 and zip5 == supplier[ZIP]:
        said.append("same ZIP")
    if city and city == supplier[CITY]:
        said.append("same city")
    if form and supplier_form:
        said.append("same legal form" if form == supplier_form else "other legal form")
    return said


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
