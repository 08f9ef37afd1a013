"""The daily report's shaping: from the row its query returns to JSON and CSV, and the command's and
the API's reading of a day and of a format."""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from pydantic import TypeAdapter, ValidationError

from payeeflow.api.routers.reports import Day, wants_csv
from payeeflow.cli import main
from payeeflow.cli.reports import utc_day
from payeeflow.connectors.database import postgres, reports
from payeeflow.connectors.database.reports import DailyReport, parse_day, shape, to_csv, to_json

DAY = date(2026, 3, 1)
NOW = datetime(2026, 3, 2, 0, 15, tzinfo=UTC)
ROW = {
    "generated_at": NOW,
    "batches": 3,
    "batch_payees": 120,
    "rows": 300,
    "rejected": 2,
    "open_batches": 1,
    "results_deleted": 0,
    "pending": 5,
    "stored": 110,
    "dead_lettered": 5,
    "excluded": 4,
    "needs_review": 7,
    "by_payee_type": {"INDIVIDUAL": 30, "BUSINESS": 80},
    "by_match_type": {"none": 60, "exact": 50},
    "backlog": 42,
    "oldest_review": NOW - timedelta(hours=2, seconds=0.25),
    "dead_letters": 9,
    "replayed": 1,
    "by_reason": {"name_too_long": 6, "=HYPERLINK(1)": 3},
    "by_stage": {"exclusion": 9},
    "providers": [["card_network", "answered", 3], ["llm", "adopted", 2], ["card_network", "over_budget", 1]],
}


def test_the_row_becomes_the_days_report() -> None:
    report = shape(DAY, ROW)
    assert report.day == DAY and report.generated_at == NOW and not report.stored
    assert report.batches.model_dump() == {
        "count": 3,
        "payees": 120,
        "rows": 300,
        "rejected_at_source": 2,
        "open": 1,
        "results_deleted": 0,
    }
    assert (report.payees.stored, report.payees.dead_lettered, report.payees.pending) == (110, 5, 5)
    assert list(report.payees.by_payee_type) == ["BUSINESS", "INDIVIDUAL"]  # in order, whatever SQL gave
    assert report.review_backlog.payees == 42
    assert report.review_backlog.oldest_age_seconds == 7200.2
    assert report.dead_letters.by_reason == {"=HYPERLINK(1)": 3, "name_too_long": 6}
    assert report.providers == {"card_network": {"answered": 3, "over_budget": 1}, "llm": {"adopted": 2}}


def test_nothing_that_day_is_zeros_and_empty_mixes() -> None:
    empty = {key: 0 for key in ROW} | {
        "generated_at": NOW,
        "oldest_review": None,
        **{key: {} for key in ("by_payee_type", "by_match_type", "by_reason", "by_stage")},
        "providers": [],
    }
    report = shape(DAY, empty)
    assert report.review_backlog.oldest_since is None and report.review_backlog.oldest_age_seconds == 0
    assert report.providers == {} and report.payees.by_match_type == {}


def test_json_reads_back_as_the_same_report() -> None:
    report = shape(DAY, ROW)
    text = to_json(report)
    assert json.loads(text)["batches"]["rows"] == 300
    assert DailyReport.model_validate_json(text) == report


def test_csv_is_one_figure_a_row_and_no_cell_a_formula() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(shape(DAY, ROW)))))
    assert rows[0] == ["day", "section", "name", "value"]
    figures = {(section, name): value for day, section, name, value in rows[1:]}
    assert {day for day, *_ in rows[1:]} == {"2026-03-01"}
    assert figures["report", "stored"] == "false"
    assert figures["report", "generated_at"] == "2026-03-02T00:15:00Z"
    assert figures["batches", "rows"] == "300"
    assert figures["payees.by_payee_type", "BUSINESS"] == "80"
    assert figures["review_backlog", "oldest_age_seconds"] == "7200.2"
    assert figures["dead_letters.by_reason", "'=HYPERLINK(1)"] == "3"  # text in a spreadsheet
    assert figures["providers.card_network", "over_budget"] == "1"
    assert len(rows) - 1 == len(figures)


@pytest.mark.parametrize(
    ("accept", "csv_wanted"),
    [
        ("text/csv", True),
        ("text/csv;q=0.9, application/json", False),
        ("application/json;q=0.5, text/csv", True),
        ("TEXT/CSV; charset=utf-8", True),
        ("*/*", False),
        ("", False),
        ("text/csv;q=x", False),
    ],
)
def test_accept_chooses_csv_only_when_it_prefers_it(accept: str, csv_wanted: bool) -> None:
    assert wants_csv(accept) is csv_wanted


NOT_DAYS = ("2023-02-29", "20240501", "2024-W01-1", "yesterday", "2024-05-01T00:00", "1714521600", "")


def test_a_day_is_yyyy_mm_dd_and_a_real_date() -> None:
    assert parse_day("2024-02-29") == date(2024, 2, 29)
    with pytest.raises(ValueError, match="is not a date: day is out of range"):
        parse_day("2023-02-29")
    for bad in NOT_DAYS:
        with pytest.raises(ValueError, match="is not a date"):
            parse_day(bad)


def test_the_command_and_the_api_read_a_day_alike() -> None:
    api_day = TypeAdapter(Day)
    assert utc_day("2024-02-29") == api_day.validate_python("2024-02-29") == date(2024, 2, 29)
    for bad in NOT_DAYS:
        with pytest.raises(argparse.ArgumentTypeError, match="is not a date"):
            utc_day(bad)
        with pytest.raises(ValidationError, match="is not a date"):
            api_day.validate_python(bad)


def test_store_refuses_a_day_not_yet_over(capsys: pytest.CaptureFixture[str]) -> None:
    today = datetime.now(UTC).date().isoformat()
    assert main(["report", "--date", today, "--store"]) == 2
    assert "has not ended" in capsys.readouterr().err


@pytest.mark.parametrize(
    "where",
    [
        "connect",  # the database gone since the command found it
        "served",  # or refusing the report's statement
    ],
)
def test_a_database_away_or_refusing_is_one_line_and_exit_2(
    where: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(*args: Any, **kwargs: Any) -> Any:
        if where == "connect":
            raise psycopg.OperationalError(
                'connection to server at "127.0.0.1", port 5433 failed: Connection refused\n'
                "\tIs the server running on that host and accepting TCP/IP connections?"
            )
        raise psycopg.errors.InsufficientPrivilege("permission denied for table daily_reports")

    monkeypatch.setattr(postgres, "wait_for_database", lambda dsn, timeout: None)
    monkeypatch.setattr(postgres, "migrate", lambda dsn: [])
    if where == "connect":
        monkeypatch.setattr(psycopg, "connect", refused)
    else:
        monkeypatch.setattr(psycopg, "connect", lambda dsn: contextlib.nullcontext(object()))
        monkeypatch.setattr(reports, "served", refused)
    assert main(["report", "--date", "2001-02-03"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("payeeflow: error: report of 2001-02-03: PostgreSQL: ")
    assert err.count("\n") == 1
    assert ("Connection refused" if where == "connect" else "permission denied") in err
