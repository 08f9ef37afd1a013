"""Reading payee files (CSV with a header, JSON Lines, or an Excel workbook) one row at a time,
never whole.

A file is read as bytes and decoded line by line, so every row keeps the exact bytes it came from:
a row that cannot be used is rejected with those bytes, never silently repaired. The encoding is
the one given, or detected from the first 64 KiB (a BOM; else UTF-8 when the sample is UTF-8 or
holds UTF-8 sequences; else Windows-1252, the usual ERP export). A line that does not decode is a
reject naming its line and byte. Binary files (NUL bytes) and files with no rows are one-line
``InputError``\\ s, whatever the format.

An ``.xlsx`` workbook's first sheet (or the one named) is read with openpyxl's read-only mode
(rows streamed from the zip, not loaded): its first non-blank row is the header, cells become text
as a clerk sees them (``2138.0`` is ``2138``, a date ``2026-11-29``), and a reject carries the row
as a CSV line.

A file is read within limits (``connectors/files/limits.py``, the ``file_max_*`` settings), so a hostile
one costs a bounded time and memory: a CSV or JSON Lines row (so any field in it) or a workbook cell
longer than ``file_max_field_bytes`` refuses the whole file (``TooLarge``) as soon as it is met,
before the row is held whole; a workbook is judged by its zip's directory before anything is
inflated, read within the inflated cap, and its XML parsed without entities (defusedxml). A
refused file is an ``InputError``: the command exits naming it, the API answers 413 or 422.

A header's columns are mapped to payee fields (``connectors/files/columns.py``). A row becomes a
``payees.raw`` record: the mapped fields go to ``payee``, the other columns to ``payee.extra``
unchanged.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
import re
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any, NamedTuple, cast

from payeeflow.config import get_settings
from payeeflow.connectors.files.columns import ColumnMap, map_columns
from payeeflow.connectors.files.limits import BoundedZip, FileLimits, check_archive
from payeeflow.errors import InputError, RecordError, TooLarge

PAYEE_FIELDS = ("name", "address", "city", "state", "zip")
ENVELOPE_FIELDS = ("payee_id", "version")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
XLSX_SUFFIXES = (".xlsx", ".xlsm")
SNIFF_BYTES = 64 * 1024
BINARY_PROBE = 8000  # git's rule: a NUL in the first 8,000 bytes makes a file binary
WIDEST = 1_000  # columns a payee sheet may use (tens in practice; Excel allows 16,384)
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a row, so a field, is capped before csv sees it

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_LINE = re.compile(rb"\r\n|\r|\n")


class Row(NamedTuple):
    """One row of a file: its first line, its values (or why it cannot be read) and its bytes."""

    line: int
    values: dict[str, str] | RecordError
    raw: bytes


@dataclass(frozen=True)
class Source:
    """An opened payee file: its columns (CSV, XLSX), the encoding used, its rows (lazy, with each
    mapped field under its own name) and the mapping (``connectors/files/columns.py``)."""

    columns: list[str]
    encoding: str
    rows: Iterator[Row]
    mapping: ColumnMap = field(default_factory=ColumnMap)


def detect_encoding(path: Path, sample: bytes) -> str:
    """The encoding to read ``path`` with, from its first bytes; refuses binary files."""
    if not sample:
        raise InputError(f"{path}: the file is empty")
    for bom, name in _BOMS:
        if sample.startswith(bom):
            if name != "utf-8":
                raise InputError(f"{path}: the file is UTF-16; save it as UTF-8 (or CSV UTF-8 in Excel)")
            return name
    if sample.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a zip archive (an Excel workbook? name it .xlsx), not CSV or JSON Lines"
        )
    if (nul := sample.find(b"\x00", 0, BINARY_PROBE)) >= 0:  # a stray NUL later is one row's problem
        raise InputError(f"{path}: binary data (a NUL byte at offset {nul}), not a CSV or JSON Lines file")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE.search(sample):  # mostly UTF-8 with some broken lines: those are rejects
        return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def _physical_lines(fh: IO[bytes], limit: int) -> Iterator[bytes]:
    """Lines with their terminators (CRLF, LF or a lone CR, as old Mac exports end lines); one
    growing past ``limit`` bytes is refused before more of it is read."""
    rest = b""
    while chunk := fh.read(1 << 16):
        data = rest + chunk
        start = 0
        for match in _LINE.finditer(data):
            if match.end() == len(data) and match.group() == b"\r":
                break  # a CR at the chunk's end may be the first half of CRLF
            yield data[start : match.end()]
            start = match.end()
        rest = data[start:]
        if len(rest) > limit:
            raise TooLarge(f"longer than {limit:,} bytes")
    if rest:
        yield rest


class _Decoded:
    """Decodes physical lines for ``csv``/``json`` while remembering the bytes of the current row."""

    def __init__(self, fh: IO[bytes], encoding: str, path: Path, limit: int) -> None:
        self.encoding = encoding
        self.path = path
        self.limit = limit  # bytes of a row, however many lines it spans
        self.lines = _physical_lines(fh, limit)
        self.number = 0  # physical lines read
        self.raw: list[bytes] = []
        self.size = 0  # bytes of ``raw``
        self.error: str | None = None

    def take(self) -> tuple[bytes, str | None]:
        """The bytes of the lines read since the last call, and the first decoding error in them."""
        raw, error = b"".join(self.raw), self.error
        self.raw, self.size, self.error = [], 0, None
        return raw, error

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        try:
            line = next(self.lines)
        except TooLarge:
            raise self.too_long() from None
        self.number += 1
        self.raw.append(line)
        self.size += len(line)
        if self.size > self.limit:  # a quoted field running over many lines
            raise self.too_long()
        data = line[len(codecs.BOM_UTF8) :] if self.number == 1 and line.startswith(codecs.BOM_UTF8) else line
        try:
            return data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            if self.error is None:
                self.error = (
                    f"line {self.number}, byte {exc.start + 1}: 0x{data[exc.start]:02X} is not valid "
                    f"{self.encoding} (pass --encoding)"
                )
            return data.decode(self.encoding, errors="replace")

    def too_long(self) -> TooLarge:
        """The refusal of the row being read, named by its first line."""
        return TooLarge(
            f"{self.path}: line {self.number - len(self.raw) + 1}: a row longer than {self.limit:,} bytes "
            "(PAYEEFLOW_FILE_MAX_FIELD_BYTES); the file is refused"
        )


def open_rows(
    path: Path,
    encoding: str | None = None,
    maps: dict[str, str] | None = None,
    sheet: str | None = None,
    limits: FileLimits | None = None,
) -> Source:
    """Open a CSV, JSONL or XLSX payee file; its first row is read here so an empty file fails at
    once. The header's columns are mapped to payee fields (``maps``: ``--map``, else the usual
    names); JSON Lines carry the field names themselves. ``limits``: the settings' by default."""
    limits = limits or FileLimits.from_settings(get_settings())
    if path.suffix.lower() in XLSX_SUFFIXES:
        return _open_xlsx(path, maps, sheet, limits)
    try:
        fh = cast(io.BufferedReader, path.open("rb", buffering=SNIFF_BYTES))  # peek() sees the sample
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    try:
        if encoding:
            try:
                codecs.lookup(encoding)
            except LookupError as exc:
                raise InputError(f"unknown encoding {encoding!r}") from exc
            if not fh.peek(1)[:1]:
                raise InputError(f"{path}: the file is empty")
        else:
            encoding = detect_encoding(path, fh.peek(SNIFF_BYTES)[:SNIFF_BYTES])
        lines = _Decoded(fh, encoding, path, limits.max_field_bytes)
        mapping = ColumnMap()
        if path.suffix.lower() in JSONL_SUFFIXES:
            columns = []
            mapping, rows = _jsonl_mapped(path, _jsonl_rows(lines), maps)
        else:
            reader = csv.reader(lines)
            try:
                header = next(reader, None)
            except csv.Error as exc:
                raise InputError(f"{path}: not a readable CSV: {exc}") from exc
            if lines.take()[1] is not None:
                raise InputError(f"{path}: the header is not valid {encoding} (pass --encoding)")
            columns = header or []
            mapping = _mapping(path, columns, maps)
            rows = _mapped(_csv_rows(reader, lines, columns), mapping)
        first = next(rows, None)
        if first is None:
            raise InputError(f"{path}: no payee rows in the file")
    except BaseException:
        fh.close()
        raise
    return Source(columns, encoding, _chain(first, rows, fh), mapping)


