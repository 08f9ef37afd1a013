"""The in-process commands' contracts from DESIGN.md, through the real console entry point."""

import csv
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from payeeflow.agents.matching.labelled import fold
from payeeflow.agents.matching.model import match_model
from payeeflow.agents.matching.synthetic import PAYMENT_HEADERS, generate_payments, write_csv, write_workbook
from tests.conftest import EXAMPLES

CLASSIFY_COLUMNS = [
    "excluded",
    "exclusion_keyword",
    "exclusion_category",
    "payee_type",
    "confidence",
    "sic_code",
    "sic_description",
    "reason",
]
MATCH_COLUMNS = ["supplier_id", "supplier_name", "match_score", "match_type", "candidate_id", "candidates"]
REVIEW_COLUMNS = ["needs_review", "review_reason"]


def payeeflow(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payeeflow", *args], capture_output=True, text=True, timeout=120
    )


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def payees(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(
        "name,payee_id,vendor_code\n"
        "ACME PLUMBING LLC,1,V1\n"
        '"SMITH, JOHN A",2,V2\n'
        ",3,V3\n"
        "INTERNAL REVENUE SERVICE,4,V4\n" + "X" * 400 + ",5,V5\n"
        "Town of Middleton,6,V6\n",
        encoding="utf-8",
    )
    return path


def test_classify_keeps_rows_in_order_with_passthrough_columns(payees: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    result = payeeflow("classify", str(payees), "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = read(out)
    header = next(csv.reader(out.open()))
    assert header == ["name", "payee_id", "vendor_code", *CLASSIFY_COLUMNS, *REVIEW_COLUMNS]
    assert [r["payee_id"] for r in rows] == ["1", "2", "4", "6"]
    assert [r["vendor_code"] for r in rows] == ["V1", "V2", "V4", "V6"]
    assert [r["payee_type"] for r in rows] == ["BUSINESS", "INDIVIDUAL", "GOVERNMENT", "GOVERNMENT"]
    assert rows[2]["excluded"] == "true" and rows[2]["exclusion_category"] == "tax_authority"
    assert rows[0]["excluded"] == "false"
    assert all(0 <= float(r["confidence"]) <= 1 for r in rows)


def test_bad_rows_go_to_rejects_with_their_reason(payees: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    assert payeeflow("classify", str(payees), "-o", str(out)).returncode == 0
    rejects = read(tmp_path / "out.rejects.csv")
    assert [(r["payee_id"], r["reason"]) for r in rejects] == [("3", "empty_name"), ("5", "name_too_long")]


def test_match_and_process_columns(payees: Path, tmp_path: Path) -> None:
    network = tmp_path / "net.csv"
    network.write_text("supplier_id,name,state\nS1,Acme Plumbing Inc,TX\nS2,Zenith Roofing LLC,OH\n")
    out = tmp_path / "m.csv"
    assert payeeflow("match", str(payees), "--network", str(network), "-o", str(out)).returncode == 0
    rows = read(out)
    assert list(rows[0])[-8:] == MATCH_COLUMNS + REVIEW_COLUMNS
    assert rows[0]["supplier_id"] == "S1" and rows[0]["match_type"] == "exact"
    assert rows[1]["supplier_id"] == "" and rows[1]["match_type"] == "none"
    best = json.loads(rows[0]["candidates"])[0]  # the candidates a clerk reads, as JSON
    assert (best["supplier_id"], best["evidence"][0]) == ("S1", "same name")
    assert match_model().decision.match <= best["probability"] <= 1  # matched, though LLC is not Inc
    out2 = tmp_path / "p.csv"
    assert payeeflow("process", str(payees), "--network", str(network), "-o", str(out2)).returncode == 0
    first = read(out2)[0]
    for column in [*CLASSIFY_COLUMNS, *MATCH_COLUMNS, "address_status", "payment_method", "card_acceptance"]:
        assert column in first


@pytest.mark.parametrize(
    ("content", "message"),
    [("amount,city\nx,y\n", "no payee name column found (columns: amount, city)"), (None, "cannot open")],
)
def test_unusable_input_is_a_one_line_error(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "in.csv"
    if content is not None:
        path.write_text(content)
    result = payeeflow("classify", str(path), "-o", str(tmp_path / "o.csv"))
    assert result.returncode != 0
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_broken_line_in_a_utf8_file_is_rejected_with_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("name\nCAFÉ GOOD LLC\n".encode() + b"BAD \xff\xfe NAME\n")
    out = tmp_path / "o.csv"
    result = payeeflow("classify", str(path), "-o", str(out))
    assert result.returncode == 0 and "(utf-8)" in result.stdout
    assert [row["name"] for row in read(out)] == ["CAFÉ GOOD LLC"]
    [reject] = read(tmp_path / "o.rejects.csv")
    assert reject["reason"] == "undecodable_text"
    assert reject["error"].startswith("line 3, byte 5: 0xFF is not valid utf-8")
    assert reject["raw"] == "BAD \\xff\\xfe NAME"


def test_a_latin1_file_is_detected_and_an_explicit_encoding_wins(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("name\nCAFÉ ROYAL LLC\nJOSÉ NUÑEZ\n".encode("latin-1"))
    out = tmp_path / "o.csv"
    result = payeeflow("classify", str(path), "-o", str(out))
    assert result.returncode == 0 and "(cp1252)" in result.stdout
    assert [row["name"] for row in read(out)] == ["CAFÉ ROYAL LLC", "JOSÉ NUÑEZ"]
    result = payeeflow("classify", str(path), "-o", str(out), "--encoding", "utf-8")
    assert result.returncode == 0 and len(read(tmp_path / "o.rejects.csv")) == 2


def test_a_bom_is_not_part_of_the_first_column(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b"\xef\xbb\xbfpayee_id,name\nV-1,ACME LLC\n")
    out = tmp_path / "o.csv"
    assert payeeflow("classify", str(path), "-o", str(out)).returncode == 0
    assert read(out)[0]["payee_id"] == "V-1"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "the file is empty"),
        ("empty.jsonl", b"", "the file is empty"),
        ("header.csv", b"name,city\n", "no payee rows"),
        ("blank.jsonl", b"\n\n", "no payee rows"),
        (
            "binary.csv",
            b"\x7fELF\x02\x01\x01\x00\x00\xff\xfe garbage",
            "binary data (a NUL byte at offset 7)",
        ),
        ("book.csv", b"PK\x03\x04\x14\x00\x06\x00", "zip archive"),
        ("renamed.xlsx", b"name\nACME\n", "not a readable Excel workbook"),
    ],
)
def test_empty_and_binary_files_are_one_readable_line(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = payeeflow("classify", str(path), "-o", str(tmp_path / "o.csv"))
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.isprintable() or result.stderr.rstrip("\n").isprintable()


def test_lone_cr_line_endings_are_lines(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(b'name,note\rACME SUPPLY LLC,"two\rlines"\rJOHN DOE,y\r')
    out = tmp_path / "o.csv"
    assert payeeflow("classify", str(path), "-o", str(out)).returncode == 0
    assert [row["note"] for row in read(out)] == ["two\rlines", "y"]


def test_examples_process_end_to_end(tmp_path: Path) -> None:
    """The sample through every stage against the sample network, graded by its own expected
    columns (``synthetic`` wrote them: an empty type is a name screening excludes)."""
    out = tmp_path / "p.csv"
    result = payeeflow(
        "process", str(EXAMPLES / "payees.csv"), "--network", str(EXAMPLES / "suppliers.csv"), "-o", str(out)
    )
    assert result.returncode == 0, result.stderr
    rows = read(out)
    assert len(rows) == 1000
    assert len(read(tmp_path / "p.rejects.csv")) == 3
    assert {r["excluded"] for r in rows if not r["expected_type"]} == {"true"}
    # Measured 2026-12-07: the type right for 933 of the 952 rows naming one (98.0%); the expected
    # supplier, or a chain's other place of its very name (one supplier to readers), found for 527
    # of the 559 naming one (94.3%; 515 the very row); all 527 matches so.
    # The floors sit a little below: a change that loses more fails here.
    typed = [r for r in rows if r["expected_type"]]
    assert sum(r["payee_type"] == r["expected_type"] for r in typed) / len(typed) >= 0.97
    spelled = {r["supplier_id"]: fold(r["name"]) for r in read(EXAMPLES / "suppliers.csv")}

    def right(row: dict[str, str]) -> bool:
        return spelled.get(row["supplier_id"], "") == spelled.get(row["expected_supplier_id"])

    in_network = [r for r in rows if r["expected_supplier_id"]]
    assert sum(map(right, in_network)) / len(in_network) >= 0.92
    matched = [r for r in rows if r["supplier_id"]]
    assert sum(map(right, matched)) / len(matched) >= 0.99


def test_several_processes_answer_every_row_in_order_as_one_does(tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    lines = (EXAMPLES / "payees.csv").read_bytes().splitlines(keepends=True)
    source.write_bytes(b"".join([*lines, *lines[1:], b"BAD \xff NAME,1\n"]))  # past a chunk, a bad line
    outputs = []
    for processes in ("1", "2"):
        out = tmp_path / f"p{processes}.csv"
        network = str(EXAMPLES / "suppliers.csv")
        result = payeeflow(
            "process", str(source), "--network", network, "-o", str(out), "--processes", processes
        )
        assert result.returncode == 0, result.stderr
        rejects = read(tmp_path / f"p{processes}.rejects.csv")
        outputs.append((out.read_bytes(), rejects))
    assert outputs[0] == outputs[1]
    assert len(outputs[0][1]) == 7 and outputs[0][1][-1]["raw"] == "BAD \\xff NAME,1"


def test_every_command_says_which_payees_a_clerk_should_review(tmp_path: Path) -> None:
    network = tmp_path / "n.csv"
    network.write_text(
        "supplier_id,name,city,state\nS1,ACME SUPPLY INC,AUSTIN,TX\nS2,ACME SUPPLY LLC,DAYTON,OH\n"
        "S3,GLOBEX INDUSTRIAL SERVICES LLC,DALLAS,TX\n"
    )
    payees = tmp_path / "p.csv"
    payees.write_text("name,city,state\nACME SUPPLY,,\nGLOBEX INDUSTRIAL SERVICES LLC,DALLAS,TX\nZQX\n")
    for command in ("classify", "match", "process"):
        out = tmp_path / f"{command}.csv"
        extra = [] if command == "classify" else ["--network", str(network)]
        assert payeeflow(command, str(payees), *extra, "-o", str(out)).returncode == 0
        rows = read(out)
        assert list(rows[0])[-2:] == REVIEW_COLUMNS
        for row in rows:
            assert (row["needs_review"] == "true") == bool(row["review_reason"])
    rows = read(tmp_path / "process.csv")
    assert rows[0]["supplier_id"] == "" and rows[0]["review_reason"].startswith("ambiguous between suppliers")
    assert rows[1]["needs_review"] == "false" and rows[1]["supplier_id"] == "S3"
    assert "payee type" in rows[2]["review_reason"]


def test_an_excel_workbook_is_read_as_a_clerk_sees_it(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Vendors"
    sheet.append([])  # exports often start lower down
    sheet.append(["payee_id", "name", "state", "zip", "paid_on", "amount"])
    sheet.append(["V1", "ACME PLUMBING LLC", "TX", 77002, datetime(2026, 11, 2), 125.5])
    sheet.append([None] * 6)
    sheet.append(["V2", "JOHN A SMITH", "MA", "02139", None, 40.0])
    sheet.append(["V3", "EXTRA CELL INC", "TX", None, None, None, "stray"])
    path = tmp_path / "vendors.xlsx"
    book.save(path)
    out = tmp_path / "out.csv"
    result = payeeflow("classify", str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = read(out)
    assert [(r["payee_id"], r["zip"], r["paid_on"], r["amount"]) for r in rows] == [
        ("V1", "77002", "2026-11-02", "125.5"),
        ("V2", "02139", "", "40"),
    ]
    assert [r["payee_type"] for r in rows] == ["BUSINESS", "INDIVIDUAL"]
    rejects = read(tmp_path / "out.rejects.csv")
    assert [(r["line"], r["reason"]) for r in rejects] == [("6", "malformed_row")]


def test_an_erp_export_is_read_by_its_own_headers(tmp_path: Path) -> None:
    """A payment-level export as published: its own header (with a leading space), padded names,
    placeholders for nothing, a column the command does not know."""
    path = tmp_path / "payments.csv"
    path.write_text(
        " Payment Date,Department,Vendor Name ,Vendor ID,Postal Code,City,Amount\n"
        "2026-01-02,Parks,  ACME PLUMBING LLC  ,V-1,60601,UNASSIGNED,10.00\n"
        "2026-01-09,Police,JOHN A SMITH,N/A,60601,Chicago,20.00\n"
    )
    out = tmp_path / "out.csv"
    result = payeeflow("classify", str(path), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "name ← 'Vendor Name '" in result.stderr and "payee_id ← 'Vendor ID'" in result.stderr
    assert "zip ← 'Postal Code'" in result.stderr
    rows = read(out)
    assert [r["Vendor Name "] for r in rows] == ["  ACME PLUMBING LLC  ", "JOHN A SMITH"]  # as given
    assert [r["payee_type"] for r in rows] == ["BUSINESS", "INDIVIDUAL"]
    assert rows[0][" Payment Date"] == "2026-01-02" and rows[1]["Amount"] == "20.00"


@pytest.mark.parametrize(
    ("header", "maps", "message"),
    [
        ("Vendor Name,VENDOR_NAME", [], "more than one name column ('Vendor Name', 'VENDOR_NAME')"),
        ("Amount,Date", [], "no payee name column found (columns: Amount, Date)"),
        ("Vendor,City", ["--map", "name=Supplier"], "--map name='Supplier': no column 'Supplier'"),
        ("Vendor,City", ["--map", "nom=Vendor"], "write FIELD=COLUMN"),
    ],
)
def test_a_name_column_that_is_missing_or_ambiguous_is_one_line_naming_the_candidates(
    tmp_path: Path, header: str, maps: list[str], message: str
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"{header}\nA,B\n")
    result = payeeflow("classify", str(path), "-o", str(tmp_path / "o.csv"), *maps)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_name_split_over_two_columns_is_joined(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("Vendor Name,Vendor Name 2,State\nACME PLUMBING AND,HEATING LLC,IL\n")
    out = tmp_path / "out.csv"
    result = payeeflow("classify", str(path), "-o", str(out), "--map", "name=Vendor Name+Vendor Name 2")
    assert result.returncode == 0, result.stderr
    assert "name ← 'Vendor Name' + 'Vendor Name 2'" in result.stderr
    assert read(out)[0]["sic_code"] == "1711"  # PLUMBING AND HEATING, read whole


def test_a_payment_level_file_answers_each_payee_once_and_every_row(tmp_path: Path) -> None:
    """Vendors repeated on every payment: the stages see each distinct payee once; every row, in
    order, gets its payee's answer."""
    from payeeflow.agents.classification.logic import Classifier
    from payeeflow.agents.pipeline import Pipeline
    from payeeflow.inprocess import run_file

    class Counted(Pipeline):
        seen: list[str] = []

        def process(self, record: dict) -> dict:
            self.seen.append(record["payee"]["name"])
            return super().process(record)

    path = tmp_path / "payments.csv"
    path.write_text(
        "Vendor Name,Amount\nACME PLUMBING LLC,1\nJOHN A SMITH,2\nACME PLUMBING LLC  ,3\n,4\nJOHN A SMITH,5\n"
    )
    out = tmp_path / "out.csv"
    pipeline = Counted(classifier=Classifier.load())
    result = run_file(pipeline, path, out, ["payee_type"])
    assert (result.rows, result.rejected) == (4, 1)  # the empty name is a reject, as before
    assert pipeline.seen == ["ACME PLUMBING LLC", "JOHN A SMITH", ""]  # trimmed, the padded one is the same
    assert [(r["Amount"], r["payee_type"]) for r in read(out)] == [
        ("1", "BUSINESS"), ("2", "INDIVIDUAL"), ("3", "BUSINESS"), ("5", "INDIVIDUAL")
    ]  # fmt: skip


@pytest.mark.parametrize("style", range(len(PAYMENT_HEADERS)))
def test_a_generated_payment_export_goes_through_unedited_as_csv_and_xlsx(tmp_path: Path, style: int) -> None:
    """Each header style of the payment-export generator, lines ending in a lone CR, and its Excel
    copy: every row answered, one answer per payee, the workbook answered as the CSV."""
    vendors = [r for r in read(EXAMPLES / "payees.csv") if r["name"].isprintable()][:60]
    csv_path, xlsx_path = tmp_path / "payments.csv", tmp_path / "payments.xlsx"
    count = write_csv(generate_payments(vendors, 400, seed=style, style=style), csv_path, line_end="\r")
    write_workbook(csv_path, xlsx_path)
    split = PAYMENT_HEADERS[style]["name"]
    maps = ["--map", f"name={split}"] if "+" in split else []
    answers = []
    for path in (csv_path, xlsx_path):
        out = tmp_path / f"{path.suffix[1:]}.out.csv"
        network = str(EXAMPLES / "suppliers.csv")
        result = payeeflow("process", str(path), "--network", network, "-o", str(out), *maps)
        assert result.returncode == 0, result.stderr
        assert "address ←" in result.stderr and "zip ←" in result.stderr  # found by their usual names
        rows = read(out)
        assert len(rows) == count and not (tmp_path / f"{out.stem}.rejects.csv").exists()
        assert all(r["payee_type"] in ("INDIVIDUAL", "BUSINESS", "GOVERNMENT") or r["excluded"] for r in rows)
        answers.append(
            [[r[c] for c in ("payee_type", "supplier_id", "address_status", "payment_method")] for r in rows]
        )
        by_payee: dict[str, set[str]] = {}
        for row in rows:
            name = " ".join(row[c] for c in split.split("+")).upper().split()
            by_payee.setdefault(" ".join(name), set()).add(row["payee_type"] + row["supplier_id"])
        assert all(len(seen) == 1 for seen in by_payee.values())  # a payee answered alike on every row
    assert answers[0] == answers[1]


def test_an_id_given_to_two_payees_rejects_the_later_row_and_keeps_every_other(tmp_path: Path) -> None:
    """The contract of ``connectors/files/identities.py``, as ingest applies it: the second payee under an
    id is a reject naming the first's line; a repeat and a move are answered."""
    path = tmp_path / "in.csv"
    path.write_text(
        "payee_id,name,address,city,state\n"
        "C1,ACME PLUMBING LLC,1 MAIN ST,AUSTIN,TX\n"
        "C1,ZENITH ROOFING INC,9 OAK AVE,DALLAS,TX\n"
        "C1,Acme Plumbing L.L.C.,1 Main St,Austin,TX\n"
        "C1,ACME PLUMBING LLC,500 ELM ST,HOUSTON,TX\n"
    )
    for processes in ("1", "2"):
        out = tmp_path / f"out{processes}.csv"
        assert payeeflow("classify", str(path), "-o", str(out), "--processes", processes).returncode == 0
        answered = [(r["address"], r["payee_type"]) for r in read(out)]
        assert answered == [("1 MAIN ST", "BUSINESS"), ("1 Main St", "BUSINESS"), ("500 ELM ST", "BUSINESS")]
        [reject] = read(tmp_path / f"out{processes}.rejects.csv")
        assert (reject["line"], reject["reason"], reject["name"]) == (
            "3",
            "conflicting_payee_id",
            "ZENITH ROOFING INC",
        )
        assert reject["error"] == "payee id 'C1' already stands for the payee of line 2, whose name differs"
