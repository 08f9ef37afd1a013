"""The scheduler that runs the scheduled jobs (``payeeflow.schedules``) locally.

In Kubernetes each job is a CronJob of the chart; locally ``payeeflow run`` starts ``payeeflow
schedule`` under its supervisor, which runs the same commands on the same cron expressions (the
``*_SCHEDULE`` settings, UTC). Like a CronJob with ``concurrencyPolicy: Forbid``, a job still
running when it falls due again is skipped, not doubled; a time missed while the scheduler was down
is not caught up (``payeeflow schedule --list`` prints each job's command, to run it by hand).
Each job records its own run in ``job_runs``; the scheduler only logs the exit status.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from payeeflow.schedules import ScheduledJob

log = logging.getLogger(__name__)

Start = Callable[[ScheduledJob], subprocess.Popen[bytes]]


def start_job(job: ScheduledJob) -> subprocess.Popen[bytes]:
    """``python -m payeeflow ARGS`` with this process's environment (so its settings)."""
    return subprocess.Popen([sys.executable, "-m", "payeeflow", *job.args])


class Scheduler:
    """Starts each job when its cron expression falls due, one run of a job at a time."""

    def __init__(
        self,
        jobs: Sequence[ScheduledJob],
        start: Start = start_job,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.jobs = [job for job in jobs if job.schedule]
        self.start = start
        self.clock = clock
        now = clock()
        self.due = {job.name: job.next_after(now) for job in self.jobs}
        self.running: dict[str, tuple[subprocess.Popen[bytes], float]] = {}

    def tick(self) -> float:
        """Reaps ended runs, starts the jobs due; returns the seconds until the next is due."""
        for name, (process, began) in list(self.running.items()):
            code = process.poll()
            if code is not None:
                del self.running[name]
                outcome = "ended" if code == 0 else f"failed with exit status {code}"
                log.info("scheduled job %s %s after %.0fs", name, outcome, time.monotonic() - began)
        now = self.clock()
        for job in self.jobs:
            if self.due[job.name] > now:
                continue
            self.due[job.name] = job.next_after(now)
            if job.name in self.running:
                log.warning("scheduled job %s is still running: this run is skipped", job.name)
                continue
            log.info("scheduled job %s starting: payeeflow %s", job.name, " ".join(job.args))
            self.running[job.name] = (self.start(job), time.monotonic())
        if not self.due:
            return 3600.0
        return max((min(self.due.values()) - self.clock()).total_seconds(), 0.0)

    def run(self, poll: float = 5.0) -> None:
        """Ticks until SIGTERM or SIGINT, waking at the next due time or every ``poll`` seconds to
        reap; then stops the runs under way (each job is safe to stop at any point and to run again)."""
        stopping: list[int] = []
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda number, frame: stopping.append(number))
        for job in self.jobs:
            log.info(
                "scheduled job %s: %r, next at %s", job.name, job.schedule, self.due[job.name].isoformat()
            )
        while not stopping:
            time.sleep(min(self.tick(), poll))
        for name, (process, _) in self.running.items():
            log.info("stopping scheduled job %s", name)
            process.terminate()
        for process, _ in self.running.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
