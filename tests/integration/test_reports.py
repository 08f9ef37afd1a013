"""The daily report and the database's gauges on the real test database: the rows of a day become
the report's figures, through the command and the API (JSON and CSV); a stored report is served as
it was kept; the sink exports the review backlog, open batches and the scheduled jobs' last runs.

The rows are stamped in 2001, which no other test writes, and deleted at the end of the module.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families
from psycopg.types.json import Jsonb

from payeeflow.config import Settings
from payeeflow.connectors.database.jobruns import Run, record
from tests.integration.conftest import Services, api, free_port, query, settings_env, wait_until

pytestmark = pytest.mark.integration

DAY = date(2001, 2, 3)
STORED_DAY = date(2001, 2, 10)
REVIEWED_AT = datetime(2001, 2, 3, 10, 6, tzinfo=UTC)  # the oldest payee needing review
LLM_REASON = "llm: a person (offline: UNKNOWN 0.5)"


def at(day: date, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, micro, tzinfo=UTC)


class Rows:
    """Rows written straight into the tables, as the sink would have, with ids of this module's own."""

    def __init__(self, conn: psycopg.Connection[Any], tag: str) -> None:
        self.conn = conn
        self.tag = tag
        self.payees: list[str] = []
        self.batches: list[str] = []
        self.runs: list[int] = []  # job_runs rows the tests made

    def id(self, name: str) -> str:
        return f"{self.tag}-{name}"

    def batch(self, name: str, started: datetime, total: int, rows: int, rejected: int = 0) -> str:
        batch_id = self.id(name)
        self.batches.append(batch_id)
        self.conn.execute(
            "INSERT INTO batches (batch_id, source, total, rejected, rows, started_at, finished_at)"
            " VALUES (%s, 'it.csv', %s, %s, %s, %s, %s)",
            (batch_id, total, rejected, rows, started, started + timedelta(seconds=1)),
        )
        return batch_id

    def thinned(self, batch_id: str, counts: dict[str, Any]) -> None:
        """As retention leaves a finished batch: its members gone, their counts on its manifest."""
        self.conn.execute(
            "UPDATE batches SET results_deleted_at = now(), final_counts = %s WHERE batch_id = %s",
            (Jsonb(counts), batch_id),
        )

    def member(
        self, batch_id: str, name: str, outcome: str = "stored", at: datetime | None = None, **answers: Any
    ) -> None:
        row = {"payee_type": "BUSINESS", "match_type": "none", "excluded": False, "needs_review": False}
        row |= {"reason": "rule"}
        row = {key: None for key in row} if outcome != "stored" else row | answers
        self.conn.execute(
            "INSERT INTO batch_payees (batch_id, payee_id, outcome, payee_type, match_type, excluded,"
            " needs_review, reason, updated_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (batch_id, self.id(name), outcome, *row.values(), at or datetime.now(UTC)),
        )

    def payee(self, name: str, updated: datetime, **columns: Any) -> None:
        self.payees.append(self.id(name))
        row = {
            "payee_type": "BUSINESS",
            "reason": "rule",
            "match_type": "none",
            "needs_review": False,
            "card_network": None,
            "address_validation": None,
        } | columns
        self.conn.execute(
            "INSERT INTO payees (payee_id, batch_id, source, version, source_ts, name, excluded, payee_type,"
            " confidence, reason, match_type, needs_review, card_network, address_validation, stored_at,"
            " updated_at) VALUES (%s, 'b', 'it', 1, %s, %s, false, %s, 0.9, %s, %s, %s, %s, %s, %s, %s)",
            (
                self.id(name),
                updated,
                f"PAYEE {name.upper()}",
                row["payee_type"],
                row["reason"],
                row["match_type"],
                row["needs_review"],
                Jsonb(row["card_network"]) if row["card_network"] else None,
                Jsonb(row["address_validation"]) if row["address_validation"] else None,
                updated,
                updated,
            ),
        )

    def letter(self, offset: int, stage: str, reason: str, failed: datetime, replayed: bool = False) -> None:
        self.conn.execute(
            'INSERT INTO dead_letters (topic, partition, "offset", stage, reason, error, failed_at,'
            " replayed_at) VALUES (%s, 0, %s, %s, %s, 'it', %s, %s)",
            (self.tag, offset, stage, reason, failed, failed + timedelta(hours=1) if replayed else None),
        )

    def delete(self) -> None:
        for sql, ids in (
            ("DELETE FROM batch_payees WHERE batch_id = ANY(%s)", self.batches),
            ("DELETE FROM batches WHERE batch_id = ANY(%s)", self.batches),
            ("DELETE FROM payees WHERE payee_id = ANY(%s)", self.payees),
            ("DELETE FROM payee_name_changes WHERE payee_id = ANY(%s)", self.payees),
            ("DELETE FROM dead_letters WHERE topic = ANY(%s)", [self.tag]),
            ("DELETE FROM daily_reports WHERE day = ANY(%s)", [DAY, STORED_DAY]),
            ("DELETE FROM job_runs WHERE job = ANY(%s)", [self.id("job")]),
            ("DELETE FROM job_runs WHERE run_id = ANY(%s)", self.runs),
        ):
            self.conn.execute(sql, (ids,))


