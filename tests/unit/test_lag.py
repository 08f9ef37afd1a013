"""Consumer lag: messages behind and the oldest unprocessed message's age, from a fake cluster."""

from __future__ import annotations

import asyncio

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from payeeflow.streams.lag import LagReader, age, behind, most_behind

NOW = 1_800_000_000.0
RAW, SCREENED = "t.payees.raw", "t.payees.screened"


class FakeCluster:
    """Groups' committed offsets, log-end offsets and message timestamps (ms) as the test sets them."""

    def __init__(self) -> None:
        self.committed_offsets: dict[str, dict[TopicPartition, int]] = {}
        self.ends: dict[TopicPartition, int] = {}
        self.stamps: dict[tuple[TopicPartition, int], int] = {}
        self.failures = 0
        self.starts = 0
        self.closed = False

    async def start(self) -> None:
        self.starts += 1

    async def close(self) -> None:
        self.closed = True

    async def groups(self) -> list[str]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker down")
        return list(self.committed_offsets)

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        return self.committed_offsets[group]

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {tp: self.ends[tp] for tp in tps}

    async def timestamp(self, tp: TopicPartition, offset: int) -> int | None:
        return self.stamps.get((tp, offset))


def lag(group: str, topic: str, partition: int) -> float | None:
    labels = {"group": group, "topic": topic, "partition": str(partition)}
    return REGISTRY.get_sample_value("payeeflow_consumer_lag", labels)


def lag_seconds(group: str, topic: str) -> float | None:
    return REGISTRY.get_sample_value("payeeflow_consumer_lag_seconds", {"group": group, "topic": topic})


def test_lag_is_end_minus_committed_never_negative() -> None:
    p0, p1 = TopicPartition(RAW, 0), TopicPartition(RAW, 1)
    assert behind({p0: 3, p1: 9}, {p0: 10, p1: 8}) == {p0: 7, p1: 0}
    assert most_behind({p0: 7, p1: 0, TopicPartition(SCREENED, 0): 0}) == {RAW: p0}


def test_age_is_zero_without_a_message_or_from_a_clock_ahead() -> None:
    assert age(NOW, int((NOW - 42.5) * 1000)) == 42.5
    assert age(NOW, None) == 0.0
    assert age(NOW, int((NOW + 5) * 1000)) == 0.0


async def test_gauges_show_lag_per_partition_and_the_oldest_age_on_the_partition_most_behind() -> None:
    cluster = FakeCluster()
    p0, p1, s0 = TopicPartition(RAW, 0), TopicPartition(RAW, 1), TopicPartition(SCREENED, 0)
    cluster.committed_offsets = {"g.exclusion": {p0: 4, p1: 18}, "g.sink": {s0: 5}}
    cluster.ends = {p0: 10, p1: 20, s0: 5}
    cluster.stamps = {(p0, 4): int((NOW - 30) * 1000), (p1, 18): int((NOW - 2) * 1000)}
    reader = LagReader(cluster, [RAW, SCREENED], clock=lambda: NOW)
    await reader.read()
    assert (lag("g.exclusion", RAW, 0), lag("g.exclusion", RAW, 1)) == (6, 2)
    assert lag_seconds("g.exclusion", RAW) == 30.0  # partition 0 is further behind
    assert (lag("g.sink", SCREENED, 0), lag_seconds("g.sink", SCREENED)) == (0, 0.0)  # caught up

    cluster.committed_offsets = {"g.exclusion": {p0: 10, p1: 20}}  # caught up; the sink's group gone
    await reader.read()
    assert (lag("g.exclusion", RAW, 0), lag("g.exclusion", RAW, 1), lag_seconds("g.exclusion", RAW)) == (
        0,
        0,
        0.0,
    )
    assert lag("g.sink", SCREENED, 0) is None and lag_seconds("g.sink", SCREENED) is None


async def test_topics_not_the_deployments_are_left_out() -> None:
    cluster = FakeCluster()
    faust_own = TopicPartition("g.all-__assignor-__leader", 0)
    cluster.committed_offsets = {"g.other": {faust_own: 0}}
    cluster.ends = {faust_own: 3}
    await LagReader(cluster, [RAW], clock=lambda: NOW).read()
    assert lag("g.other", faust_own.topic, 0) is None


async def test_a_failed_round_is_retried_with_fresh_clients_and_never_ends_the_reader() -> None:
    cluster = FakeCluster()
    p0 = TopicPartition(RAW, 0)
    cluster.committed_offsets = {"g.retry": {p0: 1}}
    cluster.ends = {p0: 4}
    cluster.failures = 2
    task = asyncio.create_task(LagReader(cluster, [RAW], clock=lambda: NOW).run(0.01))
    for _ in range(200):
        if lag("g.retry", RAW, 0) is not None:
            break
        await asyncio.sleep(0.01)
    assert not task.done()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert lag("g.retry", RAW, 0) == 3
    assert cluster.starts == 3 and cluster.closed  # one start per failed round, then the good one
