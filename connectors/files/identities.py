"""What a payee id already stands for in one file: a repeat, a move, or another payee.

Payment-level files repeat a payee on every payment, and an ERP keeps its vendor's id when the
vendor moves; but a file may also give one id to two different payees (a reused or mistyped
vendor number, a redacted name). The contract, the same for ``payeeflow ingest``, an upload to
``POST /batches`` and ``payeeflow classify | match | process``:

- the same name (compared canonically: case, punctuation, spacing and AP abbreviations aside),
  the same tax id (when both rows have one) and the same address: a **repeat**, folded into the
  payee's first row;
- the same name and tax id at another address (the vendor moved), or with a tax id its first
  row lacked: a **new version** of the payee (a later row, a later version; the batch keeps the
  latest);
- another name or another tax id: **conflicting_payee_id**, the later row rejected with the line
  of the row that holds the id, never folded into it and never answered as if it were that payee.

Only digests are kept (32 bytes an id besides the id itself), so a file of millions of payees
stays small in memory.
"""

from __future__ import annotations

import hashlib
import re
from enum import Enum
from functools import lru_cache
from typing import Any

from payeeflow.agents.text import canonical
from payeeflow.errors import RecordError

CONFLICT = "conflicting_payee_id"
_NOT_DIGIT = re.compile(r"\D")


class Seen(Enum):
    NEW = "new"  # the id's first row
    REPEAT = "repeat"  # the same payee written again
    CHANGED = "changed"  # the same payee at another address, or with a tax id it lacked


NO_TAX = bytes(8)
FIELDS = ("name", "address", "city", "state", "zip", "tax_id")


def _digest(*parts: str) -> bytes:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=8).digest()


@lru_cache(maxsize=8192)  # payment files repeat a payee's row many times (~6 MB at most)
def _fingerprint(
    name: str, address: str, city: str, state: str, zip_code: str, tax_id: str
) -> tuple[bytes, ...]:
    """Digests of a row's name, tax id (its digits) and address, each as the payee would be compared."""
    tax_digits = _NOT_DIGIT.sub("", tax_id)
    return (
        _digest(canonical(name)),
        _digest(tax_digits) if tax_digits else NO_TAX,
        _digest(canonical(address), canonical(city), canonical(state), zip_code.strip()[:5]),
    )


class PayeeIds:
    """The payees of one file by their given id, in the file's order."""

    def __init__(self) -> None:
        # id -> its first row's line (8 bytes), then digests of its name, tax id and latest address
        self._ids: dict[str, bytes] = {}

    def see(self, line: int, payee_id: str, fields: dict[str, Any]) -> Seen:
        """What the row at ``line`` is to the rows before it; raises ``RecordError`` (reason
        ``conflicting_payee_id``) when its id already stands for another payee. ``fields`` holds
        ``name``, ``address``, ``city``, ``state``, ``zip`` and ``tax_id`` (any may be missing)."""
        name, tax, where = _fingerprint(*(str(fields.get(f) or "") for f in FIELDS))
        known = self._ids.get(payee_id)
        if known is None:
            self._ids[payee_id] = line.to_bytes(8) + name + tax + where
            return Seen.NEW
        first, known_name, known_tax, known_where = known[:8], known[8:16], known[16:24], known[24:]
        if name != known_name or (NO_TAX not in (tax, known_tax) and tax != known_tax):
            raise RecordError(
                CONFLICT,
                f"payee id {payee_id[:60]!r} already stands for the payee of line "
                f"{int.from_bytes(first)}, whose {'name' if name != known_name else 'tax id'} differs",
            )
        if where == known_where and (known_tax != NO_TAX or tax == NO_TAX):
            return Seen.REPEAT
        self._ids[payee_id] = first + name + (tax if known_tax == NO_TAX else known_tax) + where
        return Seen.CHANGED
