"""The local scheduler: the chart's CronJobs' commands, on the same cron expressions."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
import yaml
from pydantic import ValidationError

from payeeflow.config import Settings
from payeeflow.scheduler import Scheduler
from payeeflow.schedules import ScheduledJob, scheduled_jobs

CHART = Path(__file__).parents[2] / "helm" / "payeeflow"


class FakeProcess:
    def __init__(self) -> None:
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def test_each_job_starts_when_due_and_a_run_still_going_is_not_doubled() -> None:
    clock = Clock(datetime(2026, 12, 6, 23, 59, 30, tzinfo=UTC))
    started: list[tuple[str, datetime]] = []
    processes: list[FakeProcess] = []

    def start(job: ScheduledJob) -> Any:
        started.append((job.name, clock.at))
        processes.append(FakeProcess())
        return processes[-1]

    jobs = [ScheduledJob("nightly", ("retention",), "0 0 * * *"), ScheduledJob("off", ("report",), "")]
    scheduler = Scheduler(jobs, start=cast(Any, start), clock=clock)
    assert scheduler.tick() == 30.0  # seconds to midnight; the job with no schedule is not there
    assert started == []

    clock.at += timedelta(seconds=30)
    scheduler.tick()
    assert started == [("nightly", clock.at)]

    clock.at += timedelta(days=1)  # due again while the first run still runs: skipped
    scheduler.tick()
    assert len(started) == 1

    processes[0].code = 0
    clock.at += timedelta(days=1)
    scheduler.tick()
    assert [name for name, _ in started] == ["nightly", "nightly"]


def test_the_sync_runs_only_where_a_supplier_source_is_configured() -> None:
    jobs = {job.name: job for job in scheduled_jobs(Settings())}
    assert jobs["suppliers-sync"].schedule == ""
    assert "SUPPLIER_SOURCE_URL" in jobs["suppliers-sync"].why_not
    assert jobs["retention"].args == ("retention",) and jobs["report"].args == ("report", "--store")
    configured = Settings(supplier_source_url="postgresql://erp/suppliers")  # type: ignore[arg-type]
    assert {job.name: job for job in scheduled_jobs(configured)}["suppliers-sync"].schedule == "0 2 * * *"


@pytest.mark.parametrize(
    "value", ["0 0 * * * *", "every day", "61 * * * *", "0 0 L * *", "0 0 * * 5#3", "0 0 15W * *"]
)
def test_a_schedule_kubernetes_would_refuse_is_refused_at_start(value: str) -> None:
    with pytest.raises(ValidationError, match="cron"):
        Settings(retention_schedule=value)


def test_the_chart_runs_the_local_schedulers_commands_on_the_same_schedules() -> None:
    """The chart's CronJobs and `payeeflow run`'s scheduler read one expression (the settings'
    defaults are the chart's values) and run one command line."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    configured = Settings(supplier_source_url="postgresql://erp/suppliers")  # type: ignore[arg-type]
    for job in scheduled_jobs(configured):
        cronjob = values["scheduledJobs"][job.name]
        assert cronjob["args"] == list(job.args)
        assert values["settings"][cronjob["scheduleSetting"]] == job.schedule


def test_start_job_runs_payeeflow_with_the_jobs_arguments(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(subprocess, "Popen", lambda argv: seen.append(argv))
    from payeeflow.scheduler import start_job

    start_job(ScheduledJob("report", ("report", "--store"), "15 0 * * *"))
    assert seen[0][1:] == ["-m", "payeeflow", "report", "--store"]


def test_a_bad_schedule_in_the_environment_is_one_line_naming_it() -> None:
    env = {**os.environ, "PAYEEFLOW_RETENTION_SCHEDULE": "0 0 * * * *"}
    done = subprocess.run(
        [sys.executable, "-m", "payeeflow", "schedule", "--list"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 2
    assert done.stderr.startswith("payeeflow: error: PAYEEFLOW_RETENTION_SCHEDULE: ")
    assert "Traceback" not in done.stderr


def test_the_sink_exports_the_period_of_each_job_scheduled_here() -> None:
    from prometheus_client import REGISTRY

    from payeeflow.schedules import export_periods

    weekly = Settings(report_schedule="0 6 * * 1", retention_schedule="")  # the sync: no source
    export_periods(weekly, now=datetime(2026, 12, 6, tzinfo=UTC))
    period = REGISTRY.get_sample_value("payeeflow_job_period_seconds", {"scheduled_job": "report"})
    assert period == 7 * 86400
    assert (
        REGISTRY.get_sample_value("payeeflow_job_period_seconds", {"scheduled_job": "suppliers-sync"}) is None
    )


@pytest.mark.parametrize("value", ["@daily", "0 6 * * MON-FRI", "0 0 1 JUL *", "*/15 * * * *", ""])
def test_what_kubernetes_takes_is_taken(value: str) -> None:
    assert Settings(retention_schedule=value).retention_schedule == value
