"""``payeeflow retention`` on the real test database (one of its own): old and new rows of each
table, a dry run that deletes nothing, a run that deletes only the old and records its counts, a
second that deletes nothing, an old batch's answers from the API afterwards, and a run that finds
another holding the lock, or a row held by someone else."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from pydantic import SecretStr

from payeeflow.config import Settings
from payeeflow.connectors.database.postgres import drop_database, fresh_database
from payeeflow.connectors.database.retention import LOCK, TABLES
from tests.integration.conftest import api

# (ago, what): rows retention must delete ("old") or keep ("new"), with dead letters after 10 days
SEED = """
INSERT INTO batches (batch_id, source, total, rejected, rows, started_at, finished_at) VALUES
  ('old-done', 'a.csv', 3, 1, 4, now() - interval '41 days', now() - interval '40 days'),
  ('old-open', 'b.csv', 5, 0, 5, now() - interval '41 days', now() - interval '40 days'),
  ('mid-done', 'c.csv', 1, 0, 1, now() - interval '21 days', now() - interval '20 days'),
  ('ancient', 'd.csv', 1, 0, 1, now() - interval '401 days', now() - interval '400 days');
INSERT INTO batch_payees (batch_id, payee_id, outcome, payee_type, match_type, excluded) VALUES
  ('old-done', 'p1', 'stored', 'BUSINESS', 'exact', false),
  ('old-done', 'p2', 'stored', 'INDIVIDUAL', 'none', true),
  ('old-done', 'p3', 'dead_letter', NULL, NULL, NULL),
  ('old-open', 'p1', 'stored', 'BUSINESS', 'exact', false),
  ('old-open', 'p4', 'stored', 'BUSINESS', 'exact', false),
  ('old-open', 'p7', 'dead_letter', NULL, NULL, NULL),
  ('mid-done', 'p5', 'dead_letter', NULL, NULL, NULL),
  ('ancient', 'p6', 'stored', 'GOVERNMENT', 'none', false);
INSERT INTO dead_letters (topic, partition, "offset", stage, reason, error, payee_id, batch_id, failed_at,
                          replayed_at) VALUES
  ('payees.raw', 0, 1, 'exclusion', 'old', 'e', 'dl-old', NULL, now() - interval '15 days', NULL),
  ('payees.raw', 0, 2, 'classification', 'name_too_long', 'e', 'p3', 'old-done', now() - interval '40 days',
   NULL),
  ('payees.raw', 0, 3, 'exclusion', 'new', 'e', 'dl-new', NULL, now() - interval '1 day', NULL),
  ('payees.raw', 0, 4, 'exclusion', 'replayed', 'e', 'dl-replayed-old', NULL, now() - interval '9 days',
   now() - interval '8 days'),
  ('payees.raw', 0, 5, 'exclusion', 'replayed', 'e', 'dl-replayed-new', NULL, now() - interval '9 days',
   now() - interval '1 day'),
  ('payees.raw', 0, 6, 'matching', 'kept_for_batch', 'e', 'p5', 'mid-done', now() - interval '20 days', NULL),
  ('payees.raw', 0, 7, 'matching', 'kept_for_open', 'e', 'p7', 'old-open', now() - interval '40 days', NULL);
INSERT INTO payee_name_changes (payee_id, name, changed_at) VALUES
  ('nc-old', 'OLD NAME', now() - interval '2 days'), ('nc-new', 'NEW NAME', now());
INSERT INTO job_runs (job, started_at, finished_at, outcome) VALUES
  ('sync', now() - interval '100 days', now() - interval '100 days', 'ok'),
  ('sync', now() - interval '95 days', now() - interval '95 days', 'ok'),
  ('sync', now() - interval '1 day', now() - interval '1 day', 'ok'),
  ('report', now() - interval '100 days', now() - interval '100 days', 'failed');
INSERT INTO audit_log (at, actor, action) VALUES
  (now() - interval '400 days', 'cli', 'test.old'), (now() - interval '10 days', 'cli', 'test.new');
INSERT INTO uploads (batch_id, key_id, source, bytes, received_at, ingested_at, alive_at, error) VALUES
  ('up-old', 'k', 'a.csv', 1, now() - interval '40 days', now() - interval '40 days',
   now() - interval '40 days', NULL),
  ('up-failed', 'k', 'b.csv', 1, now() - interval '40 days', NULL, now() - interval '40 days', 'unreadable'),
  ('up-live', 'k', 'c.csv', 1, now(), NULL, now(), NULL);
