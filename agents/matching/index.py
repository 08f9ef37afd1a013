"""In-memory supplier index: exact match keys, rare-token postings and typo variants; no full scan.

Rows are append-only columns; an upsert appends a row and retires the old one, a delete retires
it. A row keeps its supplier packed into one shared byte buffer and its match key (shared with the
key hash), not objects per field: at 483k suppliers that halves what the rows cost. Postings hold row numbers
in compact ``array('i')`` buffers, in ascending order. Every token of 4+ letters is also
indexed by its one-letter deletions (symmetric delete), so a payee token with a typo or a swap
still finds the supplier tokens within two edits without comparing against every token.
"""

from __future__ import annotations

import bisect
import math
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from payeeflow.agents.matching.normalize import legal_form, match_tokens

MAX_POSTING = 1000  # a token in more names than this is too common to find candidates with


@dataclass(frozen=True, slots=True)
class Supplier:
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
        def text(key: str) -> str | None:
            value = record.get(key)
            return str(value).strip().upper() or None if value not in (None, "") else None

        accepts = record.get("accepts_card")
        if isinstance(accepts, str):
            accepts = {"true": True, "false": False}.get(accepts.strip().lower())
        return cls(
            supplier_id=str(record["supplier_id"]).strip(),
            name=str(record["name"]).strip(),
            city=text("city"),
            state=text("state"),
            zip=(text("zip") or "")[:5] or None,
            tax_id=text("tax_id"),
            sic_code=text("sic_code"),
            accepts_card=accepts,
        )


def deletions(token: str) -> set[str]:
    """The token's one-letter deletions (tokens of 4+ letters only)."""
    if len(token) < 4:
        return set()
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


_SEP = "\x1f"  # unit separator: no supplier field holds one once packed
SUPPLIER_ID, NAME, CITY, STATE, ZIP, TAX_ID = 0, 1, 2, 3, 4, 5  # positions in ``SupplierIndex.fields``


def _pack(supplier: Supplier) -> str:
    card = {True: "1", False: "0", None: ""}[supplier.accepts_card]
    values = [supplier.supplier_id, supplier.name, supplier.city, supplier.state, supplier.zip]
    values += [supplier.tax_id, supplier.sic_code, card]
    return _SEP.join((value or "").replace(_SEP, " ") for value in values)


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
        self.postings: dict[str, array] = {}
        self.variants: dict[str, str | list[str]] = {}  # deletion -> the token(s) it comes from
        self._sorted_tokens: list[str] | None = None  # for prefix lookups; rebuilt after new tokens

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

    def tokens(self, row: int) -> list[str]:
        return self.keys[row].split()

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token the network lacks weighs like a rare one."""
        posting = self.postings.get(token)
        return math.log((len(self._sizes) + 1) / ((len(posting) if posting else 0) + 1)) + 1.0

    def upsert(self, supplier: Supplier) -> None:
        packed = _pack(supplier)
        old = self.row_of.get(supplier.supplier_id)
        if old is not None and self._packed(old) == packed:
            return  # unchanged (a daily full sync): a new row would only cost memory
        self.delete(supplier.supplier_id)
        tokens = [sys.intern(tok) for tok in match_tokens(supplier.name)]
        key = " ".join(tokens)
        if (present := self.by_key.get(key)) is not None:  # share the key string with its siblings
            key = self.keys[present if isinstance(present, int) else present[0]]
        row = len(self._sizes)
        data = packed.encode()
        self._starts.append(len(self._blob))
        self._sizes.append(len(data))
        self._blob += data
        self.keys.append(key)
        form = legal_form(supplier.name)
        self.forms.append(sys.intern(form) if form else None)
        self.row_of[supplier.supplier_id] = row
        _add(self.by_key, key, row)
        if supplier.tax_id:
            _add(self.by_tax_id, supplier.tax_id, row)
        for token in set(tokens):
            posting = self.postings.get(token)
            if posting is None:
                posting = self.postings[token] = array("i")
                if self._sorted_tokens is not None:
                    bisect.insort(self._sorted_tokens, token)
                for variant in deletions(token):
                    _add(self.variants, variant, token)
            posting.append(row)

    def delete(self, supplier_id: str) -> bool:
        row = self.row_of.pop(supplier_id, None)
        if row is None:
            return False
        tax_id = self.fields(row)[TAX_ID]
        self._sizes[row] = 0
        _discard(self.by_key, self.keys[row], row)
        if tax_id:
            _discard(self.by_tax_id, tax_id, row)
        return True

    def rows(self, token: str) -> np.ndarray:
        """A copy of the token's posting: rows in ascending order, retired ones included."""
        return np.array(self.postings[token], dtype=np.int32)

    def contains(self, token: str, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` hold ``token``: a binary search in its (ascending) posting."""
        posting = np.frombuffer(self.postings[token], dtype=np.int32)  # a view, released on return
        at = np.minimum(np.searchsorted(posting, rows), len(posting) - 1)
        return posting[at] == rows  # type: ignore[no-any-return]

    def exact(self, key: str) -> list[int]:
        return [row for row in _all(self.by_key.get(key)) if self._sizes[row]]

    def by_tax(self, tax_id: str) -> int | None:
        """The row of the supplier last given this tax id, of those still in the network."""
        rows = _all(self.by_tax_id.get(tax_id))
        return rows[-1] if rows else None

    def similar_tokens(self, token: str) -> set[str]:
        """Network tokens within about two edits of ``token`` (itself included when known)."""
        found = {token} if token in self.postings else set()
        for variant in deletions(token) | {token}:
            found.update(_all(self.variants.get(variant)))
        return found

    def prefixed_tokens(self, prefix: str, limit: int = 50) -> list[str]:
        """Network tokens that start with ``prefix`` (a token cut by a bank-file field limit)."""
        if len(prefix) < 3:
            return []
        if self._sorted_tokens is None:
            self._sorted_tokens = sorted(self.postings)
        tokens = self._sorted_tokens
        start = bisect.bisect_left(tokens, prefix)
        found = []
        for token in tokens[start : start + limit]:
            if not token.startswith(prefix):
                break
            found.append(token)
        return found


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
