"""Gauges only the database can tell, read by the sink every ``gauges_interval`` seconds on a
connection of their own: the review backlog and the age of its oldest payee, the batches still open
and how long the least recently progressing one has gone without progress, and the last run of
each scheduled job (``job_runs``: a CronJob's pod is gone before Prometheus could scrape it).

A batch is open once its manifest is stored (ingest sends it last, with ``total``) while fewer of
its payees than ``total`` are stored or dead-lettered (``batch_payees``, what ``GET /batches/{id}``
counts as ``pending``); it progresses when one of them is, its last progress being its newest
``batch_payees.updated_at`` or, before any, its manifest's ``finished_at``. Only manifests of the last
``OPEN_WITHIN`` are looked at (retention keeps a finished batch's members longer, or the batch would
look open again), and a batch found complete is not counted again while its total stays: a round
counts the open batches' members and the new ones', not a week's (with a week of 40,000 payees a
day, 1.2 million payees and 24,000 of them needing review: 0.5 s the first round, 20 ms the next).

Ages are measured on the database's clock, the one that stamped the rows. A failed round keeps the
last figures and is tried again at the next on a new connection: the sink must go on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import psycopg
from prometheus_client import Gauge
from psycopg.rows import dict_row

from payeeflow.connectors.database.batchcounts import BACKLOG, finished
from payeeflow.connectors.database.jobruns import LAST_RUNS
from payeeflow.metrics import (
    BATCH_STALLED_SECONDS,
    BATCHES_OPEN,
    JOB_LAST_FAILURE,
    JOB_LAST_ITEMS,
    JOB_LAST_SUCCESS,
    REVIEW_BACKLOG,
    REVIEW_BACKLOG_SECONDS,
    export_series,
)

log = logging.getLogger(__name__)
OPEN_WITHIN = timedelta(days=7)

REVIEW = f"SELECT now() AS now, r.backlog, r.oldest_review FROM ({BACKLOG}) r"
# The batches of the window not known complete, whether they are now, and their last progress.
BATCHES = f"""
SELECT b.batch_id, b.total, b.finished_at, {finished("m.done")} AS complete,
       greatest(b.finished_at, m.last) AS progressed
  FROM batches b
 CROSS JOIN LATERAL (SELECT count(*) AS done, max(updated_at) AS last
                       FROM batch_payees WHERE batch_id = b.batch_id) m
 WHERE b.finished_at > now() - %(within)s
   AND NOT EXISTS (SELECT 1 FROM unnest(%(ids)s::text[], %(totals)s::bigint[]) AS k (id, total)
                    WHERE k.id = b.batch_id AND k.total = b.total)
"""


@dataclass(frozen=True)
class BatchCount:
    """A batch of the window as ``BATCHES`` counted it."""

    batch_id: str
    total: int
    complete: bool  # every payee stored or dead-lettered (batchcounts.finished)
    finished_at: datetime  # its manifest's
    progressed: datetime


class CompleteBatches:
    """The batches of the window found complete, by id, with their total and manifest's end: their
    payees are not counted again unless their total changes (a manifest sent again)."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[int, datetime]] = {}

    def excluded(self) -> dict[str, list[Any]]:
        """``BATCHES``' parameters naming them."""
        return {"ids": list(self.known), "totals": [total for total, _ in self.known.values()]}

    def open_progress(self, counted: list[BatchCount], window_start: datetime) -> list[datetime]:
        """The last progress of each open batch ``counted``; the complete ones are remembered, and
        those whose manifest has left the window forgotten."""
        self.known = {key: known for key, known in self.known.items() if known[1] > window_start}
        progress = []
        for batch in counted:
            if batch.complete:
                self.known[batch.batch_id] = (batch.total, batch.finished_at)
            else:
                progress.append(batch.progressed)
        return progress


@dataclass(frozen=True)
class JobRun:
    """A job's last run of one outcome (a row of ``jobruns.LAST_RUNS``)."""

    job: str
    outcome: str  # ok | failed
    finished_at: datetime
    counts: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Reading:
    """One round's answers from the database."""

    now: datetime
    backlog: int
    oldest_review: datetime | None
    open_progress: list[datetime]  # each open batch's last progress
    runs: list[JobRun]


