"""In-memory supplier index: exact match keys plus rare-token postings, never a full scan.

Rows are append-only columns; an upsert appends a row and retires the old one, a delete retires
it. Postings hold row numbers in compact ``array('i')`` buffers, so the index of the whole
network stays small, and queries touch only the rows that share a rare token with the payee.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from agents.matching.normalize import match_tokens

MAX_POSTING = 5000  # a token in more names than this is too common to find candidates with


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


class SupplierIndex:
    def __init__(self) -> None:
        self.suppliers: list[Supplier | None] = []
        self.keys: list[str] = []
        self.row_of: dict[str, int] = {}
        self.by_key: dict[str, list[int]] = {}
        self.by_tax_id: dict[str, int] = {}
        self.postings: dict[str, array] = {}

    def __len__(self) -> int:
        return len(self.row_of)

    @classmethod
    def build(cls, suppliers: Iterable[Supplier]) -> SupplierIndex:
        index = cls()
        for supplier in suppliers:
            index.upsert(supplier)
        return index

    def upsert(self, supplier: Supplier) -> None:
        self.delete(supplier.supplier_id)
        tokens = match_tokens(supplier.name)
        key = " ".join(tokens)
        row = len(self.suppliers)
        self.suppliers.append(supplier)
        self.keys.append(key)
        self.row_of[supplier.supplier_id] = row
        self.by_key.setdefault(key, []).append(row)
        if supplier.tax_id:
            self.by_tax_id[supplier.tax_id] = row
        for token in set(tokens):
            posting = self.postings.get(token)
            if posting is None:
                posting = self.postings[token] = array("i")
            posting.append(row)

    def delete(self, supplier_id: str) -> bool:
        row = self.row_of.pop(supplier_id, None)
        if row is None:
            return False
        old = self.suppliers[row]
        self.suppliers[row] = None
        rows = self.by_key.get(self.keys[row], [])
        if row in rows:
            rows.remove(row)
        if old is not None and old.tax_id and self.by_tax_id.get(old.tax_id) == row:
            del self.by_tax_id[old.tax_id]
        return True

    def get(self, supplier_id: str) -> Supplier | None:
        row = self.row_of.get(supplier_id)
        return None if row is None else self.suppliers[row]

    def exact(self, key: str) -> list[int]:
        return [row for row in self.by_key.get(key, ()) if self.suppliers[row] is not None]

    def candidates(self, tokens: list[str], limit: int) -> Iterator[int]:
        """Live rows sharing the payee's rarest tokens, rarest first, at most ``limit``."""
        known = [(len(p), tok) for tok in set(tokens) if (p := self.postings.get(tok)) is not None]
        known.sort()
        seen: set[int] = set()
        for size, tok in known:
            if size > MAX_POSTING and seen:
                break
            for row in self.postings[tok][:limit]:
                if row not in seen and self.suppliers[row] is not None:
                    seen.add(row)
                    yield row
                    if len(seen) >= limit:
                        return
