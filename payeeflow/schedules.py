"""The scheduled jobs (supplier sync, retention, the daily report): each a ``payeeflow`` command
on the cron expression of its ``*_SCHEDULE`` setting (UTC).

One list read by both places that run them, the chart's CronJobs (whose ``args`` a test checks
against it) and the local scheduler (``payeeflow.scheduler``), and by the sink, which exports each
scheduled job's period so that an alert knows how late a job is (a job not scheduled here, never).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from croniter import croniter

from payeeflow.config import Settings
from payeeflow.metrics import JOB_PERIOD


@dataclass(frozen=True)
class ScheduledJob:
    name: str  # as job_runs, the metrics and the chart's CronJob name it
    args: tuple[str, ...]  # payeeflow's command line
    schedule: str  # cron, UTC; empty: never
    why_not: str = ""  # why it never runs here, when it does not

    def next_after(self, moment: datetime) -> datetime:
        return croniter(self.schedule, moment).get_next(datetime)  # type: ignore[no-any-return]

    def period(self, moment: datetime) -> float:
        """Seconds between its next two runs after ``moment``: how late its last success may be."""
        first = self.next_after(moment)
        return (self.next_after(first) - first).total_seconds()


def scheduled_jobs(settings: Settings) -> list[ScheduledJob]:
    """Every job with its schedule; the sync needs its supplier source configured."""
    if settings.supplier_source == "bigquery":
        source = settings.bigquery_enabled
    else:
        source = settings.supplier_source_url is not None
    return [
        ScheduledJob(
            "suppliers-sync",
            ("suppliers", "sync"),
            settings.supplier_sync_schedule if source else "",
            ""
            if source
            else f"no {settings.supplier_source} source (PAYEEFLOW_SUPPLIER_SOURCE_URL, or BIGQUERY_ENABLED)",
        ),
        ScheduledJob("retention", ("retention",), settings.retention_schedule),
        ScheduledJob("report", ("report", "--store"), settings.report_schedule),
    ]


def export_periods(settings: Settings, now: datetime | None = None) -> None:
    """``payeeflow_job_period_seconds`` of each job scheduled under these settings."""
    moment = now or datetime.now(UTC)
    for job in scheduled_jobs(settings):
        if job.schedule:
            JOB_PERIOD.labels(job.name).set(job.period(moment))
