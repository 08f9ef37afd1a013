"""The PostgreSQL sink: final records, dead letters and batch manifests into their tables.

Contract (as in quix-streams): ``add()`` per record, ``flush()`` per checkpoint in one
transaction. The flush also stores the next Kafka offset of every partition it consumed, with the
cluster's id, in the same transaction, and the runner seeks to this cluster's stored offsets when
partitions are assigned ("storing offsets outside Kafka"): each message is written exactly once.
Kafka offsets are committed only after the database commit, for lag monitoring. A failed flush
aborts the checkpoint and the batch is read again. Upserts are keyed by ``payee_id`` and guarded
by ``version`` (an older record never overwrites a newer one, a re-sent one changes nothing);
dead letters are unique by the message that failed and when. So neither a crash nor a re-sent record
duplicates anything.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from psycopg.types.json import Jsonb

from agents.pipeline import (
    CLASSIFICATION_COLUMNS,
    ENRICHMENT_COLUMNS,
    MATCH_COLUMNS,
    SCREENING_COLUMNS,
    flat_row,
)
from connectors.database import migrate, wait_for_database
from payeeflow.config import Settings
from payeeflow.metrics import RECORDS, SINK_LAG_SECONDS
from schemas import codec_for
from streams.deadletters import DeadLetters, dead_letter
from streams.topics import BATCHES, DLQ, ENRICHED

log = logging.getLogger(__name__)

PAYEE_COLUMNS = (
    *("payee_id", "batch_id", "source", "version", "source_ts"),
    *("name", "address", "city", "state", "zip", "extra"),
    *SCREENING_COLUMNS,
    *CLASSIFICATION_COLUMNS,
    *MATCH_COLUMNS,
    *ENRICHMENT_COLUMNS,
    "providers_pending",
)
_COLS = ", ".join(PAYEE_COLUMNS)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in PAYEE_COLUMNS if c != "payee_id")
UPSERT_PAYEES = f"""
INSERT INTO payees ({_COLS})
SELECT DISTINCT ON (payee_id) {_COLS} FROM payees_in ORDER BY payee_id, version DESC
ON CONFLICT (payee_id) DO UPDATE SET {_UPDATES}, updated_at = clock_timestamp()
WHERE payees.version < EXCLUDED.version
RETURNING batch_id
"""
ADD_PROGRESS = """
INSERT INTO batch_progress (batch_id, stored) VALUES (%s, %s)
ON CONFLICT (batch_id) DO UPDATE SET stored = batch_progress.stored + EXCLUDED.stored,
    updated_at = clock_timestamp()