INSERT INTO payees (payee_id, batch_id, source, version, source_ts, name, excluded, payee_type, confidence,
                    reason, match_type, stored_at, updated_at) VALUES
  ('p-old', 'ancient', 'd.csv', 1, now() - interval '400 days', 'ACME INC', false, 'BUSINESS', 0.9, 'r',
   'none', now() - interval '400 days', now() - interval '400 days');
"""
DELETED = {
    "batch_payees": 4,  # old-done's 3 and ancient's 1: old-open (3 of 5) is not finished, mid-done is recent
    "batches": 1,  # ancient's manifest, once its results went
    "dead_letters": 3,  # the one of 15 days, old-done's, the one replayed 8 days ago: not old-open's
    "payee_name_changes": 1,
    "job_runs": 2,  # sync's two old runs; its last, and report's last failure, stay
    "audit_log": 1,
    "uploads": 2,
}
# what each table keeps (its key)
KEPT = {
    "batch_payees": "SELECT batch_id || '/' || payee_id FROM batch_payees",
    "batches": "SELECT batch_id FROM batches",
    "dead_letters": "SELECT payee_id FROM dead_letters",
    "payee_name_changes": "SELECT payee_id FROM payee_name_changes",
    "job_runs": "SELECT job || ' ' || (now()::date - finished_at::date) FROM job_runs"
    "  WHERE job <> 'retention'",
    "audit_log": "SELECT action FROM audit_log WHERE action LIKE 'test.%'",
    "uploads": "SELECT batch_id FROM uploads",
    "payees": "SELECT payee_id FROM payees",
}


@pytest.fixture(scope="module")
def own(stack_settings: Settings) -> Iterator[Settings]:
    """Settings on a database of this module's own: retention deletes whatever is old in it."""
    name = f"retention_{uuid.uuid4().hex[:8]}"
    dsn = fresh_database(stack_settings.dsn, name)
    yield stack_settings.model_copy(update={"database_url": SecretStr(dsn)})
    drop_database(stack_settings.dsn, name)