Labels = tuple[str, ...]


@dataclass(frozen=True)
class Figures:
    """What the gauges show for a reading."""

    backlog: int
    backlog_seconds: float
    open_batches: int
    stalled_seconds: float
    last_success: dict[Labels, float]  # (job,) -> Unix time
    last_failure: dict[Labels, float]
    last_counts: dict[Labels, float]  # (scheduled job, item) -> the last ok run's count


def since(now: datetime, then: datetime | None) -> float:
    """Seconds from ``then`` to ``now``; 0 with nothing there (or a row stamped ahead of the clock)."""
    return 0.0 if then is None else max((now - then).total_seconds(), 0.0)


def figures(reading: Reading) -> Figures:
    """The gauges' values for ``reading``."""
    success: dict[Labels, float] = {}
    failure: dict[Labels, float] = {}
    counts: dict[Labels, float] = {}
    for run in reading.runs:
        (success if run.outcome == "ok" else failure)[(run.job,)] = run.finished_at.timestamp()
        if run.outcome == "ok":
            counts.update({(run.job, name): float(count) for name, count in run.counts.items()})
    return Figures(
        backlog=reading.backlog,
        backlog_seconds=since(reading.now, reading.oldest_review),
        open_batches=len(reading.open_progress),
        stalled_seconds=since(reading.now, min(reading.open_progress, default=None)),
        last_success=success,
        last_failure=failure,
        last_counts=counts,
    )


class DatabaseGauges:
    """Reads the database into the gauges, round after round."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.conn: psycopg.AsyncConnection[dict[str, Any]] | None = None
        self._series: dict[Gauge, set[Labels]] = {}  # each labelled gauge's series exported last round
        self.complete = CompleteBatches()

    async def read(self) -> Reading:
        """One round's reading, on this reader's connection (made when there is none)."""
        if self.conn is None or self.conn.closed:
            # autocommit: an idle connection never holds a snapshot back from vacuum
            self.conn = await psycopg.AsyncConnection.connect(
                self.dsn, autocommit=True, connect_timeout=5, row_factory=dict_row
            )
            # PostgreSQL compiled the batches' plan (costed high) with JIT: 280 ms of a 560 ms round
            await self.conn.execute("SET jit = off")
        review = await (await self.conn.execute(REVIEW)).fetchone()
        assert review is not None
        params = {"within": OPEN_WITHIN, **self.complete.excluded()}
        counted = [BatchCount(**row) for row in await (await self.conn.execute(BATCHES, params)).fetchall()]
        runs = await (await self.conn.execute(LAST_RUNS)).fetchall()
        return Reading(
            now=review["now"],
            backlog=review["backlog"],
            oldest_review=review["oldest_review"],
            open_progress=self.complete.open_progress(counted, review["now"] - OPEN_WITHIN),
            runs=[JobRun(r["job"], r["outcome"], r["finished_at"], r["counts"]) for r in runs],
        )

    def export(self, shown: Figures) -> None:
        """Sets every gauge, and removes the job series no longer in ``job_runs``."""
        REVIEW_BACKLOG.set(shown.backlog)
        REVIEW_BACKLOG_SECONDS.set(shown.backlog_seconds)
        BATCHES_OPEN.set(shown.open_batches)
        BATCH_STALLED_SECONDS.set(shown.stalled_seconds)
        self._labelled(JOB_LAST_SUCCESS, shown.last_success)
        self._labelled(JOB_LAST_FAILURE, shown.last_failure)
        self._labelled(JOB_LAST_ITEMS, shown.last_counts)

    def _labelled(self, gauge: Gauge, values: dict[Labels, float]) -> None:
        export_series(gauge, values, self._series.setdefault(gauge, set()))

    async def run(self, interval: float) -> None:
        """Reads every ``interval`` seconds until cancelled; a failed round is logged and tried
        again at the next on a new connection, since the process running it (the sink) must go on."""
        try:
            while True:
                try:
                    self.export(figures(await self.read()))
                except Exception as exc:  # the database away, or anything else: never the sink's end
                    log.warning("database gauges not read, retrying in %.0fs: %s", interval, exc)
                    await self.close()
                await asyncio.sleep(interval)
        finally:
            await self.close()

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            await conn.close()
