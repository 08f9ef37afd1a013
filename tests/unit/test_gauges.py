"""The database's gauges: their figures from a reading, the series they export, and a reader that
goes on after a failed round."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from prometheus_client import REGISTRY

from payeeflow.connectors.database.gauges import (
    BatchCount,
    CompleteBatches,
    DatabaseGauges,
    JobRun,
    Reading,
    figures,
    since,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def reading(**changes: object) -> Reading:
    base: dict[str, object] = {
        "now": NOW,
        "backlog": 0,
        "oldest_review": None,
        "open_progress": [],
        "runs": [],
    }
    return Reading(**{**base, **changes})  # type: ignore[arg-type]


def sample(name: str, **labels: str) -> float | None:
    return REGISTRY.get_sample_value(name, labels)


def test_backlog_age_is_the_oldest_waiting_payees() -> None:
    shown = figures(reading(backlog=12, oldest_review=NOW - 3 * HOUR))
    assert (shown.backlog, shown.backlog_seconds) == (12, 3 * 3600)
    assert figures(reading()).backlog_seconds == 0  # nothing waiting


def test_a_stall_is_the_open_batch_longest_without_progress() -> None:
    stalled = figures(reading(open_progress=[NOW - timedelta(minutes=5), NOW - timedelta(minutes=45)]))
    assert (stalled.open_batches, stalled.stalled_seconds) == (2, 45 * 60)
    assert (figures(reading()).open_batches, figures(reading()).stalled_seconds) == (0, 0)


def batch(name: str, total: int, done: int, finished: datetime = NOW - HOUR) -> BatchCount:
    return BatchCount(name, total, done >= total, finished, finished + timedelta(minutes=done))


def test_complete_batches_are_remembered_until_their_manifest_leaves_the_window() -> None:
    complete = CompleteBatches()
    counted = [batch("done", 3, 3), batch("open", 3, 1), batch("new", 2, 0, NOW)]
    assert complete.open_progress(counted, NOW - 7 * 24 * HOUR) == [NOW - HOUR + timedelta(minutes=1), NOW]
    assert complete.excluded() == {"ids": ["done"], "totals": [3]}  # not counted next round
    assert complete.open_progress([batch("open", 3, 3)], NOW - 7 * 24 * HOUR) == []
    assert complete.excluded() == {"ids": ["done", "open"], "totals": [3, 3]}
    assert complete.open_progress([], NOW - HOUR / 2) == []  # both finished an hour ago
    assert complete.excluded() == {"ids": [], "totals": []}


def test_a_row_stamped_ahead_of_the_clock_is_no_negative_age() -> None:
    assert since(NOW, NOW + HOUR) == 0
    assert since(NOW, None) == 0


def test_each_jobs_last_success_failure_and_the_counts_of_its_last_success() -> None:
    runs = [
        JobRun("retention", "ok", NOW - 2 * HOUR, {"dead_letters": 40, "batch_payees": 1000}),
        JobRun("retention", "failed", NOW - 26 * HOUR, {"dead_letters": 3}),
        JobRun("suppliers-sync", "failed", NOW - HOUR, {"read": 10}),
    ]
    shown = figures(reading(runs=runs))
    assert shown.last_success == {("retention",): (NOW - 2 * HOUR).timestamp()}
    assert shown.last_failure == {
        ("retention",): (NOW - 26 * HOUR).timestamp(),
        ("suppliers-sync",): (NOW - HOUR).timestamp(),
    }
    # a failed run's counts are not what the job did: only the last success's are shown
    assert shown.last_counts == {("retention", "dead_letters"): 40.0, ("retention", "batch_payees"): 1000.0}


def test_export_sets_the_gauges_and_drops_the_series_of_jobs_gone() -> None:
    gauges = DatabaseGauges("postgresql://unused")
    first = [
        JobRun("unit-a", "ok", NOW, {"deleted": 5}),
        JobRun("unit-b", "failed", NOW - HOUR, {}),
    ]
    gauges.export(
        figures(reading(backlog=7, oldest_review=NOW - HOUR, open_progress=[NOW - HOUR], runs=first))
    )
    assert sample("payeeflow_review_backlog") == 7
    assert sample("payeeflow_review_backlog_oldest_seconds") == 3600
    assert sample("payeeflow_batches_open") == 1
    assert sample("payeeflow_batch_stalled_seconds") == 3600
    assert sample("payeeflow_job_last_success_timestamp_seconds", scheduled_job="unit-a") == NOW.timestamp()
    assert (
        sample("payeeflow_job_last_failure_timestamp_seconds", scheduled_job="unit-b")
        == (NOW - HOUR).timestamp()
    )
    assert sample("payeeflow_job_last_run_items", scheduled_job="unit-a", item="deleted") == 5

    gauges.export(figures(reading(runs=[JobRun("unit-a", "ok", NOW + HOUR, {"kept": 1})])))
    assert sample("payeeflow_job_last_failure_timestamp_seconds", scheduled_job="unit-b") is None
    assert sample("payeeflow_job_last_run_items", scheduled_job="unit-a", item="deleted") is None
    assert sample("payeeflow_job_last_run_items", scheduled_job="unit-a", item="kept") == 1
    assert sample("payeeflow_review_backlog") == 0


class FlakyDatabase(DatabaseGauges):
    """A database that fails its first round, then answers; the test stops it after ``rounds``."""

    def __init__(self, rounds: int) -> None:
        super().__init__("postgresql://unused")
        self.rounds = rounds
        self.reads = 0
        self.closes = 0
        self.done = asyncio.Event()

    async def read(self) -> Reading:
        self.reads += 1
        if self.reads == self.rounds:
            self.done.set()
        if self.reads == 1:
            raise OSError("connection refused")
        return reading(backlog=self.reads)

    async def close(self) -> None:
        self.closes += 1


async def test_a_failed_round_is_tried_again_on_a_new_connection() -> None:
    flaky = FlakyDatabase(rounds=2)
    running = asyncio.create_task(flaky.run(0.001))
    await flaky.done.wait()  # woken once the run waits for its next round: the round exported
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    assert flaky.reads >= 2
    assert sample("payeeflow_review_backlog") == flaky.reads
    assert flaky.closes >= 2  # after the failure (a new connection next round), and at the end