def card(outcome: str) -> dict[str, Any]:
    return {"outcome": outcome, "matched": outcome == "answered"}


@pytest.fixture(scope="module")
def rows(stack_settings: Settings) -> Iterator[Rows]:
    """DAY's batches, their payees, dead letters and providers' answers, with some just outside it."""
    with psycopg.connect(stack_settings.dsn, autocommit=True) as conn:
        made = Rows(conn, f"it-report-{uuid.uuid4().hex[:8]}")
        first = made.batch("b1", at(DAY, 10), total=3, rows=5, rejected=1)
        last = made.batch("b2", at(DAY, 23, 59, 59, 999_999), total=2, rows=4)
        before = made.batch("b0", at(DAY - timedelta(days=1), 23, 59, 59, 999_999), total=1, rows=1)
        after = made.batch("b3", at(DAY + timedelta(days=1), 0), total=1, rows=1)
        closed = made.batch("b4", at(DAY, 11), total=2, rows=3)
        made.thinned(
            closed,
            {"stored": 1, "dead_lettered": 1, "excluded": 0, "by_payee_type": {"BUSINESS": 1}}
            | {"by_match_type": {"strong": 1}, "dead_letters_by_stage": {}, "dead_letters_by_reason": {}},
        )
        # a member retention has not deleted yet (a run killed after closing b4): counted in b4's kept
        made.member(closed, "p8", match_type="strong", excluded=True, needs_review=True)
        made.member(first, "p1", payee_type="BUSINESS", match_type="exact")
        made.member(first, "p2", payee_type="INDIVIDUAL", needs_review=True, reason=LLM_REASON)
        made.member(first, "p3", "dead_letter")
        made.member(last, "p4", payee_type="GOVERNMENT", match_type="exact", excluded=True)  # p5 pending
        made.member(before, "p0")
        made.member(after, "p6")
        made.payee("p1", at(DAY, 10, 5), card_network=card("answered"), address_validation=card("answered"))
        made.payee(
            "p2",
            REVIEWED_AT,
            payee_type="INDIVIDUAL",
            needs_review=True,
            reason=LLM_REASON,
            card_network=card("over_budget"),
        )
        made.payee("p4", at(DAY, 12), address_validation=card("failed"))
        made.payee("p6", at(DAY + timedelta(days=1), 0, 0, 1), card_network=card("answered"))
        made.payee("p7", at(DAY, 15), card_network=card("failed"))  # written that day, of no batch of it
        made.payee("p8", at(DAY, 11, 5), card_network=card("answered"))
        made.letter(0, "exclusion", "empty_name", at(DAY, 0))
        made.letter(1, "exclusion", "empty_name", at(DAY, 13))
        made.letter(2, "sink", "=cmd|' /C calc'!A0", at(DAY, 14), replayed=True)
        made.letter(3, "exclusion", "empty_name", at(DAY + timedelta(days=1), 0))
        yield made
        made.delete()


def backlog(settings: Settings) -> int:
    return int(query(settings, "SELECT count(*) FROM payees WHERE needs_review")[0][0])


