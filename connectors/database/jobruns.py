"""The scheduled jobs' runs (``job_runs``, migration 022): each run of ``suppliers sync``,
``retention`` and ``report`` leaves a row with its outcome and its counts.

A CronJob's pod ends before Prometheus scrapes it, so the job writes its figures here and the sink
exports the last run of each job (``payeeflow_job_*``); the same row answers "did last night's
sync run?" in SQL. A run stopped by SIGTERM (a CronJob past its deadline, the local scheduler
stopping) is recorded as failed too, or no alert would tell. Both times come from the database's
clock, as every age the sink exports does.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

import psycopg

from payeeflow.errors import first_line

log = logging.getLogger(__name__)

# the last run of each job and outcome, for the sink's gauges
LAST_RUNS = """
SELECT DISTINCT ON (job, outcome) job, outcome, finished_at, counts
FROM job_runs ORDER BY job, outcome, finished_at DESC
"""


@dataclass
class Run:
    """One run being made: what it counted so far (``counts[name] += n``)."""

    job: str
    counts: dict[str, int] = field(default_factory=dict)
    began: float = field(default_factory=time.monotonic)

    def add(self, name: str, count: int = 1) -> None:
        self.counts[name] = self.counts.get(name, 0) + count


def record(dsn: str, run: Run, error: BaseException | None = None) -> None:
    """Writes ``run`` as ended now, ``ok`` or ``failed`` with the error's first line."""
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        conn.execute(
            "INSERT INTO job_runs (job, started_at, outcome, counts, error)"
            " VALUES (%s, clock_timestamp() - make_interval(secs => %s), %s, %s, %s)",
            (
                run.job,
                time.monotonic() - run.began,
                "ok" if error is None else "failed",
                json.dumps(run.counts),
                None if error is None else first_line(error),
            ),
        )


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(f"stopped by signal {signum} (SIGTERM): what was done stays done, the next run goes on")


@contextmanager
def recorded(dsn: str, job: str) -> Iterator[Run]:
    """A run of ``job`` recorded when the block ends, failed if it raised or was sent SIGTERM (the
    error goes on up: a failure to record it is logged, never raised in its place)."""
    run = Run(job)
    main = threading.current_thread() is threading.main_thread()  # only there can a handler be set
    before = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        yield run
    except BaseException as exc:
        try:
            record(dsn, run, exc)
        except psycopg.Error as unrecorded:
            log.error("the failed run of %s was not recorded: %s", job, first_line(unrecorded))
        raise
    finally:
        if before is not None:
            signal.signal(signal.SIGTERM, before)
    record(dsn, run)
