"""The sink's consumer: the final topics into PostgreSQL, seeking to the offsets stored with the
rows and committing Kafka offsets only after each database commit; outages are waited out."""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from payeeflow.agents.corrections import Correction
from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.connectors.database.gauges import DatabaseGauges
from payeeflow.connectors.database.postgres import migrate, wait_for_database
from payeeflow.connectors.database.sink.store import MAX_BACKOFF, Origin, PostgresSink
from payeeflow.connectors.database.sink.tables import letter_origin
from payeeflow.metrics import DB_RETRIES
from payeeflow.schedules import export_periods
from payeeflow.schemas import codec_for
from payeeflow.streams.deadletters import DeadLetters, dead_letter
from payeeflow.streams.lag import lag_reader
from payeeflow.streams.topics import BATCHES, CORRECTIONS, DLQ, ENRICHED

log = logging.getLogger(__name__)


async def stored_offsets(
    dsn: str, group: str, cluster_id: str, tps: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """Next offsets saved by earlier flushes in this cluster (on a connection of its own)."""
    async with await psycopg.AsyncConnection.connect(dsn) as conn:
        cur = await conn.execute(
            "SELECT topic, partition, next_offset FROM sink_offsets"
            " WHERE consumer_group = %s AND cluster_id = %s",
            (group, cluster_id),
        )
        saved = {TopicPartition(t, p): o for t, p, o in await cur.fetchall()}
    return {tp: saved[tp] for tp in tps if tp in saved}


async def kafka_cluster_id(settings: Settings) -> str:
    """The cluster's id: offsets stored outside Kafka belong to one cluster."""
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        return str((await admin.describe_cluster())["cluster_id"])
    finally:
        await admin.close()


class SinkRunner:
    """Consumes the final topics into PostgreSQL, committing offsets after each DB commit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        read = (ENRICHED, DLQ, BATCHES, CORRECTIONS)
        self.topics = {settings.topic(name): name for name in read}
        self.codecs = {name: codec_for(name, settings) for name in read}
        self._stopping = asyncio.Event()
        self._deadletters: DeadLetters | None = None

    def stop(self) -> None:
        self._stopping.set()

    async def _publish(self, letter: dict[str, Any]) -> None:
        """A dead letter the table already holds, on the topic too; a broker error must not stop
        the sink (the table is the record of truth)."""
        assert self._deadletters is not None
        try:
            await self._deadletters.send(letter)
        except KafkaError as exc:
            log.warning("dead letter not published on the topic: %s", exc, extra=letter_origin(letter))

    async def run(self) -> None:
        settings = self.settings
        await asyncio.to_thread(wait_for_database, settings.dsn, None)
        await asyncio.to_thread(migrate, settings.dsn)
        consumer = AIOKafkaConsumer(
            **client_options(settings),
            group_id=settings.group("sink"),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            session_timeout_ms=int(settings.session_timeout * 1000),
            heartbeat_interval_ms=int(settings.session_timeout * 1000 / 3),
            group_instance_id=settings.group_instance_id,
        )
        producer = AIOKafkaProducer(**client_options(settings), acks="all")
        self._deadletters = DeadLetters(
            settings, lambda t, k, v, h: producer.send_and_wait(t, v, key=k, headers=h)
        )
        cluster_id = await kafka_cluster_id(settings)
        sink = PostgresSink(
            await psycopg.AsyncConnection.connect(settings.dsn),
            settings.group("sink"),
            cluster_id,
            self._publish,
        )
        consumer.subscribe(
            list(self.topics), listener=_SeekToStored(consumer, settings.dsn, sink.group, cluster_id)
        )
        await consumer.start()
        await producer.start()
        log.info("sink started", extra={"topic": ",".join(self.topics)})
        # every group's lag, and the database's gauges: each on its own, neither ever ends the sink
        export_periods(settings)  # how often each scheduled job should succeed, for its alert
        watchers = [
            asyncio.create_task(lag_reader(settings).run(settings.lag_interval)),
            asyncio.create_task(DatabaseGauges(settings.dsn).run(settings.gauges_interval)),
        ]
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=settings.sink_batch_size)
                if not batches:
                    continue
                for tp, messages in batches.items():
                    for message in messages:
                        await self._add(sink, tp, message)
                offsets = {tp: msgs[-1].offset + 1 for tp, msgs in batches.items()}
                await self._flush(sink, offsets)
                try:
                    await consumer.commit(offsets)
                except KafkaError as exc:  # the database holds the truth; Kafka's is for lag
                    log.warning("offset commit to Kafka failed: %s", exc)
        finally:
            for watcher in watchers:
                watcher.cancel()
            await asyncio.gather(*watchers, return_exceptions=True)
            await consumer.stop()
            await producer.stop()
            await sink.conn.close()

    async def _flush(self, sink: PostgresSink, offsets: dict[TopicPartition, int]) -> None:
        """Flush until it commits: an outage is waited out with backoff, never fatal."""
        delay = 0.5
        while True:
            try:
                await sink.flush(offsets)
                return
            except psycopg.Error as exc:  # an outage, or a dead letter refused even escaped
                DB_RETRIES.inc()
                wait = min(delay, MAX_BACKOFF) * random.uniform(0.5, 1.5)
                log.warning(
                    "database flush failed (%s), retrying the same batch in %.1fs",
                    f"{exc.sqlstate or type(exc).__name__}: {str(exc).strip()[:200]}",
                    wait,
                )
                await asyncio.sleep(wait)
                delay *= 2
                if sink.conn.closed or sink.conn.broken:
                    try:
                        sink.conn = await psycopg.AsyncConnection.connect(
                            self.settings.dsn, connect_timeout=5
                        )
                    except psycopg.Error as reconnect:
                        log.warning("database still unavailable: %s", str(reconnect).strip()[:200])

    async def _add(self, sink: PostgresSink, tp: TopicPartition, message: Any) -> None:
        name = self.topics[tp.topic]
        origin = Origin(tp.topic, tp.partition, message.offset, message.key, message.value)
        if name == CORRECTIONS and message.value is None and message.key is not None:
            sink.add_correction(message.key.decode("utf-8", "replace"), origin)  # withdrawn
            return
        try:
            record = await self.codecs[name].decode_waiting(message.value)
            correction = Correction.from_record(record) if name == CORRECTIONS else None
        except Exception as exc:  # undecodable: never lost, never stops the sink
            letter = dead_letter(
                "sink", exc, tp.topic, tp.partition, message.offset, message.key, message.value, None
            )
            sink.add_dead_letter(letter, origin)
            if name != DLQ:  # the topic carries it too; the table keeps it once
                await self._publish(letter)
            return
        if correction is not None:
            sink.add_correction(correction, origin)
        elif name == ENRICHED:
            sink.add_payee(record, origin)
        elif name == DLQ:
            sink.add_dead_letter(record, origin)
        else:
            sink.add_batch(record, origin)


class _SeekToStored(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, continue from the offsets the database holds, not Kafka's."""

    def __init__(self, consumer: AIOKafkaConsumer, dsn: str, group: str, cluster_id: str) -> None:
        self.consumer = consumer
        self.dsn = dsn
        self.group = group
        self.cluster_id = cluster_id

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        delay = 0.5
        while True:  # the stored offsets are the truth: wait for the database rather than guess
            try:
                stored = await stored_offsets(self.dsn, self.group, self.cluster_id, list(assigned))
                break
            except psycopg.OperationalError as exc:
                log.warning("reading stored offsets failed, retrying: %s", str(exc).strip()[:200])
                await asyncio.sleep(min(delay, MAX_BACKOFF) * random.uniform(0.5, 1.5))
                delay *= 2
        for tp, offset in stored.items():
            self.consumer.seek(tp, offset)
