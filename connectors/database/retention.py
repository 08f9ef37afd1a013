"""``payeeflow retention``: deletes what is older than its settings, a little at a time, so the
sink's flushes never wait behind it.

What goes, each kind after its own ``PAYEEFLOW_RETENTION_*_DAYS`` (docs/operations.md#retention):
a finished batch's per-payee results (``batch_payees``; its counts stay on its manifest,
``batchcounts``), later its manifest; dead letters replayed, or failed long ago; the name-change log
the sink did not forget; the scheduled jobs' old runs; the audit log; ended uploads. Never a payee.

How: each kind is walked in the order of an index (``Target.key``; the name-change log, which has
none by time, in its order on disk: see ``NAME_CHANGES``), one chunk of at most
``retention_chunk_rows`` rows a transaction::

    DELETE FROM t WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM t WHERE <old> AND key >= <last key deleted> ORDER BY key LIMIT n
        FOR UPDATE SKIP LOCKED))

A row the sink holds is skipped (the next run takes it), so retention never waits for the sink,
and the sink waits at most one chunk for retention's row locks: chunks are short (the session's
``lock_timeout`` and ``statement_timeout`` bound them) and a pause between them lets the sink's
flushes through. Going on from the last key deleted, a chunk never walks again over the index
entries of the rows the chunks before it deleted. A second run at once finds the advisory lock
taken and does nothing; a run killed loses at most its open chunk, rolled back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg

from payeeflow.config import Settings
from payeeflow.connectors.database.batchcounts import MEMBER_COUNTS, finished
from payeeflow.errors import first_line

log = logging.getLogger(__name__)

LOCK = 714251  # the advisory lock of a run (migrate() takes 714250)
APPLICATION = "payeeflow-retention"  # its connection's name in pg_stat_activity
ATTEMPTS = 5  # tries of one chunk the database refused (a lock not had in time, a timeout)
TABLES = (
    "batch_payees",
    "batches",
    "dead_letters",
    "payee_name_changes",
    "job_runs",
    "audit_log",
    "uploads",
)


@dataclass(frozen=True)
class Cutoffs:
    """The moment before which each kind of row goes (named as the targets' SQL names them)."""

    batch_results: datetime  # a finished batch's members, by its manifest's finished_at
    batches: datetime  # its manifest, once the members are gone
    dead_letters: datetime  # by failed_at
    replayed_dead_letters: datetime  # by replayed_at
    name_changes: datetime
    job_runs: datetime
    audit_log: datetime
    uploads: datetime


def cutoffs(settings: Settings, now: datetime) -> Cutoffs:
    """Each kind's cut-off: ``now`` (the database's clock, which stamped the rows) less its days."""

    def ago(days: int) -> datetime:
        return now - timedelta(days=days)

    return Cutoffs(
        batch_results=ago(settings.retention_batch_results_days),
        batches=ago(settings.retention_batches_days),
        dead_letters=ago(settings.retention_dead_letters_days),
        replayed_dead_letters=ago(settings.retention_replayed_dead_letters_days),
        name_changes=ago(settings.retention_name_changes_days),
        job_runs=ago(settings.retention_job_runs_days),
        audit_log=ago(settings.retention_audit_days),
        uploads=ago(settings.retention_uploads_days),
    )


@dataclass(frozen=True)
class Target:
    """Rows of ``table`` (as ``alias``) where ``where`` holds, deleted in the order of ``key``:
    (column, SQL type) pairs an index gives, walked from ``start``. ``ordered`` False: the key is
    ``ctid``, in the physical order a TID range scan reads, which an ORDER BY would sort again.
    ``planned``: the rows a run would delete, as a dry run counts them before the batches a run
    would close are closed (empty: ``where``)."""

    table: str
    alias: str
    where: str
    key: tuple[tuple[str, str], ...]
    start: tuple[object, ...]
    ordered: bool = True
    planned: str = ""

    @property
    def statement(self) -> str:
        """One chunk: at most ``%(limit)s`` rows from the key ``%(after0)s…`` on; answers how
        many went and the last key deleted (no row when none did)."""
        cols = ", ".join(column for column, _ in self.key)
        after = ", ".join(f"%(after{i})s::{kind}" for i, (_, kind) in enumerate(self.key))
        last = ", ".join(f"{column} DESC" for column, _ in self.key)
        return f"""
WITH gone AS (
  DELETE FROM {self.table} WHERE ctid = ANY(ARRAY(
    SELECT ctid FROM {self.table} {self.alias}
     WHERE ({self.where}) AND ({cols}) >= ({after})
     {f"ORDER BY {cols}" if self.ordered else ""} LIMIT %(limit)s FOR UPDATE SKIP LOCKED))
  RETURNING {cols})
SELECT count(*) OVER (), {cols} FROM gone ORDER BY {last} LIMIT 1"""


def after(key: tuple[object, ...]) -> dict[str, object]:
    """A key as a ``Target.statement``'s parameters."""
    return {f"after{i}": value for i, value in enumerate(key)}


# A batch finished long enough ago (batchcounts.finished). Closing it keeps its counts on it.
CLOSABLE = f"b.results_deleted_at IS NULL AND b.finished_at < %(batch_results)s AND {finished()}"
TO_CLOSE = f"SELECT b.batch_id FROM batches b WHERE {CLOSABLE} ORDER BY b.finished_at, b.batch_id"
CLOSE = f"""
UPDATE batches SET final_counts = ({MEMBER_COUNTS}), results_deleted_at = now()
 WHERE batch_id = %(id)s AND results_deleted_at IS NULL
"""
CLOSED = """
SELECT b.batch_id FROM batches b
 WHERE b.results_deleted_at IS NOT NULL AND EXISTS (SELECT FROM batch_payees m WHERE m.batch_id = b.batch_id)
 ORDER BY b.batch_id
"""
MEMBERS = Target("batch_payees", "m", "m.batch_id = %(batch)s", (("payee_id", "text"),), ("",))
EARLIEST = ("-infinity", 0)


def old_letters(kept: str) -> str:
    """Dead letters failed before their cut-off, but none of a batch ``b`` where ``kept`` holds."""
    return (
        "d.failed_at < %(dead_letters)s AND NOT EXISTS"
        f" (SELECT FROM batches b WHERE b.batch_id = d.batch_id AND {kept})"
    )


# The name-change log has no index by time (the sink's inserts would pay for one): it is walked in
# its order on disk, by ctid. That is oldest first only until vacuum frees the space of the rows
# the sink deletes (each after 5 minutes) and new changes reuse it; from then on young rows sit
# among old ones. Each chunk still takes only rows logged before the cut-off, and a run's chunks
# read the table once from its start to its end, so every old row not held by someone goes, only
# not oldest first: a run stopped half-way leaves old rows to the next, not always the youngest.
NAME_CHANGES = Target(
    "payee_name_changes",
    "c",
    "c.changed_at < %(name_changes)s",
    (("ctid", "tid"),),
    ("(0,0)",),
    ordered=False,
)
TARGETS = (
    Target(
        "batches",
        "b",
        "b.finished_at < %(batches)s AND b.results_deleted_at IS NOT NULL"
        " AND NOT EXISTS (SELECT FROM batch_payees m WHERE m.batch_id = b.batch_id)",
        (("batch_id", "text"),),
        ("",),
    ),
    Target(
        "dead_letters",
        "d",
        "d.replayed_at < %(replayed_dead_letters)s",
        (("replayed_at", "timestamptz"), ("id", "bigint")),
        EARLIEST,
    ),
    # A batch's letters stay while it keeps its results, whatever its age (a batch not finished
    # keeps them all): its export gives each one's reason, and closing it counts them by reason.
    # A dry run counts those of the batches the run would close first as gone.
    Target(
        "dead_letters",
        "d",
        old_letters("b.results_deleted_at IS NULL"),
        (("failed_at", "timestamptz"), ("id", "bigint")),
        EARLIEST,
        planned=old_letters(f"b.results_deleted_at IS NULL AND NOT ({CLOSABLE})"),
    ),
    NAME_CHANGES,
    Target(  # each job's last run of each outcome stays: the sink's gauges show it
        "job_runs",
        "j",
        "j.finished_at < %(job_runs)s AND EXISTS (SELECT FROM job_runs n WHERE n.job = j.job"
        " AND n.outcome = j.outcome AND n.finished_at > j.finished_at)",
        (("run_id", "bigint"),),
        (0,),
    ),
    Target("audit_log", "a", "a.at < %(audit_log)s", (("at", "timestamptz"),), ("-infinity",)),
    Target(
        "uploads",
        "u",
        "coalesce(u.ingested_at, u.alive_at) < %(uploads)s",
        (("batch_id", "text"),),
        ("",),
    ),
)
# --dry-run: the members of the batches closed or to close, and the manifests that would go after
WOULD_CLOSE = f"SELECT count(*) FROM batches b WHERE {CLOSABLE}"
WOULD_DELETE_MEMBERS = f"""
SELECT count(*) FROM batch_payees m JOIN batches b USING (batch_id)
 WHERE b.results_deleted_at IS NOT NULL OR ({CLOSABLE})
"""
WOULD_DELETE_MANIFESTS = f"""
SELECT count(*) FROM batches b
 WHERE b.finished_at < %(batches)s AND (b.results_deleted_at IS NOT NULL OR ({CLOSABLE}))
"""


@dataclass
class Outcome:
    """What a run deleted (or, dry, would delete), by table."""

    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))
    closed: int = 0  # batches whose results were deleted, their counts kept
    transactions: int = 0
    longest: float = 0.0  # seconds: the longest transaction
    seconds: float = 0.0


