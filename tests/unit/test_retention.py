"""Retention's pure parts: each kind's cut-off from its setting, the chunk statements, and how a
run walks a table chunk by chunk and gives way when the database refuses (a fake connection)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import psycopg
import pytest
from pydantic import ValidationError

from payeeflow.cli import main
from payeeflow.config import Settings
from payeeflow.connectors.database import postgres, retention
from payeeflow.connectors.database.retention import (
    MEMBERS,
    TABLES,
    TARGETS,
    Retention,
    Target,
    after,
    cutoffs,
)

NOW = datetime(2026, 12, 6, 3, 30, tzinfo=UTC)


def test_each_kind_goes_after_its_own_days() -> None:
    settings = Settings(
        retention_dead_letters_days=30,
        retention_replayed_dead_letters_days=0,
        retention_batch_results_days=45,
        retention_batches_days=400,
        retention_name_changes_days=2,
        retention_job_runs_days=90,
        retention_audit_days=365,
        retention_uploads_days=10,
    )
    cut = cutoffs(settings, NOW)
    assert cut.dead_letters == NOW - timedelta(days=30)
    assert cut.replayed_dead_letters == NOW  # replayed: gone at the next run
    assert cut.batch_results == NOW - timedelta(days=45)
    assert cut.batches == NOW - timedelta(days=400)
    assert cut.name_changes == NOW - timedelta(days=2)
    assert cut.job_runs == NOW - timedelta(days=90)
    assert cut.audit_log == NOW - timedelta(days=365)
    assert cut.uploads == NOW - timedelta(days=10)


def test_the_defaults_keep_the_audit_log_longest_and_unreplayed_dead_letters_30_days() -> None:
    cut = cutoffs(Settings(), NOW)
    assert cut.dead_letters == NOW - timedelta(days=30)
    assert cut.audit_log == min(vars(cut).values())


@pytest.mark.parametrize("days", [0, 7])
def test_batch_results_are_kept_longer_than_the_week_the_open_batch_gauges_read(days: int) -> None:
    with pytest.raises(ValidationError, match="retention_batch_results_days"):
        Settings(retention_batch_results_days=days)


def test_every_table_retention_counts_has_a_walk_and_the_payees_none() -> None:
    walked = {target.table for target in TARGETS} | {MEMBERS.table}
    assert walked == set(TABLES)
    assert "payees" not in walked


def test_a_chunk_goes_on_from_the_last_key_in_its_index_order_skipping_locked_rows() -> None:
    target = Target(
        "dead_letters",
        "d",
        "d.failed_at < %(dead_letters)s",
        (("failed_at", "timestamptz"), ("id", "bigint")),
        ("-infinity", 0),
    )
    statement = " ".join(target.statement.split())
    assert "(failed_at, id) >= (%(after0)s::timestamptz, %(after1)s::bigint)" in statement
    assert "ORDER BY failed_at, id LIMIT %(limit)s FOR UPDATE SKIP LOCKED" in statement
    assert "DELETE FROM dead_letters WHERE ctid = ANY(ARRAY(" in statement
    assert after(("-infinity", 0)) == {"after0": "-infinity", "after1": 0}


def test_the_name_change_log_is_walked_in_disk_order_which_no_sort_may_undo() -> None:
    [log] = [target for target in TARGETS if target.table == "payee_name_changes"]
    statement = " ".join(log.statement.split())
    assert "(ctid) >= (%(after0)s::tid)" in statement
    assert "ORDER BY ctid" not in statement.split("RETURNING")[0]


class FakeConnection:
    """Answers each statement with the next of ``answers``: a row, None, or an error to raise."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield

    def execute(self, statement: str, params: dict[str, Any]) -> FakeConnection:
        self.calls.append(dict(params))
        self.answer = self.answers.pop(0)
        if isinstance(self.answer, Exception):
            raise self.answer
        self.description = None if self.answer is None else ["row"]
        return self

    def fetchone(self) -> Any:
        return self.answer


def walk(answers: list[Any], chunk_rows: int = 2) -> tuple[FakeConnection, Retention, dict[str, int]]:
    conn = FakeConnection(answers)
    job = Retention(
        cast(psycopg.Connection[Any], conn), Settings(retention_chunk_rows=chunk_rows, retention_pause=0), NOW
    )
    counted: dict[str, int] = {}
    job._walk(TARGETS[-1], {}, lambda table, n: counted.update({table: counted.get(table, 0) + n}))
    return conn, job, counted


def test_a_walk_goes_on_from_each_chunks_last_key_until_a_chunk_is_not_full() -> None:
    conn, job, counted = walk([(2, "up-2"), (2, "up-4"), (1, "up-5")])
    assert [call["after0"] for call in conn.calls] == ["", "up-2", "up-4"]
    assert counted == {"uploads": 5} and job.outcome.deleted["uploads"] == 5
    assert job.outcome.transactions == 3


def test_a_walk_ends_when_a_chunk_finds_nothing() -> None:
    conn, _, counted = walk([(2, "up-2"), None])
    assert len(conn.calls) == 2 and counted == {"uploads": 2}


def test_a_chunk_that_timed_out_is_tried_again_at_half_the_size() -> None:
    canceled = psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
    conn, job, counted = walk([canceled, (1, "up-1")], chunk_rows=4)
    assert [call["limit"] for call in conn.calls] == [4, 2]
    assert job.limit == 2 and counted == {"uploads": 1}


def test_a_refusal_that_says_nothing_gives_way_all_the_same() -> None:
    conn, _, counted = walk([psycopg.errors.LockNotAvailable(), (1, "up-1")])
    assert len(conn.calls) == 2 and counted == {"uploads": 1}


def test_a_lock_not_had_in_time_is_tried_again_and_the_run_fails_after_a_few() -> None:
    refused = psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    conn, _, counted = walk([refused, (1, "up-1")])
    assert len(conn.calls) == 2 and counted == {"uploads": 1}
    with pytest.raises(psycopg.errors.LockNotAvailable):
        walk([refused] * retention.ATTEMPTS)


def test_a_run_the_database_stops_says_why_in_one_line_even_when_it_says_nothing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refused(settings: Settings) -> None:
        raise psycopg.OperationalError()

    monkeypatch.setattr(postgres, "wait_for_database", lambda dsn, timeout: None)
    monkeypatch.setattr(postgres, "migrate", lambda dsn: [])
    monkeypatch.setattr(signal, "signal", lambda signum, handler: None)  # the test's own handler stays
    monkeypatch.setattr(retention, "connect", refused)
    assert main(["retention"]) == 1
    assert capsys.readouterr().err == "payeeflow: retention stopped: OperationalError\n"