def _mapping(path: Path, header: list[str], maps: dict[str, str] | None) -> ColumnMap:
    try:
        return map_columns(header, maps)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None


def _mapped(rows: Iterator[Row], mapping: ColumnMap) -> Iterator[Row]:
    for row in rows:
        yield row if isinstance(row.values, RecordError) else row._replace(values=mapping.apply(row.values))


def _chain(first: Row, rows: Iterator[Row], source: IO[bytes] | Any) -> Iterator[Row]:
    """The rows, the file (or workbook) closed when they end or the reader stops."""
    try:
        yield first
        yield from rows
    finally:
        source.close()


def _open_xlsx(path: Path, maps: dict[str, str] | None, sheet_name: str | None, limits: FileLimits) -> Source:
    import openpyxl  # only for workbooks
    from openpyxl.reader.excel import ExcelReader

    if not openpyxl.DEFUSEDXML:  # defusedxml missing, or OPENPYXL_DEFUSEDXML=False
        raise InputError(f"{path}: workbooks are read only with defusedxml (pip install defusedxml)")
    try:
        check_archive(path, limits)
        # load_workbook(path) is these two steps; the parts are read through the bounded zip
        reader = ExcelReader(path, read_only=True, data_only=True)
        reader.archive.close()
        reader.archive = BoundedZip(path, limits)
    except _DAMAGED as exc:
        raise _unreadable(path, exc) from exc
    try:
        reader.read()
    except BaseException as exc:
        reader.archive.close()
        if isinstance(exc, _DAMAGED):
            raise _unreadable(path, exc) from exc
        raise
    book = reader.wb
    try:
        if sheet_name is not None and sheet_name not in book.sheetnames:
            raise InputError(f"{path}: no sheet {sheet_name!r} (sheets: {', '.join(book.sheetnames)})")
        sheet = book[sheet_name] if sheet_name is not None else book.worksheets[0]
        cells = _sheet_rows(path, sheet, limits.max_field_bytes)
        numbered = ((n, row) for n, row in enumerate(cells, start=1) if any(row))
        _, header = next(numbered, (0, []))
        columns = _trimmed(header)
        mapping = _mapping(path, columns, maps)
        rows = _mapped(_xlsx_rows(numbered, columns), mapping)
        first = next(rows, None)
        if first is None:
            raise InputError(f"{path}: no payee rows in the sheet {sheet.title!r}")
    except BaseException:
        book.close()
        raise
    return Source(columns, "utf-8", _chain(first, rows, book), mapping)  # a reject's bytes: its CSV line


