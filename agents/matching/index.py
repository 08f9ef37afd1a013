"""In-memory supplier index: exact match keys, rare-token postings and typo variants; no full scan.

Rows are append-only; an upsert appends a row and retires the old one, a delete retires it. The
index lives in compiled code (``native/src/store.rs`` and ``postings.rs``), not in objects per
supplier: each supplier packed into one shared byte buffer, its rows by id, match key and tax id,
and each row's key tokens, location and legal form, which find and score candidates. Every token
of 4+ letters is also indexed by its one-letter deletions (symmetric delete), so a payee token
with a typo or a swap still finds the supplier tokens within two edits without comparing against
every token. A network file is read by the compiled code whole (``from_csv``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any, NamedTuple

from payeeflow._native import Suppliers, rank
from payeeflow.agents.matching.model import FEATURES, MatchModel, match_model
from payeeflow.agents.matching.normalize import KEYS, LEGAL_FORMS
from payeeflow.agents.matching.words import pair_words
from payeeflow.errors import InputError

__all__ = ["SUPPLIER_FIELDS", "Supplier", "SupplierIndex", "rank"]

MAX_POSTING = 1000  # a token in more names than this is too common to find candidates with
NEAR_WEIGHT = 0.6  # a near spelling finds candidates, but less surely than the word itself
BOOST_FROM = 0.5  # common words re-rank the candidates weighing at least this share of the best
PREFIX_LIMIT = 50  # the most network tokens a cut word stands for


class Supplier(NamedTuple):  # a tuple: an index build makes 483k of them
    supplier_id: str
    name: str
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    tax_id: str | None = None
    sic_code: str | None = None
    accepts_card: bool | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Supplier:
        return cls.from_values(*(record.get(field) for field in SUPPLIER_FIELDS))

    @classmethod
    def from_values(cls, supplier_id: Any, name: Any, *rest: Any) -> Supplier:
        """A supplier from the values of ``SUPPLIER_FIELDS``, in that order, as a CSV or a
        record gives them: codes upper-cased, blanks as none, the ZIP as its first five."""
        city, state, zip5, tax_id, sic_code, accepts = (
            (str(value).strip().upper() or None) if value not in (None, "") else None for value in rest
        )
        return cls(
            str(supplier_id).strip(),
            str(name).strip(),
            city,
            state,
            zip5[:5] if zip5 else None,
            tax_id,
            sic_code,
            {"TRUE": True, "FALSE": False}.get(accepts) if accepts else None,
        )


SUPPLIER_FIELDS = ("supplier_id", "name", "city", "state", "zip", "tax_id", "sic_code", "accepts_card")


_SEP = "\x1f"  # unit separator: no supplier field holds one once packed
SUPPLIER_ID, NAME, CITY, STATE, ZIP = 0, 1, 2, 3, 4  # positions in ``SupplierIndex.fields``


def network_columns(path: Path) -> list[int | None]:
    """The columns of ``SUPPLIER_FIELDS`` in a network CSV's header (None for one it lacks);
    InputError when it cannot be read or lacks ``supplier_id`` or ``name``."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read network CSV: {getattr(exc, 'strerror', None) or exc}") from exc
    missing = {"supplier_id", "name"} - set(header)
    if missing:
        raise InputError(f"{path}: network CSV lacks column(s) {', '.join(sorted(missing))}")
    return [header.index(f) if f in header else None for f in SUPPLIER_FIELDS]


def _unpack(fields: list[str]) -> Supplier:
    supplier_id, name, city, state, zip5, tax_id, sic_code, card = fields
    return Supplier(
        supplier_id,
        name,
        city or None,
        state or None,
        zip5 or None,
        tax_id or None,
        sic_code or None,
        {"1": True, "0": False}.get(card),
    )


class SupplierIndex:
    """The network as matching reads it, held by the compiled ``Suppliers`` (no Python object per
    supplier): each supplier packed into one buffer, its rows by id, match key and tax id, and
    the postings that find candidates."""

    def __init__(self, model: MatchModel | None = None) -> None:
        """``model``: the match model to rank with (the packaged one by default)."""
        words = pair_words()
        self.native = Suppliers(
            keys=KEYS,
            max_posting=MAX_POSTING,
            near_weight=NEAR_WEIGHT,
            boost_from=BOOST_FROM,
            prefix_limit=PREFIX_LIMIT,
            equivalents=words.equivalents,
            qualifiers=set(words.qualifiers),
            entities=set(words.entities),
            joining=set(words.joining),
            forms=set(LEGAL_FORMS),
            given=set(words.given),
        )
        self.use(model or match_model())

    def use(self, model: MatchModel) -> None:
        """Ranks with ``model`` from now on."""
        self.model = model
        self.native.set_model(len(FEATURES), model.trees, model.base)

    def __len__(self) -> int:
        return len(self.native)

    @classmethod
    def build(cls, suppliers: Iterable[Supplier], model: MatchModel | None = None) -> SupplierIndex:
        index = cls(model)
        for supplier in suppliers:
            index.upsert(supplier)
        return index

    @classmethod
    def from_csv(cls, path: Path, model: MatchModel | None = None) -> SupplierIndex:
        """Every supplier of a network CSV (``supplier_id``, ``name`` required), read and
        normalised by compiled code as ``matching.logic.read_network`` and
        ``Supplier.from_values`` read them."""
        index = cls(model)
        try:
            index.native.read_csv(str(path), network_columns(path))
        except ValueError as exc:
            raise InputError(str(exc)) from exc
        return index

    @property
    def row_count(self) -> int:
        """Rows ever added, retired ones included."""
        return self.native.row_count

    def supplier(self, row: int) -> Supplier | None:
        packed = self.native.packed(row)
        return None if packed is None else _unpack(packed.split(_SEP))

    def fields(self, row: int) -> list[str]:
        """A live row's supplier as strings ("" for none), cheaper than ``supplier`` when scoring."""
        packed = self.native.packed(row)
        assert packed is not None
        return packed.split(_SEP)

    def alive(self, row: int) -> bool:
        return self.native.alive(row)

    def row_of(self, supplier_id: str) -> int | None:
        return self.native.row_of(supplier_id)

    def form(self, row: int) -> str | None:
        """The canonical legal form the row's name states."""
        return self.native.form(row)

    def upsert(self, supplier: Supplier) -> None:
        """Adds the supplier or replaces its row; an unchanged one (a daily full sync) is left."""
        card = "" if supplier.accepts_card is None else "1" if supplier.accepts_card else "0"
        self.native.upsert(
            [
                supplier.supplier_id,
                supplier.name,
                supplier.city or "",
                supplier.state or "",
                supplier.zip or "",
                supplier.tax_id or "",
                supplier.sic_code or "",
                card,
            ]
        )

    def delete(self, supplier_id: str) -> bool:
        return self.native.delete(supplier_id)

    def exact(self, key: str) -> list[int]:
        return self.native.exact(key)

    def key(self, row: int) -> str | None:
        """A row's match key (None for a row never added)."""
        return self.native.key(row)

    def by_tax(self, tax_id: str) -> int | None:
        """The row of the supplier last given this tax id, of those still in the network."""
        return self.native.by_tax(tax_id)

    def candidates(self, tokens: list[str], truncated: bool, limit: int) -> list[int]:
        """Live rows sharing the name's tokens or their near spellings (for a cut name, the
        words its last word begins), heaviest first: each token counts once per row, at the
        IDF of its best spelling; words too common to find with only re-rank rows near the top."""
        return self.native.candidates(tokens, truncated, limit)