"""
SAVE_OFFSET = """
INSERT INTO sink_offsets (consumer_group, cluster_id, topic, partition, next_offset)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (consumer_group, cluster_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
"""
INSERT_DEAD_LETTER = """
INSERT INTO dead_letters (topic, partition, "offset", stage, reason, error, payee_id, batch_id,
                          key, payload, failed_at)
VALUES (%(topic)s, %(partition)s, %(offset)s, %(stage)s, %(reason)s, %(error)s, %(payee_id)s,
        %(batch_id)s, %(key)s, %(payload)s, %(failed_at)s)
ON CONFLICT (topic, partition, "offset", failed_at) DO NOTHING
"""
UPSERT_BATCH = """
INSERT INTO batches (batch_id, source, total, rejected, started_at, finished_at)
VALUES (%(batch_id)s, %(source)s, %(total)s, %(rejected)s, %(started_at)s, %(finished_at)s)
ON CONFLICT (batch_id) DO UPDATE SET total = EXCLUDED.total, rejected = EXCLUDED.rejected,
    finished_at = EXCLUDED.finished_at
"""


def payee_row(record: dict[str, Any]) -> tuple[Any, ...]:
    payee = record["payee"]
    row = {
        "payee_id": record["payee_id"],
        "batch_id": record["batch_id"],
        "source": record["source"],
        "version": record["version"],
        "source_ts": record["source_ts"],
        "name": payee["name"],
        "address": payee["address"],
        "city": payee["city"],
        "state": payee["state"],
        "zip": payee["zip"],
        "extra": Jsonb(payee["extra"]),
        "providers_pending": record["enrichment"]["providers_pending"],
        **flat_row(record),
    }
    return tuple(row[column] for column in PAYEE_COLUMNS)


class PostgresSink:
    """Buffers rows and writes them in one transaction per ``flush``."""

    def __init__(self, conn: psycopg.AsyncConnection, group: str, cluster_id: str) -> None:
        self.conn = conn
        self.group = group
        self.cluster_id = cluster_id
        self.payees: list[tuple[Any, ...]] = []
        self.source_ts: list[datetime] = []
        self.dead_letters: list[dict[str, Any]] = []
        self.batches: list[dict[str, Any]] = []

    def add_payee(self, record: dict[str, Any]) -> None:
        self.payees.append(payee_row(record))
        self.source_ts.append(record["source_ts"])

    def add_dead_letter(self, letter: dict[str, Any]) -> None:
        self.dead_letters.append(letter)

    def add_batch(self, batch: dict[str, Any]) -> None:
        self.batches.append(batch)

    def __len__(self) -> int:
        return len(self.payees) + len(self.dead_letters) + len(self.batches)

    async def flush(self, offsets: dict[TopicPartition, int]) -> None:
        """Write everything buffered, and ``offsets``, in one transaction; on error nothing is."""
        try:
            async with self.conn.transaction(), self.conn.cursor() as cur:
                if self.payees:
                    await cur.execute(
                        "CREATE TEMP TABLE payees_in (LIKE payees INCLUDING DEFAULTS) ON COMMIT DROP"
                    )
                    async with cur.copy(f"COPY payees_in ({_COLS}) FROM STDIN") as copy:
                        for row in self.payees:
                            await copy.write_row(row)
                    await cur.execute(UPSERT_PAYEES)
                    changed: dict[str, int] = {}
                    for (batch_id,) in await cur.fetchall():
                        changed[batch_id] = changed.get(batch_id, 0) + 1
                    if changed:
                        await cur.executemany(ADD_PROGRESS, sorted(changed.items()))
                if self.dead_letters:
                    await cur.executemany(INSERT_DEAD_LETTER, self.dead_letters)
                if self.batches:
                    await cur.executemany(UPSERT_BATCH, self.batches)
                await cur.executemany(
                    SAVE_OFFSET,
                    [
                        (self.group, self.cluster_id, tp.topic, tp.partition, offset)
                        for tp, offset in offsets.items()
                    ],
                )
            now = datetime.now(UTC)  # committed: count it
            for ts in self.source_ts:
                SINK_LAG_SECONDS.observe((now - ts).total_seconds())
            RECORDS.labels("sink", "ok").inc(len(self.payees))
        finally:
            self.payees.clear()
            self.source_ts.clear()
            self.dead_letters.clear()
            self.batches.clear()


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


async def kafka_cluster_id(bootstrap: str) -> str:
    """The cluster's id: offsets stored outside Kafka belong to one cluster."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return str((await admin.describe_cluster())["cluster_id"])
    finally:
        await admin.close()


class SinkRunner:
    """Consumes the final topics into PostgreSQL, committing offsets after each DB commit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.topics = {settings.topic(name): name for name in (ENRICHED, DLQ, BATCHES)}
        self.codecs = {name: codec_for(name) for name in (ENRICHED, DLQ, BATCHES)}
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        settings = self.settings
        await asyncio.to_thread(wait_for_database, settings.dsn)
        await asyncio.to_thread(migrate, settings.dsn)
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=settings.group("sink"),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        deadletters = DeadLetters(
            settings.topic(DLQ), lambda t, k, v, h: producer.send_and_wait(t, v, key=k, headers=h)
        )
        conn = await psycopg.AsyncConnection.connect(settings.dsn)
        cluster_id = await kafka_cluster_id(settings.kafka_bootstrap_servers)
        sink = PostgresSink(conn, settings.group("sink"), cluster_id)
        consumer.subscribe(
            list(self.topics), listener=_SeekToStored(consumer, settings.dsn, sink.group, cluster_id)
        )
        await consumer.start()
        await producer.start()
        log.info("sink started", extra={"topic": ",".join(self.topics)})
        try:
            while not self._stopping.is_set():
                batches = await consumer.getmany(timeout_ms=500, max_records=settings.sink_batch_size)
                if not batches:
                    continue
                for tp, messages in batches.items():
                    for message in messages:
                        await self._add(sink, deadletters, tp, message)
                offsets = {tp: msgs[-1].offset + 1 for tp, msgs in batches.items()}
                try:
                    await sink.flush(offsets)
                except psycopg.Error as exc:
                    log.error("database flush failed, re-reading the batch: %s", exc)
                    if conn.closed:
                        conn = await psycopg.AsyncConnection.connect(settings.dsn)
                        sink.conn = conn
                    for tp, messages in batches.items():
                        consumer.seek(tp, messages[0].offset)
                    await asyncio.sleep(1)
                    continue
                try:
                    await consumer.commit(offsets)
                except KafkaError as exc:  # the database holds the truth; Kafka's is for lag
                    log.warning("offset commit to Kafka failed: %s", exc)
        finally:
            await consumer.stop()
            await producer.stop()
            await conn.close()

    async def _add(
        self, sink: PostgresSink, deadletters: DeadLetters, tp: TopicPartition, message: Any
    ) -> None:
        name = self.topics[tp.topic]
        try:
            record = self.codecs[name].decode(message.value)
        except Exception as exc:  # undecodable: never lost, never stops the sink
            letter = dead_letter(
                "sink", exc, tp.topic, tp.partition, message.offset, message.key, message.value, None
            )
            if name == DLQ:  # a broken dead letter goes straight to the table
                sink.add_dead_letter(letter)
            else:
                await deadletters.send(letter)
            return
        if name == ENRICHED:
            sink.add_payee(record)
        elif name == DLQ:
            sink.add_dead_letter(record)
        else:
            sink.add_batch(record)


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
        for tp, offset in (
            await stored_offsets(self.dsn, self.group, self.cluster_id, list(assigned))
        ).items():
            self.consumer.seek(tp, offset)