_DAMAGED = (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error)


def _unreadable(path: Path, exc: BaseException) -> InputError:
    """A workbook that cannot be read, and why; one declaring XML entities is called hostile."""
    from defusedxml import DefusedXmlException

    if isinstance(exc, DefusedXmlException) or isinstance(exc.__cause__, DefusedXmlException):
        return InputError(f"{path}: the workbook's XML declares entities (an XML bomb?); refused")
    return InputError(f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})")


def _sheet_rows(path: Path, sheet: Any, limit: int) -> Iterator[list[str]]:
    """The sheet's rows as text, as wide as their cells, not as the sheet's declared dimension
    (openpyxl pads every row to it, 16,384 cells for a hostile ``A1:XFD1048576``, and drops cells
    past a wrong one); a value past column ``WIDEST``, a cell over ``limit`` characters, or a
    damaged or hostile part met on the way refuses the workbook."""
    sheet.reset_dimensions()
    try:
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(values) > WIDEST:
                if values[WIDEST:].count(None) < len(values) - WIDEST:
                    raise InputError(
                        f"{path}: row {number}: a value past column {WIDEST:,}, more than a payee "
                        "sheet uses; the file is refused"
                    )
                values = values[:WIDEST]
            cells = [_text(v) for v in values]
            if cells and max(map(len, cells)) > limit:
                raise TooLarge(
                    f"{path}: row {number}: a cell longer than {limit:,} characters "
                    "(PAYEEFLOW_FILE_MAX_FIELD_BYTES); the file is refused"
                )
            yield cells
    except _DAMAGED as exc:
        raise _unreadable(path, exc) from exc