def retention(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    """``payeeflow retention`` as a CronJob runs it; dead letters kept 10 days, no pause."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.dsn,
        "PAYEEFLOW_RETENTION_DEAD_LETTERS_DAYS": "10",
        "PAYEEFLOW_RETENTION_CHUNK_ROWS": "2",  # several chunks a table
        "PAYEEFLOW_RETENTION_PAUSE": "0",
        "PAYEEFLOW_LOG_JSON": "false",
    }
    done = subprocess.run(
        [sys.executable, "-m", "payeeflow", "retention", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done


def printed(output: str) -> dict[str, int]:
    return {m[1]: int(m[2].replace(",", "")) for m in re.finditer(r"^  (\w+) +([\d,]+)$", output, re.M)}


def kept(settings: Settings) -> dict[str, set[str]]:
    with psycopg.connect(settings.dsn) as conn:
        return {table: {row[0] for row in conn.execute(sql).fetchall()} for table, sql in KEPT.items()}


def last_run(settings: Settings) -> tuple[int, str, dict[str, int]]:
    with psycopg.connect(settings.dsn) as conn:
        found = conn.execute(
            "SELECT count(*) OVER (), outcome, counts FROM job_runs WHERE job = 'retention'"
            " ORDER BY run_id DESC"
        ).fetchone()
    return found if found else (0, "", {})  # type: ignore[return-value]


def test_retention_deletes_only_the_old_records_it_and_a_second_run_deletes_nothing(own: Settings) -> None:
    with psycopg.connect(own.dsn) as conn:
        conn.execute(SEED)
    with api(own) as client:
        before = client.get("/batches/old-done").json()
        open_before = client.get("/batches/old-open").json()
        assert client.get("/batches/old-done/results.csv").status_code == 200
    seeded = kept(own)

    dry = retention(own, "--dry-run")
    assert printed(dry.stdout) == DELETED
    assert kept(own) == seeded and last_run(own)[0] == 0  # nothing deleted, no run recorded

    done = retention(own)
    assert printed(done.stdout) == DELETED
    assert last_run(own) == (1, "ok", DELETED)
    assert kept(own) == {
        "batch_payees": {"old-open/p1", "old-open/p4", "old-open/p7", "mid-done/p5"},
        "batches": {"old-done", "old-open", "mid-done"},
        "dead_letters": {"dl-new", "dl-replayed-new", "p5", "p7"},  # their batches keep their results
        "payee_name_changes": {"nc-new", "p-old"},  # p-old's: logged when the seed stored it
        "job_runs": {"sync 1", "report 100"},  # days ago: each job's last run of each outcome
        "audit_log": {"test.new"},
        "uploads": {"up-live"},
        "payees": {"p-old"},  # never a payee
    }

    with api(own) as client:
        after = client.get("/batches/old-done").json()
        assert after.pop("results_deleted_at") is not None
        assert before.pop("results_deleted_at") is None
        assert after == before  # the counts as they were, dead letters by reason included
        assert (
            after["dead_letters_by_reason"] == {"name_too_long": 1}
            and after["status"] == "complete_with_errors"
        )
        gone = client.get("/batches/old-done/results.csv")
        assert gone.status_code == 410 and "deleted by retention" in gone.json()["detail"]
        assert client.get("/batches/ancient").status_code == 404
        open_after = client.get("/batches/old-open").json()  # not finished: untouched, however old
        assert open_after == open_before and open_after["status"] == "processing"
        assert open_after["dead_letters_by_reason"] == {"kept_for_open": 1}
        assert client.get("/batches/mid-done/results.jsonl").status_code == 200

    again = retention(own)
    assert printed(again.stdout) == dict.fromkeys(TABLES, 0)
    assert last_run(own) == (2, "ok", dict.fromkeys(TABLES, 0))


def test_a_run_killed_after_closing_a_batch_is_finished_by_the_next(own: Settings) -> None:
    with psycopg.connect(own.dsn) as conn:
        conn.execute(
            "INSERT INTO batches (batch_id, source, total, rejected, rows, started_at, finished_at,"
            " results_deleted_at, final_counts) VALUES ('half', 'h.csv', 2, 0, 2, now() - interval '41 days',"
            " now() - interval '40 days', now(), %s)",
            (
                '{"stored": 2, "dead_lettered": 0, "dead_letters_by_stage": {}, "dead_letters_by_reason": {},'
                ' "by_payee_type": {"BUSINESS": 2}, "by_match_type": {"none": 2}, "excluded": 0}',
            ),
        )
        conn.execute(
            "INSERT INTO batch_payees (batch_id, payee_id, outcome, payee_type, match_type, excluded)"
            " VALUES ('half', 'h1', 'stored', 'BUSINESS', 'none', false)"
        )  # the other member went before the kill
    with api(own) as client:
        assert client.get("/batches/half/results.csv").status_code == 410  # never half an export
        assert client.get("/batches/half").json()["stored"] == 2
    assert printed(retention(own).stdout)["batch_payees"] == 1
    assert "half" in kept(own)["batches"]


def test_a_second_run_at_once_says_so_and_does_nothing(own: Settings) -> None:
    with psycopg.connect(own.dsn, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO audit_log (at, actor, action)"
            " VALUES (now() - interval '400 days', 'cli', 'test.held')"
        )
        runs = last_run(own)[0]
        conn.execute("SELECT pg_advisory_lock(%s)", (LOCK,))  # a run going on
        done = retention(own)
        assert "already running" in done.stdout
        assert "test.held" in kept(own)["audit_log"] and last_run(own)[0] == runs
    assert printed(retention(own).stdout)["audit_log"] == 1  # the lock gone with its session


def test_a_row_someone_holds_is_left_to_the_next_run_without_waiting(own: Settings) -> None:
    with psycopg.connect(own.dsn, autocommit=True) as conn:
        conn.execute(
            'INSERT INTO dead_letters (topic, partition, "offset", stage, reason, error, payee_id, failed_at)'
            " VALUES ('payees.raw', 1, 1, 'exclusion', 'old', 'e', 'held-1', now() - interval '40 days')"
        )
    with psycopg.connect(own.dsn) as held:  # the sink's flush, say, holding the row
        held.execute("SELECT 1 FROM dead_letters WHERE payee_id = 'held-1' FOR UPDATE")
        assert printed(retention(own).stdout)["dead_letters"] == 0  # returned while the row is held
    assert printed(retention(own).stdout)["dead_letters"] == 1
