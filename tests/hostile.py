"""Hostile payee files for the tests and ``benchmarks/hostile_uploads.py``, each written as it is
generated (never held whole): zip bombs, a billion laughs, a lying zip directory, a 1 GB field."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import openpyxl

MiB = 1 << 20
STRINGS = "xl/sharedStrings.xml"
STRINGS_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SST = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
LAUGHS = (  # ten lols, each of ten of the one before: 10^9 of them
    b"<!DOCTYPE lolz ["
    + b'<!ENTITY lol0 "lol">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
    + b"]>"
)


def workbook(folder: Path, part: str | None = None, content: Iterable[bytes] = ()) -> Path:
    """A real workbook (a header, one payee) as ``folder/book.xlsx``, with ``part`` replaced by
    (or, for the shared strings, added as) ``content``."""
    plain = folder / "plain.xlsx"
    book = openpyxl.Workbook()
    book.active.append(["payee_id", "name"])
    book.active.append(["1", "ACME PLUMBING LLC"])
    book.save(plain)  # openpyxl writes its strings inline: no shared strings part
    path = folder / "book.xlsx"
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml" and part == STRINGS:
                override = b'<Override PartName="/%s" ContentType="%s"/>' % (STRINGS.encode(), STRINGS_TYPE)
                data = data.replace(b"</Types>", override + b"</Types>")
            if item.filename != part:
                out.writestr(item, data)
        if part:
            with out.open(part, "w", force_zip64=True) as fh:
                for chunk in content:
                    fh.write(chunk)
    return path


def repeated(chunk: bytes, times: int, head: bytes = b"", tail: bytes = b"") -> Iterator[bytes]:
    yield head
    for _ in range(times):
        yield chunk
    yield tail


def zip_bomb(folder: Path, mebibytes: int) -> Path:
    """A workbook whose shared strings inflate to ``mebibytes`` MiB (one string of A's)."""
    return workbook(folder, STRINGS, repeated(b"A" * MiB, mebibytes, SST + b"<si><t>", b"</t></si></sst>"))


def billion_laughs(folder: Path, part: str = STRINGS) -> Path:
    """A workbook whose ``part`` declares the billion laughs and uses them."""
    if part == STRINGS:
        xml = SST + b"<si><t>x</t></si></sst>"
    else:
        with zipfile.ZipFile(workbook(folder)) as plain:
            xml = plain.read(part)
    body = xml[xml.index(b"?>") + 2 :] if xml.startswith(b"<?xml") else xml
    return workbook(folder, part, [LAUGHS + body.replace(b"<t>", b"<t>&lol9;", 1)])


def lying(folder: Path, mebibytes: int) -> Path:
    """A workbook whose ``[Content_Types].xml`` (read whole) inflates to ``mebibytes`` MiB while
    the central directory says 1,000 bytes."""
    path = workbook(folder, "[Content_Types].xml", repeated(b" " * MiB, mebibytes))
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")
    while (
        data[at + 46 : at + 46 + int.from_bytes(data[at + 28 : at + 30], "little")] != b"[Content_Types].xml"
    ):
        at = data.find(b"PK\x01\x02", at + 4)
    data[at + 24 : at + 28] = (1000).to_bytes(4, "little")  # the entry's inflated size
    path.write_bytes(data)
    return path


def long_field_lines(size: int, before: int = 1) -> Iterator[bytes]:
    """A CSV whose payee after ``before`` plain ones has a name of ``size`` bytes, a mebibyte at a
    time."""
    yield b"payee_id,name\n" + b"".join(b"%d,ACME PLUMBING LLC\n" % n for n in range(before)) + b"x,"
    for _ in range(size // MiB):
        yield b"A" * MiB
    yield b"A" * (size % MiB) + b"\n"


def dimensioned(folder: Path, dimension: bytes, rows: Iterable[bytes] = ()) -> Path:
    """The plain workbook with its sheet's declared dimension replaced, and ``rows`` (``<row>``
    elements) added after its own."""
    with zipfile.ZipFile(workbook(folder)) as plain:
        sheet = plain.read("xl/worksheets/sheet1.xml")
    sheet = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + dimension + b'"', sheet)
    head, tail = sheet.split(b"</sheetData>")
    return workbook(folder, "xl/worksheets/sheet1.xml", [head, *rows, b"</sheetData>", tail])