def command(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "payeeflow", "report", *args],
        env={**os.environ, **settings_env(settings)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_days_rows_become_the_reports_figures(stack_settings: Settings, rows: Rows) -> None:
    done = command(stack_settings, "--date", DAY.isoformat())
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["day"] == "2001-02-03" and report["stored"] is False
    assert report["batches"] == {
        "count": 3,
        "payees": 7,
        "rows": 12,
        "rejected_at_source": 1,
        "open": 1,
        "results_deleted": 1,
    }
    assert report["payees"] == {  # b4's from the counts retention kept, not from p8
        "stored": 4,
        "dead_lettered": 2,
        "pending": 1,
        "excluded": 1,
        "needs_review": 1,
        "by_payee_type": {"BUSINESS": 2, "GOVERNMENT": 1, "INDIVIDUAL": 1},
        "by_match_type": {"exact": 2, "none": 1, "strong": 1},
    }
    assert report["dead_letters"] == {
        "total": 3,
        "replayed": 1,
        "by_reason": {"=cmd|' /C calc'!A0": 1, "empty_name": 2},
        "by_stage": {"exclusion": 2, "sink": 1},
    }
    assert report["providers"] == {
        "address_validation": {"answered": 1, "failed": 1},
        "card_network": {"answered": 1, "over_budget": 1},
        "llm": {"adopted": 1},
    }
    review = report["review_backlog"]
    assert review["payees"] == backlog(stack_settings)
    assert datetime.fromisoformat(review["oldest_since"]) == REVIEWED_AT
    generated = datetime.fromisoformat(report["generated_at"])
    assert review["oldest_age_seconds"] == round((generated - REVIEWED_AT).total_seconds(), 1)


def test_the_api_serves_the_report_as_json_and_csv(stack_settings: Settings, rows: Rows) -> None:
    path = f"/reports/daily/{DAY.isoformat()}"
    with api(stack_settings, "read") as client:
        as_json = client.get(path)
        assert as_json.status_code == 200, as_json.text
        assert as_json.headers["content-type"] == "application/json"
        assert as_json.json()["batches"]["count"] == 3

        for as_csv in (
            client.get(path, params={"format": "csv"}),
            client.get(path, headers={"Accept": "text/csv"}),
        ):
            assert as_csv.status_code == 200
            assert as_csv.headers["content-type"].startswith("text/csv")
            assert "report-2001-02-03.csv" in as_csv.headers["content-disposition"]
            lines = list(csv.reader(io.StringIO(as_csv.text)))
            figures = {(section, name): value for _, section, name, value in lines[1:]}
            assert figures["batches", "rows"] == "12"
            assert figures["dead_letters.by_reason", "'=cmd|' /C calc'!A0"] == "1"  # text, not a formula

        for bad in ("2001-02-30", "yesterday", "20010203", "2001-02-03T00:00:00"):
            refused = client.get(f"/reports/daily/{bad}")
            assert refused.status_code == 422, (bad, refused.text)
            assert refused.json()["detail"][0]["loc"] == ["path", "date"]
        document = client.get("/openapi.json").json()
        operation = document["paths"]["/reports/daily/{date}"]["get"]
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    with api(stack_settings, "ingest") as ingest_only:
        assert ingest_only.get(path).status_code == 403


def test_a_stored_report_is_served_as_kept_after_its_rows_are_gone(
    stack_settings: Settings, rows: Rows, tmp_path: Path
) -> None:
    batch = rows.batch("stored", at(STORED_DAY, 9), total=1, rows=1)
    rows.member(batch, "s1")
    rows.letter(10, "matching", "index_missing", at(STORED_DAY, 9, 30))
    out = tmp_path / "report.csv"
    done = command(
        stack_settings, "--date", STORED_DAY.isoformat(), "--store", "--format", "csv", "-o", str(out)
    )
    assert done.returncode == 0, done.stderr
    figures = {(section, name): value for _, section, name, value in list(csv.reader(out.open()))[1:]}
    assert figures["report", "stored"] == "true" and figures["dead_letters", "total"] == "1"
    last_run = (
        "SELECT run_id, counts FROM job_runs WHERE job = 'report' AND outcome = 'ok' ORDER BY run_id DESC"
    )
    run_id, counts = query(stack_settings, last_run)[0]
    rows.runs.append(run_id)
    assert counts["batches"] == 1 and counts["payees"] == 1 and counts["dead_letters"] == 1

    retained = 'DELETE FROM dead_letters WHERE topic = %s AND "offset" = 10 RETURNING id'
    assert query(stack_settings, retained, rows.tag)  # as retention would
    with api(stack_settings, "read") as client:
        served = client.get(f"/reports/daily/{STORED_DAY.isoformat()}").json()
    assert served["stored"] is True
    assert served["dead_letters"] == {
        "total": 1,
        "replayed": 0,
        "by_reason": {"index_missing": 1},
        "by_stage": {"matching": 1},
    }
    assert served["generated_at"] == figures["report", "generated_at"]


def test_the_sink_exports_the_review_backlog_open_batches_and_the_jobs_last_runs(
    settings: Settings, services: Services, rows: Rows
) -> None:
    now = datetime.now(UTC)
    open_batch = rows.batch("open", now - timedelta(hours=1), total=2, rows=2)
    rows.member(open_batch, "o1", at=now - timedelta(minutes=40))  # o2 still pending
    job = rows.id("job")
    record(settings.dsn, Run(job, counts={"deleted": 7}))
    record(settings.dsn, Run(job), RuntimeError("source unreachable"))
    ((succeeded, failed),) = query(
        settings,
        "SELECT max(finished_at) FILTER (WHERE outcome = 'ok'),"
        " max(finished_at) FILTER (WHERE outcome = 'failed') FROM job_runs WHERE job = %s",
        job,
    )
    port = free_port()
    services.start("sink", "sink", "--metrics-port", str(port), env={"PAYEEFLOW_GAUGES_INTERVAL": "0.5"})

    def exported() -> dict[tuple[str, str], float]:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return {}
        found = {
            (sample.name, sample.labels.get("item", "")): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name.startswith(("payeeflow_review", "payeeflow_batch"))
            or sample.labels.get("scheduled_job") == job
        }
        return found if ("payeeflow_job_last_run_items", "deleted") in found else {}

    seen = wait_until(exported, timeout=90)
    assert seen["payeeflow_review_backlog", ""] == backlog(settings)
    assert seen["payeeflow_review_backlog_oldest_seconds", ""] > (now - REVIEWED_AT).total_seconds() - 60
    assert seen["payeeflow_batches_open", ""] >= 1
    assert seen["payeeflow_batch_stalled_seconds", ""] >= 40 * 60
    assert seen["payeeflow_job_last_success_timestamp_seconds", ""] == succeeded.timestamp()
    assert seen["payeeflow_job_last_failure_timestamp_seconds", ""] == failed.timestamp()
    assert seen["payeeflow_job_last_run_items", "deleted"] == 7
