"""Consumer lag of every payeeflow consumer group, read from Kafka every ``lag_interval`` seconds
into two gauges: messages behind per partition, and the age of the oldest unprocessed message per
topic. The sink runs it, so one process per deployment exports the lag of every group.

Kafka's committed offsets are the groups' own positions (the sink, which keeps its offsets in
PostgreSQL, commits them to Kafka after each database commit too). A failed round keeps the last
figures and is retried at the next: reading lag must never stop the process that runs it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Protocol

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.metrics import CONSUMER_LAG, CONSUMER_LAG_SECONDS, export_series
from payeeflow.streams.topics import ALL, INTERNAL

log = logging.getLogger(__name__)


def behind(
    committed: Mapping[TopicPartition, int], ends: Mapping[TopicPartition, int]
) -> dict[TopicPartition, int]:
    """Messages behind on each partition a group committed on; never negative (an end offset read
    just before the group's commit)."""
    return {tp: max(ends[tp] - offset, 0) for tp, offset in committed.items() if tp in ends}


def most_behind(lag: Mapping[TopicPartition, int]) -> dict[str, TopicPartition]:
    """Each topic's partition furthest behind, for the topics that have any lag."""
    worst: dict[str, TopicPartition] = {}
    for tp, count in lag.items():
        if count > 0 and (tp.topic not in worst or count > lag[worst[tp.topic]]):
            worst[tp.topic] = tp
    return worst


def age(now: float, timestamp_ms: int | None) -> float:
    """Seconds since a message's timestamp; 0 with no message (caught up) or a producer's clock ahead."""
    return 0.0 if timestamp_ms is None else max(now - timestamp_ms / 1000, 0.0)


class LagSource(Protocol):
    """What the reader asks of the cluster (a fake in unit tests)."""

    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def groups(self) -> list[str]: ...
    async def committed(self, group: str) -> dict[TopicPartition, int]: ...
    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]: ...
    async def timestamp(self, tp: TopicPartition, offset: int) -> int | None: ...


class KafkaLag:
    """The cluster's answers: an admin client for the groups and their offsets, and a consumer of
    no group for log-end offsets and the timestamp of one message."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.prefix = settings.group("")  # this deployment's groups (and a test module's) only
        self.admin: AIOKafkaAdminClient | None = None
        self.consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        """Fresh clients: after a failed round, the old ones may be half-connected."""
        await self.close()
        self.admin = AIOKafkaAdminClient(**client_options(self.settings))
        self.consumer = AIOKafkaConsumer(
            **client_options(self.settings),
            enable_auto_commit=False,
            auto_offset_reset="earliest",  # a committed offset past retention: the oldest left
            max_partition_fetch_bytes=64 * 1024,  # one message's timestamp is all it reads
        )
        await self.admin.start()
        await self.consumer.start()

    async def close(self) -> None:
        admin, consumer, self.admin, self.consumer = self.admin, self.consumer, None, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def groups(self) -> list[str]:
        assert self.admin is not None
        listed = await self.admin.list_consumer_groups()
        return sorted(group[0] for group in listed if group[0].startswith(self.prefix))

    async def committed(self, group: str) -> dict[TopicPartition, int]:
        assert self.admin is not None
        offsets = await self.admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        assert self.consumer is not None
        existing = await self.consumer.topics()  # a deleted topic's offsets may outlive it
        tps = [tp for tp in tps if tp.topic in existing]
        return dict(await self.consumer.end_offsets(tps)) if tps else {}

    async def timestamp(self, tp: TopicPartition, offset: int) -> int | None:
        assert self.consumer is not None
        self.consumer.assign([tp])
        self.consumer.seek(tp, offset)
        fetched = await self.consumer.getmany(tp, timeout_ms=5000, max_records=1)
        messages = fetched.get(tp, [])
        return int(messages[0].timestamp) if messages else None


class LagReader:
    """Reads every group's lag from a source into the gauges, round after round."""

    def __init__(self, source: LagSource, topics: Iterable[str], clock: Callable[[], float] = time.time):
        self.source = source
        self.topics = frozenset(topics)  # the deployment's topics, not Faust's own
        self.clock = clock
        self._lag_series: set[tuple[str, ...]] = set()  # exported last round
        self._age_series: set[tuple[str, ...]] = set()

    async def read(self) -> None:
        """One round, computed whole before any gauge changes; the series of groups and partitions
        no longer there are removed."""
        committed: dict[str, dict[TopicPartition, int]] = {}
        for group in await self.source.groups():
            offsets = await self.source.committed(group)
            committed[group] = {tp: o for tp, o in offsets.items() if tp.topic in self.topics}
        ends = await self.source.end_offsets(sorted({tp for c in committed.values() for tp in c}))
        lags: dict[tuple[str, ...], float] = {}
        ages: dict[tuple[str, ...], float] = {}
        for group, offsets in committed.items():
            lag = behind(offsets, ends)
            lags.update({(group, tp.topic, str(tp.partition)): count for tp, count in lag.items()})
            worst = most_behind(lag)
            for topic in {tp.topic for tp in lag}:
                tp = worst.get(topic)
                stamp = await self.source.timestamp(tp, offsets[tp]) if tp is not None else None
                ages[(group, topic)] = age(self.clock(), stamp)
        export_series(CONSUMER_LAG, lags, self._lag_series)
        export_series(CONSUMER_LAG_SECONDS, ages, self._age_series)

    async def run(self, interval: float) -> None:
        """Reads every ``interval`` seconds until cancelled; any failure is logged and retried at
        the next round with fresh clients, since the process running it (the sink) must go on."""
        fresh = True
        try:
            while True:
                try:
                    if fresh:
                        await self.source.start()
                    await self.read()
                    fresh = False
                except Exception as exc:  # a broker error, or anything else: never the sink's end
                    log.warning("consumer lag not read, retrying in %.0fs: %s", interval, exc)
                    fresh = True
                await asyncio.sleep(interval)
        finally:
            await self.source.close()


def lag_reader(settings: Settings) -> LagReader:
    """The reader of this deployment's groups over its own topics."""
    return LagReader(KafkaLag(settings), (settings.topic(name) for name in ALL + INTERNAL))
