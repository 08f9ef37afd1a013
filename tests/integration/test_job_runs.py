"""Scheduled jobs' runs in ``job_runs``: a run stopped by SIGTERM is recorded as failed, and a run
that cannot be recorded still fails with its own error."""

from __future__ import annotations

import os
import signal
import uuid

import pytest

from payeeflow.config import Settings
from payeeflow.connectors.database.jobruns import recorded
from tests.integration.conftest import query

pytestmark = pytest.mark.integration


def test_a_run_stopped_by_sigterm_is_recorded_as_failed(settings: Settings) -> None:
    job = f"test-{uuid.uuid4().hex[:8]}"
    with pytest.raises(SystemExit, match="SIGTERM"), recorded(settings.dsn, job) as run:
        run.add("sent", 3)
        os.kill(os.getpid(), signal.SIGTERM)
    ((outcome, counts, error, took),) = query(
        settings,
        "SELECT outcome, counts, error, extract(epoch FROM finished_at - started_at)::float"
        " FROM job_runs WHERE job = %s",
        job,
    )
    assert (outcome, counts) == ("failed", {"sent": 3})
    assert "SIGTERM" in error
    assert took >= 0  # both ends on the database's clock
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # the handler was put back


def test_a_run_that_cannot_be_recorded_fails_with_its_own_error() -> None:
    nowhere = "postgresql://payeeflow@127.0.0.1:1/none?connect_timeout=2"
    with pytest.raises(ValueError, match="the job's own"), recorded(nowhere, "test-unrecorded"):
        raise ValueError("the job's own error")
