"""Clerks' corrections: a payee's type, its supplier, or "not a supplier".

A correction is made on one payee (the compacted topic ``payees.corrections`` keeps the latest per
payee; a tombstone withdraws it) and applies to every later record of that payee and of any payee
with the same normalised name: the classification and matching stages look a record up by its
payee id first, else by its name's canonical tokens (the latest correction made on that name).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from payeeflow.agents.formulas import restore
from payeeflow.agents.text import canonical, strip_erp_noise
from payeeflow.errors import InputError

CORRECTED_TYPES = ("INDIVIDUAL", "BUSINESS", "GOVERNMENT")
EXPORT_COLUMNS = (
    *("payee_id", "name", "name_key", "payee_type", "supplier_id", "supplier_name", "not_supplier"),
    *("note", "reviewer", "corrected_at"),
)


@dataclass(frozen=True)
class Correction:
    """What a reviewer said of a payee, with who and when (the topic's record)."""

    payee_id: str
    name: str
    reviewer: str
    corrected_at: datetime
    payee_type: str | None = None
    supplier_id: str | None = None
    supplier_name: str | None = None
    not_supplier: bool = False
    note: str = ""
    name_key: str = ""

    def __post_init__(self) -> None:
        if self.payee_type is not None and self.payee_type not in CORRECTED_TYPES:
            raise InputError(
                f"payee_type must be one of {', '.join(CORRECTED_TYPES)}, not {self.payee_type!r}"
            )
        if self.not_supplier and self.supplier_id:
            raise InputError("a correction names a supplier or says 'not a supplier', not both")
        if self.payee_type is None and not self.supplier_id and not self.not_supplier:
            raise InputError("a correction sets payee_type, supplier_id or not_supplier")
        if not self.name_key:
            object.__setattr__(self, "name_key", name_key(self.name))

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Correction:
        return cls(**{key: record[key] for key in EXPORT_COLUMNS})

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def reason(self) -> str:
        """Why a stage's answer is what it is, in the words the stages' reasons use."""
        when = self.corrected_at.astimezone(UTC).date().isoformat()
        return f"set by reviewer {self.reviewer} on {when}" + (f": {self.note}" if self.note else "")


def name_key(name: str) -> str:
    """How payees of one name find each other's correction: the name without ERP wording
    (``ACME INC - AP DEPT`` is ``ACME INC``), in canonical tokens."""
    return canonical(strip_erp_noise(name))


class Corrections:
    """The corrections in force, found by payee id or by normalised name.

    Small by nature (one per payee a clerk looked at), so held whole; a lookup costs nothing while
    there are none, which keeps the stages' speed when nobody corrects anything.
    """

    def __init__(self, corrections: Iterable[Correction] = ()) -> None:
        self.by_payee: dict[str, Correction] = {}
        self.by_name: dict[str, dict[str, Correction]] = {}
        for correction in corrections:
            self.put(correction)

    def __len__(self) -> int:
        return len(self.by_payee)

    def put(self, correction: Correction) -> None:
        self.withdraw(correction.payee_id)
        self.by_payee[correction.payee_id] = correction
        self.by_name.setdefault(correction.name_key, {})[correction.payee_id] = correction

    def withdraw(self, payee_id: str) -> None:
        old = self.by_payee.pop(payee_id, None)
        if old is not None:
            same_name = self.by_name[old.name_key]
            del same_name[payee_id]
            if not same_name:
                del self.by_name[old.name_key]

    def find(self, payee_id: str, name: str) -> Correction | None:
        """The payee's own correction, else the latest made on a payee of the same name."""
        if not self.by_payee:
            return None
        if (own := self.by_payee.get(payee_id)) is not None:
            return own
        same_name = self.by_name.get(name_key(name))
        return max(same_name.values(), key=lambda c: c.corrected_at) if same_name else None


def read_corrections(path: Path) -> Iterator[Correction]:
    """Corrections from a CSV export (``GET /corrections.csv``'s columns; ``name`` and a
    ``payee_type`` suffice for retraining), its cells as they were before the export kept
    formulas out of them."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "name" not in reader.fieldnames:
            raise InputError(
                f"{path}: a corrections CSV needs a 'name' column (columns: {reader.fieldnames})"
            )
        for line, cells in enumerate(reader, start=2):
            row = {column: restore(text) for column, text in cells.items() if isinstance(text, str)}
            try:
                yield Correction(
                    payee_id=row.get("payee_id") or f"line-{line}",
                    name=row["name"],
                    reviewer=row.get("reviewer") or "file",
                    corrected_at=_when(row.get("corrected_at")),
                    payee_type=row.get("payee_type") or None,
                    supplier_id=row.get("supplier_id") or None,
                    supplier_name=row.get("supplier_name") or None,
                    not_supplier=(row.get("not_supplier") or "").lower() == "true",
                    note=row.get("note") or "",
                )
            except (InputError, ValueError) as exc:
                raise InputError(f"{path}:{line}: {exc}") from None


def _when(text: str | None) -> datetime:
    if not text:
        return datetime.fromtimestamp(0, UTC)
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)
