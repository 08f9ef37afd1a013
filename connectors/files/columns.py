"""Which columns of a payee file hold which payee fields, whatever the ERP named them.

A header is matched field by field against the usual names, compared without case, spaces,
underscores or punctuation (``Vendor Name``, ``VENDOR_NAME`` and ``VendorName`` are one name);
``--map FIELD=COLUMN`` says it outright, and ``--map name="Vendor Name+Vendor Name 2"`` joins a
name split over two columns. The mapped fields' values are trimmed, and the placeholders ERPs
write for nothing (``UNASSIGNED``, ``N/A``, ``NULL``, ``NONE``, ``-``) read as empty. Columns not
mapped pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from payeeflow.errors import InputError

FIELDS = ("payee_id", "name", "address", "city", "state", "zip", "tax_id")
# The usual names of each field, best first: when two columns match, the better name wins.
USUAL = {
    "payee_id": (
        "payeeid vendorid vendornumber vendorno vendornum vendorcode supplierid suppliernumber "
        "supplierno suppliercode payeenumber payeeno payeecode vendoraccount"
    ),
    "name": (
        "name payeename vendorname suppliername remittoname remitname payee vendor supplier "
        "companyname businessname vendorname1 payeename1"
    ),
    "address": (
        "address addressline1 address1 streetaddress street addr1 addressline remittoaddress "
        "remittoaddress1 remitaddress remitaddress1 vendoraddress vendoraddress1 mailingaddress"
    ),
    "city": "city remittocity remitcity vendorcity mailingcity town",
    "state": (
        "state stateprovince stateorprovince province st remittostate remitstate vendorstate mailingstate"
    ),
    "zip": "zip zipcode postalcode postcode zip5 remittozip remitzip remitpostalcode vendorzip mailingzip",
    "tax_id": "taxid tin ein fein taxidnumber federaltaxid vendortaxid taxpayerid",
}
PLACEHOLDERS = frozenset({"UNASSIGNED", "N/A", "NA", "NULL", "NONE", "-", "--", "N.A.", "#N/A"})


def squeeze(column: str) -> str:
    """A header name as the usual names are written: lower case, letters and digits only."""
    return re.sub(r"[^0-9a-z]", "", column.lower())


@dataclass(frozen=True)
class ColumnMap:
    """Field -> the columns it is read from (joined by a space when several)."""

    sources: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def consumed(self) -> frozenset[str]:
        """Columns read into a field under another name: the rest pass through as they are."""
        return frozenset(c for columns in self.sources.values() for c in columns if c not in FIELDS)

    def describe(self) -> str:
        return ", ".join(f"{f} ← {' + '.join(repr(c) for c in cs)}" for f, cs in self.sources.items())

    def apply(self, values: dict[str, str]) -> dict[str, str]:
        """The row with each mapped field under its own name, trimmed, placeholders empty."""
        out = dict(values)
        for name, columns in self.sources.items():
            if len(columns) == 1:  # nearly every field: no parts to join
                out[name] = _value(values.get(columns[0]))
                continue
            parts = (_value(values.get(column)) for column in columns)
            out[name] = " ".join(part for part in parts if part)
        return out


def _value(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value.upper() in PLACEHOLDERS else value


def parse_maps(given: Iterable[str]) -> dict[str, str]:
    """``FIELD=COLUMN`` options (``--map``) as a dict; a clear error for anything else."""
    maps: dict[str, str] = {}
    for option in given:
        name, sep, column = option.partition("=")
        name = name.strip()
        if not sep or not column.strip() or name not in FIELDS:
            raise InputError(f"--map {option!r}: write FIELD=COLUMN, FIELD one of {', '.join(FIELDS)}")
        maps[name] = column.strip()
    return maps


def map_columns(header: Sequence[str], given: dict[str, str] | None = None) -> ColumnMap:
    """The fields ``header`` holds: those ``given`` (``--map``), then those found by their usual names."""
    given = given or {}
    present = set(header)
    sources: dict[str, tuple[str, ...]] = {}
    for name, spec in given.items():
        columns = (spec,) if spec in present else tuple(c.strip() for c in spec.split("+"))
        missing = [c for c in columns if c not in present]
        if missing:
            raise InputError(f"--map {name}={spec!r}: no column {missing[0]!r} (columns: {_shown(header)})")
        sources[name] = columns
    taken = {c for cs in sources.values() for c in cs}
    for name in FIELDS:
        if name in sources:
            continue
        ranked = _candidates(name, [c for c in header if c not in taken])
        if not ranked:
            continue
        best = [column for rank, column in ranked if rank == ranked[0][0]]
        if len(best) > 1:
            raise InputError(
                f"more than one {name} column ({', '.join(repr(c) for c in best)}): "
                f"say which with --map {name}=COLUMN"
            )
        sources[name] = (best[0],)
        taken.add(best[0])
    if "name" not in sources:
        raise InputError(
            f"no payee name column found (columns: {_shown(header)}): say which with --map name=COLUMN"
        )
    return ColumnMap({name: sources[name] for name in FIELDS if name in sources})


def _candidates(name: str, header: Sequence[str]) -> list[tuple[int, str]]:
    usual = USUAL[name].split()
    found = [(usual.index(squeeze(c)), c) for c in header if squeeze(c) in usual]
    return sorted(found, key=lambda candidate: candidate[0])  # ties in the header's order


def _shown(header: Sequence[str]) -> str:
    shown = "".join(ch if ch.isprintable() else "?" for ch in ", ".join(header))
    return (shown if len(shown) <= 200 else shown[:200] + "…") or "none"
