"""The scheduled jobs' runs (``job_runs``, migration 022): each run of ``suppliers sync``,
``retention`` and ``report`` leaves a row with its outcome and its counts.

A CronJob's pod ends before Prometheus scrapes it, so the job writes its figures here and the sink
exports the last run of each job (``payeeflow_job_*``); the same row answers "did last night's
sync run?" in SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg

# the last run of each job and outcome, for the sink's gauges
LAST_RUNS = """
SELECT DISTINCT ON (job, outcome) job, outcome, finished_at, counts
FROM job_runs ORDER BY job, outcome, finished_at DESC
"""


@dataclass
class Run:
    """One run being made: what it counted so far (``counts[name] += n``)."""

    job: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, name: str, count: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + count


def record(dsn: str, run: Run, error: BaseException | None = None) -> None:
    """Writes ``run`` as ended, ``ok`` or ``failed`` with the error's first line."""
    message = None if error is None else (str(error).strip().splitlines() or [type(error).__name__])[0]
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "INSERT INTO job_runs (job, started_at, outcome, counts, error) VALUES (%s, %s, %s, %s, %s)",
            (run.job, run.started_at, "ok" if error is None else "failed", json.dumps(run.counts), message),
        )


@contextmanager
def recorded(dsn: str, job: str) -> Iterator[Run]:
    """A run of ``job`` recorded when the block ends, failed if it raised (the error goes on up)."""
    run = Run(job)
    try:
        yield run
    except BaseException as exc:
        record(dsn, run, exc)
        raise
    record(dsn, run)