Counted = Callable[[str, int], None]


class Retention:
    """One run on ``conn`` (autocommit, holding the run's lock): ``plan()`` or ``run()``."""

    def __init__(self, conn: psycopg.Connection[Any], settings: Settings, now: datetime) -> None:
        self.conn = conn
        self.settings = settings
        self.params: dict[str, object] = dict(asdict(cutoffs(settings, now)))
        self.limit = settings.retention_chunk_rows
        self.outcome = Outcome()

    def plan(self) -> Outcome:
        """What a run would delete now, by table, and the batches it would close."""
        self.outcome.closed = self._one(WOULD_CLOSE)
        self.outcome.deleted["batch_payees"] = self._one(WOULD_DELETE_MEMBERS)
        self.outcome.deleted["batches"] = self._one(WOULD_DELETE_MANIFESTS)  # those closed meanwhile too
        for table in TABLES[2:]:  # after the two of the batches, counted above
            kinds = [target for target in TARGETS if target.table == table]
            where = " OR ".join(f"({target.planned or target.where})" for target in kinds)
            self.outcome.deleted[table] = self._one(
                f"SELECT count(*) FROM {table} {kinds[0].alias} WHERE {where}"
            )
        return self.outcome

    def run(self, counted: Counted) -> Outcome:
        """Deletes what is old, telling ``counted`` each chunk's rows as they go."""
        started = time.perf_counter()
        for batch_id in self._ids(TO_CLOSE):
            self._transaction(CLOSE, {"id": batch_id})
            self.outcome.closed += 1
        for batch_id in self._ids(CLOSED):  # closed now, or by a run that ended before their members went
            self._walk(MEMBERS, {"batch": batch_id}, counted)
        for target in TARGETS:
            self._walk(target, {}, counted)
        self.outcome.seconds = time.perf_counter() - started
        return self.outcome

    def _walk(self, target: Target, extra: dict[str, object], counted: Counted) -> None:
        key = target.start
        while True:
            found = self._transaction(
                target.statement, {**self.params, **extra, **after(key), "limit": self.limit}
            )
            if found is None:
                return
            deleted, *rest = found
            key = tuple(rest)
            self.outcome.deleted[target.table] += deleted
            counted(target.table, deleted)
            if deleted < self.limit:  # none left from the key on, but rows locked now (next run's)
                return

    def _transaction(self, statement: str, params: dict[str, object]) -> tuple[Any, ...] | None:
        """``statement`` in a transaction of its own, its first row; a chunk the database
        refused in time is tried again after a pause (at half the size after a timeout)."""
        attempt = 0
        while True:
            attempt += 1
            self._pause()
            began = time.perf_counter()
            try:
                with self.conn.transaction():
                    cursor = self.conn.execute(statement, params)
                    found = cursor.fetchone() if cursor.description else None
            except (psycopg.errors.LockNotAvailable, psycopg.errors.QueryCanceled) as exc:
                if attempt == ATTEMPTS:
                    raise
                if isinstance(exc, psycopg.errors.QueryCanceled) and "limit" in params:
                    self.limit = params["limit"] = max(1, self.limit // 2)
                log.warning("retention gave way (%s), trying again", first_line(exc))
                continue
            finally:
                self.outcome.transactions += 1
                self.outcome.longest = max(self.outcome.longest, time.perf_counter() - began)
            return found

    def _pause(self) -> None:
        if self.outcome.transactions:
            time.sleep(self.settings.retention_pause)

    def _one(self, statement: str) -> Any:
        found = self.conn.execute(statement, self.params).fetchone()
        assert found is not None
        return found[0]

    def _ids(self, statement: str) -> list[str]:
        return [batch_id for (batch_id,) in self.conn.execute(statement, self.params).fetchall()]


def connect(settings: Settings) -> psycopg.Connection[Any]:
    """The run's connection: autocommit (each chunk a transaction of its own), every statement
    bounded by the retention timeouts, named in ``pg_stat_activity``."""
    conn = psycopg.connect(settings.dsn, autocommit=True, application_name=APPLICATION)
    conn.execute(
        "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false)",
        (
            f"{settings.retention_lock_timeout * 1000:.0f}ms",
            f"{settings.retention_statement_timeout * 1000:.0f}ms",
        ),
    )
    return conn


def take_lock(conn: psycopg.Connection[Any]) -> bool:
    """The run's lock, for the session: False when another run holds it."""
    found = conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK,)).fetchone()
    return bool(found and found[0])


def lock_holder(conn: psycopg.Connection[Any]) -> int | None:
    """The backend holding the run's lock, if one still does."""
    found = conn.execute(
        "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = 0 AND objid = %s"
        " AND objsubid = 1 AND granted",
        (LOCK,),
    ).fetchone()
    return int(found[0]) if found else None


def database_now(conn: psycopg.Connection[Any]) -> datetime:
    found = conn.execute("SELECT now()").fetchone()
    assert found is not None
    return found[0]  # type: ignore[no-any-return]
