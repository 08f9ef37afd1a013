"""In-memory supplier index: exact match keys, rare-token postings and typo variants; no full scan.

Rows are append-only; an upsert appends a row and retires the old one, a delete retires it. A
row keeps its supplier packed into one shared byte buffer and its match key (shared with the key
hash), not objects per field: at 483k suppliers that halves what the rows cost. The postings,
the typo variants and each row's key tokens, location and legal form live in the compiled
``Network`` (``native/src/postings.rs``), which finds and scores candidates: every token of 4+
letters is also indexed by its one-letter deletions (symmetric delete), so a payee token with a
typo or a swap still finds the supplier tokens within two edits without comparing against every
token.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable
from typing import Any, NamedTuple

from payeeflow.agents.classification.native import Network
from payeeflow.agents.matching.normalize import supplier_key

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
        city, state, zip5, tax_id, sic_code, accepts = [
            None
            if value is None
            else (value if value.__class__ is str else str(value)).strip().upper() or None
            for value in rest
        ]
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
SUPPLIER_ID, NAME, CITY, STATE, ZIP, TAX_ID = 0, 1, 2, 3, 4, 5  # positions in ``SupplierIndex.fields``


def _pack(supplier: Supplier) -> str:
    card = "" if supplier.accepts_card is None else "1" if supplier.accepts_card else "0"
    values = [
        supplier.supplier_id,
        supplier.name,
        supplier.city or "",
        supplier.state or "",
        supplier.zip or "",
    ]
    values += [supplier.tax_id or "", supplier.sic_code or "", card]
    packed = _SEP.join(values)
    if packed.count(_SEP) != len(values) - 1:  # a field held the separator (seldom: it is a control)
        packed = _SEP.join(value.replace(_SEP, " ") for value in values)
    return packed


def _unpack(packed: str) -> Supplier:
    supplier_id, name, city, state, zip5, tax_id, sic_code, card = packed.split(_SEP)
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
    def __init__(self) -> None:
        # Each row's supplier, packed (see ``_pack``) as UTF-8 in one buffer: no object per row.
        # A retired row's bytes stay until a rebuild, as its postings do; its size becomes 0.
        self._blob = bytearray()
        self._starts = array("Q")
        self._sizes = array("I")
        self.keys: list[str] = []  # match key per row: its tokens joined by spaces
        self.forms: list[str | None] = []
        self.row_of: dict[str, int] = {}
        self.by_key: dict[str, int | list[int]] = {}  # one row, or the rows sharing a key
        self.by_tax_id: dict[str, int | list[int]] = {}  # suppliers may share a tax id
        self.network = Network(
            max_posting=MAX_POSTING, near_weight=NEAR_WEIGHT, boost_from=BOOST_FROM, prefix_limit=PREFIX_LIMIT
        )

    def __len__(self) -> int:
        return len(self.row_of)

    @classmethod
    def build(cls, suppliers: Iterable[Supplier]) -> SupplierIndex:
        index = cls()
        for supplier in suppliers:
            index.upsert(supplier)
        return index

    @property
    def row_count(self) -> int:
        """Rows ever added, retired ones included."""
        return len(self._sizes)

    def _packed(self, row: int) -> str | None:
        size = self._sizes[row]
        if not size:
            return None
        start = self._starts[row]
        return self._blob[start : start + size].decode()

    def supplier(self, row: int) -> Supplier | None:
        packed = self._packed(row)
        return None if packed is None else _unpack(packed)

    def fields(self, row: int) -> list[str]:
        """A live row's supplier as strings ("" for none), cheaper than ``supplier`` when scoring."""
        packed = self._packed(row)
        assert packed is not None
        return packed.split(_SEP)

    def alive(self, row: int) -> bool:
        return self._sizes[row] != 0

    def upsert(self, supplier: Supplier) -> None:
        packed = _pack(supplier)
        old = self.row_of.get(supplier.supplier_id)
        if old is not None:
            if self._packed(old) == packed:
                return  # unchanged (a daily full sync): a new row would only cost memory
            self.delete(supplier.supplier_id)
        tokens, form = supplier_key(supplier.name)
        key = " ".join(tokens)
        if (present := self.by_key.get(key)) is not None:  # share the key string with its siblings
            key = self.keys[present if isinstance(present, int) else present[0]]
        row = len(self._sizes)
        data = packed.encode()
        self._starts.append(len(self._blob))
        self._sizes.append(len(data))
        self._blob += data
        self.keys.append(key)
        self.forms.append(sys.intern(form) if form else None)
        self.row_of[supplier.supplier_id] = row
        _add(self.by_key, key, row)
        if supplier.tax_id:
            _add(self.by_tax_id, supplier.tax_id, row)
        self.network.add(
            tokens,
            supplier.state or "",
            supplier.city or "",
            supplier.zip or "",
            form or "",
            rank(supplier.supplier_id),
        )

    def delete(self, supplier_id: str) -> bool:
        row = self.row_of.pop(supplier_id, None)
        if row is None:
            return False
        tax_id = self.fields(row)[TAX_ID]
        self._sizes[row] = 0
        self.network.retire(row)
        _discard(self.by_key, self.keys[row], row)
        if tax_id:
            _discard(self.by_tax_id, tax_id, row)
        return True

    def exact(self, key: str) -> list[int]:
        return [row for row in _all(self.by_key.get(key)) if self._sizes[row]]

    def by_tax(self, tax_id: str) -> int | None:
        """The row of the supplier last given this tax id, of those still in the network."""
        rows = _all(self.by_tax_id.get(tax_id))
        return rows[-1] if rows else None

    def candidates(self, tokens: list[str], truncated: bool, limit: int) -> list[int]:
        """Live rows sharing the name's tokens or their near spellings (for a cut name, the
        words its last word begins), heaviest first: each token counts once per row, at the
        IDF of its best spelling; words too common to find with only re-rank rows near the top."""
        return self.network.candidates(tokens, truncated, limit)


def rank(supplier_id: str) -> int:
    """Where a supplier stands among rows that tie: a stable hash of its id, so that matching gives
    the same answers whatever order the network was loaded in."""
    return int.from_bytes(
        hashlib.blake2b(supplier_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    )


def _add(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Store one value bare and several as a list: most keys have one, and lists cost 88 bytes."""
    present = mapping.get(key)
    if present is None:
        mapping[key] = value
    elif isinstance(present, list):
        present.append(value)
    else:
        mapping[key] = [present, value]


def _discard(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Undo ``_add``: drop one value, and the key with its last value."""
    present = mapping.get(key)
    if present == value:
        del mapping[key]
    elif isinstance(present, list) and value in present:
        present.remove(value)
        if len(present) == 1:
            mapping[key] = present[0]


def _all(found: Any) -> list[Any]:
    if found is None:
        return []
    return found if isinstance(found, list) else [found]