def _xlsx_rows(numbered: Iterator[tuple[int, list[str]]], columns: list[str]) -> Iterator[Row]:
    for number, cells in numbered:
        cells = _trimmed(cells)
        raw = _csv_line(cells)
        if len(cells) > len(columns):
            yield Row(number, RecordError("malformed_row", "more cells than header columns"), raw)
        else:
            cells += [""] * (len(columns) - len(cells))
            yield Row(number, dict(zip(columns, cells, strict=True)), raw)


def _text(value: Any) -> str:
    """A cell as its text: what a clerk reads in the sheet, not Python's spelling of it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _trimmed(cells: list[str]) -> list[str]:
    """Without the empty cells a sheet's used range adds after the last value."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _csv_line(cells: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(cells)
    return out.getvalue().encode()


def _csv_rows(reader: Any, lines: _Decoded, columns: list[str]) -> Iterator[Row]:
    while True:
        start = lines.number + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(start, RecordError("unreadable_row", str(exc)), lines.take()[0])
            continue
        raw, error = lines.take()
        if not cells:  # a blank line
            continue
        if error:
            yield Row(start, RecordError("undecodable_text", error), raw)
        elif len(cells) > len(columns):
            yield Row(start, RecordError("malformed_row", "more cells than header columns"), raw)
        else:
            yield Row(start, dict(zip(columns, cells + [""] * (len(columns) - len(cells)), strict=True)), raw)


def _jsonl_rows(lines: _Decoded) -> Iterator[Row]:
    for text in lines:
        raw, error = lines.take()
        if not text.strip():
            continue
        if error:
            yield Row(lines.number, RecordError("undecodable_text", error), raw)
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as exc:
            yield Row(lines.number, RecordError("malformed_json", str(exc)), raw)
            continue
        if not isinstance(row, dict):
            yield Row(lines.number, RecordError("malformed_json", "a line is not a JSON object"), raw)
            continue
        yield Row(lines.number, {k: "" if v is None else str(v) for k, v in row.items()}, raw)


def _jsonl_mapped(
    path: Path, rows: Iterator[Row], maps: dict[str, str] | None
) -> tuple[ColumnMap, Iterator[Row]]:
    """JSON Lines mapped as a CSV is, the first object's keys standing for the header (objects
    keyed by the field names map to themselves)."""
    ahead: list[Row] = []
    for row in rows:
        ahead.append(row)
        if not isinstance(row.values, RecordError):
            mapping = _mapping(path, list(row.values), maps)
            return mapping, _mapped(itertools.chain(ahead, rows), mapping)
    return ColumnMap(), iter(ahead)  # every line a reject: nothing to map


def payee_id_for(row: dict[str, Any]) -> str:
    """The row's ``payee_id``, or one from its name and address (street, city, state, ZIP), each in
    capitals with its spaces collapsed: the same payee written alike gets one id, one name in two
    cities two."""
    given = (row.get("payee_id") or "").strip()
    if given:
        return given
    basis = "|".join(" ".join((row.get(f) or "").upper().split()) for f in PAYEE_FIELDS)
    return "h-" + hashlib.blake2b(basis.encode(), digest_size=10).hexdigest()


def to_record(
    row: dict[str, Any], batch_id: str, source: str, now: datetime, consumed: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """A ``payees.raw`` record from a file row (mapped: each field under its own name); the columns
    ``consumed`` by the mapping stay out of ``extra``. A ``version`` that is not a whole number is
    refused."""
    version = (row.get("version") or "").strip()
    if version and not version.isdigit():
        raise RecordError("version_out_of_range", f"version {version[:40]!r} is not a whole number")
    payee = {f: ((row.get(f) or "").strip() or None) for f in PAYEE_FIELDS}
    payee["name"] = row.get("name") or ""
    payee["extra"] = {
        k: str(v) for k, v in row.items() if k not in PAYEE_FIELDS + ENVELOPE_FIELDS and k not in consumed
    }
    return {
        "payee_id": payee_id_for(row),
        "batch_id": batch_id,
        "source": source,
        "source_ts": now,
        "version": int(version) if version else int(now.timestamp() * 1000),
        "payee": payee,
    }
