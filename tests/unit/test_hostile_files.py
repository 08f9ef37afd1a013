"""Hostile payee files are refused within bounded memory: zip bombs, entity bombs, endless fields
(``connectors/files/limits.py``, ``connectors/files/rows.py``), and the API's upload places
(``api/uploads.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import openpyxl.xml.functions
import pytest
from fastapi import HTTPException

from payeeflow.api.uploads import Uploads
from payeeflow.config import Settings
from payeeflow.connectors.files.limits import FileLimits
from payeeflow.connectors.files.rows import open_rows
from payeeflow.errors import InputError, TooLarge
from tests.conftest import EXAMPLES
from tests.hostile import MiB, billion_laughs, dimensioned, long_field_lines, lying, workbook, zip_bomb


def read_all(path: Path, limits: FileLimits | None = None) -> list[object]:
    return [row.values for row in open_rows(path, limits=limits).rows]


def peak_while(action: Callable[[], object]) -> int:
    """The most memory Python held (bytes, over what it held before) while ``action`` ran."""
    tracemalloc.start()
    try:
        action()
    except InputError:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.DEFUSEDXML
    assert openpyxl.xml.functions.iterparse.__module__.startswith("defusedxml")
    assert openpyxl.xml.functions.fromstring.__module__.startswith("defusedxml")


def test_without_defusedxml_no_workbook_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(InputError, match=r"only with defusedxml \(pip install defusedxml\)"):
        open_rows(workbook(tmp_path))


def test_a_plain_workbook_is_still_read(tmp_path: Path) -> None:
    assert read_all(workbook(tmp_path)) == [{"payee_id": "1", "name": "ACME PLUMBING LLC"}]


def test_a_zip_bomb_is_refused_from_its_directory_before_inflating(tmp_path: Path) -> None:
    bomb = zip_bomb(tmp_path, 600)  # 600 MB of shared strings, as the workbook that took 4-6 GB
    assert bomb.stat().st_size < 2 * MiB
    with pytest.raises(
        TooLarge, match=r"inflates to 629,\d{3},\d{3} bytes, more than the 268,435,456 allowed"
    ):
        open_rows(bomb)
    assert peak_while(lambda: open_rows(bomb)) < 4 * MiB


def test_a_small_bomb_is_refused_by_its_ratio(tmp_path: Path) -> None:
    with pytest.raises(
        InputError, match=r"sharedStrings.xml inflates 1,0\d\d times \(a zip bomb\?\)"
    ) as refused:
        open_rows(zip_bomb(tmp_path, 20))
    assert not isinstance(refused.value, TooLarge)  # hostile, not merely large: a 422


def test_a_directory_that_lies_cannot_make_a_part_inflate_more(tmp_path: Path) -> None:
    path = lying(tmp_path, 50)  # read whole by openpyxl; 50 MB said to be 1,000 bytes
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        open_rows(path)
    assert peak_while(lambda: open_rows(path)) < 4 * MiB  # inflated a step at a time, never 50 MB


def test_a_workbook_compressed_otherwise_than_excel_does_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bz.xlsx"  # bzip2 inflates a whole read at once, however large
    with zipfile.ZipFile(workbook(tmp_path)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_BZIP2) as out:
        for item in source.infolist():
            out.writestr(item.filename, source.read(item.filename))
    with pytest.raises(InputError, match="compressed with method 12"):
        open_rows(path)


@pytest.mark.parametrize("part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/workbook.xml"])
def test_a_billion_laughs_workbook_is_refused(tmp_path: Path, part: str) -> None:
    with pytest.raises(InputError, match="the workbook's XML declares entities") as refused:
        read_all(billion_laughs(tmp_path, part))
    assert not isinstance(refused.value, TooLarge)


def test_a_cell_over_the_field_cap_refuses_the_workbook(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    for row in (["payee_id", "name"], ["1", "ACME PLUMBING LLC"], ["2", "B" * 5000]):
        book.active.append(row)
    path = tmp_path / "long.xlsx"
    book.save(path)
    with pytest.raises(TooLarge, match="row 3: a cell longer than 1,000 characters"):
        read_all(path, FileLimits(max_field_bytes=1000))


def test_a_1_gb_field_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.writelines(long_field_lines(10**9))
    source = open_rows(path)  # the first payee is fine
    assert next(source.rows).values == {"payee_id": "0", "name": "ACME PLUMBING LLC"}
    with pytest.raises(TooLarge, match=r"line 3: a row longer than 262,144 bytes"):
        next(source.rows)
    assert peak_while(lambda: read_all(path)) < 4 * MiB


@pytest.mark.parametrize(
    ("name", "content", "line"),
    [
        ("quoted.csv", b'payee_id,name\n1,"' + b"A\n" * 2000 + b'"\n', 2),  # a field over many lines
        ("long.jsonl", b'{"payee_id": "1", "name": "' + b"A" * 5000 + b'"}\n', 1),
        ("ok-then-long.jsonl", b'{"name": "ACME"}\n{"name": "' + b"A" * 5000 + b'"}\n', 2),
    ],
)
def test_a_row_over_the_field_cap_is_refused(tmp_path: Path, name: str, content: bytes, line: int) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(TooLarge, match=f"line {line}: a row longer than 1,000 bytes"):
        read_all(path, FileLimits(max_field_bytes=1000))


def test_the_commands_refuse_a_hostile_file_in_one_line(tmp_path: Path) -> None:
    long = tmp_path / "long.csv"
    long.write_bytes(b"name,payee_id\nACME PLUMBING LLC,1\n" + b"A" * 5000 + b",2\n")
    env = {**os.environ, "PAYEEFLOW_FILE_MAX_FIELD_BYTES": "1000"}
    network = ["--network", str(EXAMPLES / "suppliers.csv")]
    for command, path, message in (
        (["classify"], zip_bomb(tmp_path, 20), "sharedStrings.xml inflates 1,0"),
        (
            ["process", *network],
            long,
            "line 3: a row longer than 1,000 bytes (PAYEEFLOW_FILE_MAX_FIELD_BYTES)",
        ),
    ):
        done = subprocess.run(
            [sys.executable, "-m", "payeeflow", *command, str(path), "-o", str(tmp_path / "o.csv")],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode != 0
        assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_uploads_past_their_places_or_their_disk_are_503s() -> None:
    uploads = Uploads(Settings(api_uploads_at_once=2, api_upload_disk_bytes=100))
    first, second = uploads.take(), uploads.take()
    with pytest.raises(HTTPException) as full:
        uploads.take()
    assert (full.value.status_code, full.value.headers) == (503, {"Retry-After": "5"})
    first.grow(60)
    with pytest.raises(HTTPException) as no_room:
        second.grow(41)
    assert no_room.value.status_code == 503
    first.release()
    first.release()  # counted once
    second.grow(100)
    assert (uploads.held, uploads.bytes) == (1, 100)
    second.release()
    assert (uploads.held, uploads.bytes) == (0, 0)


def test_a_sheet_is_read_as_wide_as_its_cells_not_its_declared_dimension(tmp_path: Path) -> None:
    # A1:XFD1048576 would pad each row to 16,384 cells (a CPU bomb); A1 would drop the names
    for dimension in (b"A1:XFD1048576", b"A1"):
        assert read_all(dimensioned(tmp_path, dimension)) == [{"payee_id": "1", "name": "ACME PLUMBING LLC"}]


def test_a_value_far_right_refuses_the_workbook(tmp_path: Path) -> None:
    far = [b'<row r="3"><c r="XFD3" t="n"><v>1</v></c></row>']
    with pytest.raises(InputError, match="row 3: a value past column 1,000"):
        read_all(dimensioned(tmp_path, b"A1:XFD3", far))


def test_a_zip_of_too_many_parts_is_refused_before_they_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "parts.xlsx"
    with zipfile.ZipFile(path, "w") as out:
        for n in range(10_001):
            out.writestr(f"p{n}", b"")
    with pytest.raises(InputError, match="a workbook of more than 10,000 parts is refused"):
        open_rows(path)
