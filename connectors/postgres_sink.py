"""The PostgreSQL sink: final records, dead letters, batch manifests and corrections into their tables.

Contract (as in quix-streams): ``add_*()`` per record, ``flush()`` per checkpoint in one
transaction. The flush also stores the next Kafka offset of every partition it consumed, with the
cluster's id, in the same transaction, and the runner seeks to this cluster's stored offsets when
partitions are assigned ("storing offsets outside Kafka"): each message is written exactly once.
Kafka offsets are committed only after the database commit, for lag monitoring.

Two kinds of database failure, told apart by SQLSTATE class, never by message text:

- **data** (22 data exception, 23 integrity, 54 limit exceeded): one row the database refuses
  must not stop its partition. The failed part of the flush is halved inside savepoints until each
  refused row stands alone; those rows become dead letters (stage ``sink``, reason
  ``db_<SQLSTATE>``, the original message bytes), the rest is written, and the flush commits.
- **anything else** (connection lost, server restarting…): the same flush is retried, with
  exponential backoff and jitter and a fresh connection, until the database is back. The process
  never exits for an outage.

Upserts are keyed by ``payee_id`` and guarded by ``version`` (an older record never overwrites a
newer one, a re-sent one changes nothing; of one version, the one with fewer providers pending
wins: a slow provider's answer); dead letters are unique by the message that failed
(cluster, topic, partition, offset, batch); each batch keeps one outcome per payee it carried
(``batch_payees``). So neither a crash, a replay nor a re-sent record duplicates anything.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from psycopg.types.json import Jsonb

from payeeflow.agents.corrections import Correction
from payeeflow.agents.rows import (
    CLASSIFICATION_COLUMNS,
    ENRICHMENT_COLUMNS,
    MATCH_COLUMNS,
    REVIEW_COLUMNS,
    SCREENING_COLUMNS,
    flat_row,
)
from payeeflow.agents.validation import MAX_ID_LENGTH
from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.connectors.database import is_data_error, migrate, wait_for_database
from payeeflow.connectors.namechanges import Forgetting
from payeeflow.errors import RecordError
from payeeflow.metrics import DB_RETRIES, RECORDS, SINK_LAG_SECONDS
from payeeflow.schemas import codec_for
from payeeflow.streams.deadletters import DeadLetters, dead_letter
from payeeflow.streams.topics import BATCHES, CORRECTIONS, DLQ, ENRICHED

log = logging.getLogger(__name__)
T = TypeVar("T")

PAYEE_COLUMNS = (
    *("payee_id", "batch_id", "source", "version", "source_ts"),
    *("name", "address", "city", "state", "zip", "extra"),
    *SCREENING_COLUMNS,
    *CLASSIFICATION_COLUMNS,
    *MATCH_COLUMNS,
    *ENRICHMENT_COLUMNS,
    *REVIEW_COLUMNS,
    "match_candidates",
    "card_network",
    "address_validation",
)
_COLS = ", ".join(PAYEE_COLUMNS)
_UPDATES = ", ".join(f"{c} = EXCLUDED.{c}" for c in PAYEE_COLUMNS if c != "payee_id")
STAGE_PAYEES = """
CREATE TEMP TABLE IF NOT EXISTS payees_in (LIKE payees INCLUDING DEFAULTS) ON COMMIT DROP;
TRUNCATE payees_in
"""
UPSERT_PAYEES = f"""
INSERT INTO payees ({_COLS})
SELECT DISTINCT ON (payee_id) {_COLS} FROM payees_in
 ORDER BY payee_id, version DESC, cardinality(providers_pending)
ON CONFLICT (payee_id) DO UPDATE SET {_UPDATES}, updated_at = clock_timestamp()
WHERE payees.version < EXCLUDED.version OR (payees.version = EXCLUDED.version
      AND cardinality(EXCLUDED.providers_pending) < cardinality(payees.providers_pending))
"""
# What a batch keeps of each payee it stored: the answers of the latest version it carried.
SNAPSHOT_COLUMNS = (
    *("version", "name", "address", "city", "state", "zip"),
    *SCREENING_COLUMNS,
    *CLASSIFICATION_COLUMNS,
    *MATCH_COLUMNS,
    *ENRICHMENT_COLUMNS,
    *REVIEW_COLUMNS,
)
_SNAPSHOT = ", ".join(SNAPSHOT_COLUMNS)
STORED_MEMBERS = f"""
INSERT INTO batch_payees (batch_id, payee_id, outcome, {_SNAPSHOT})
SELECT DISTINCT ON (batch_id, payee_id) batch_id, payee_id, 'stored', {_SNAPSHOT}
  FROM payees_in ORDER BY batch_id, payee_id, version DESC, cardinality(providers_pending)
ON CONFLICT (batch_id, payee_id) DO UPDATE
   SET outcome = 'stored', {", ".join(f"{c} = EXCLUDED.{c}" for c in SNAPSHOT_COLUMNS)},
       updated_at = clock_timestamp()
 WHERE batch_payees.outcome <> 'stored' OR batch_payees.version < EXCLUDED.version
    OR (batch_payees.version = EXCLUDED.version
        AND cardinality(EXCLUDED.providers_pending) < cardinality(batch_payees.providers_pending))
"""
DEAD_MEMBER = """
INSERT INTO batch_payees (batch_id, payee_id, outcome) VALUES (%s, %s, 'dead_letter')
ON CONFLICT (batch_id, payee_id) DO NOTHING
"""
SAVE_OFFSET = """
INSERT INTO sink_offsets (consumer_group, cluster_id, topic, partition, next_offset)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (consumer_group, cluster_id, topic, partition) DO UPDATE SET next_offset = EXCLUDED.next_offset
"""
INSERT_DEAD_LETTER = """
INSERT INTO dead_letters (cluster_id, topic, partition, "offset", stage, reason, error, payee_id,
                          batch_id, key, payload, failed_at)
VALUES (%(cluster_id)s, %(topic)s, %(partition)s, %(offset)s, %(stage)s, %(reason)s, %(error)s,
        %(payee_id)s, %(batch_id)s, %(key)s, %(payload)s, %(failed_at)s)
ON CONFLICT (cluster_id, topic, partition, "offset", (coalesce(batch_id, ''))) DO NOTHING
"""
UPSERT_BATCH = """
INSERT INTO batches (batch_id, source, total, rejected, rows, started_at, finished_at)
VALUES (%(batch_id)s, %(source)s, %(total)s, %(rejected)s, %(rows)s, %(started_at)s, %(finished_at)s)
ON CONFLICT (batch_id) DO UPDATE SET total = EXCLUDED.total, rejected = EXCLUDED.rejected,
    rows = EXCLUDED.rows, finished_at = EXCLUDED.finished_at
"""
UPSERT_CORRECTION = """
INSERT INTO corrections (payee_id, name, name_key, payee_type, supplier_id, supplier_name, not_supplier,
                         note, reviewer, corrected_at)
VALUES (%(payee_id)s, %(name)s, %(name_key)s, %(payee_type)s, %(supplier_id)s, %(supplier_name)s,
        %(not_supplier)s, %(note)s, %(reviewer)s, %(corrected_at)s)
ON CONFLICT (payee_id) DO UPDATE SET name = EXCLUDED.name, name_key = EXCLUDED.name_key,
    payee_type = EXCLUDED.payee_type, supplier_id = EXCLUDED.supplier_id,
    supplier_name = EXCLUDED.supplier_name, not_supplier = EXCLUDED.not_supplier, note = EXCLUDED.note,
    reviewer = EXCLUDED.reviewer, corrected_at = EXCLUDED.corrected_at
"""
# The payee's stored row takes the reviewer's answer at once (the stages give every later record
# of it, and of its name, the full answer: SIC code, card acceptance and payment method included).
CORRECT_PAYEE = """
UPDATE payees p SET
    payee_type = coalesce(c.payee_type, p.payee_type),
    confidence = CASE WHEN c.payee_type IS NULL THEN p.confidence ELSE 1.0 END,
    reason = CASE WHEN c.payee_type IS NULL THEN p.reason ELSE %(reason)s END,
    sic_code = CASE WHEN c.payee_type = 'INDIVIDUAL' THEN NULL ELSE p.sic_code END,
    sic_description = CASE WHEN c.payee_type = 'INDIVIDUAL' THEN NULL ELSE p.sic_description END,
    supplier_id = CASE WHEN c.not_supplier THEN NULL ELSE coalesce(c.supplier_id, p.supplier_id) END,
    supplier_name = CASE WHEN c.not_supplier THEN NULL WHEN c.supplier_id IS NOT NULL THEN c.supplier_name
                         ELSE p.supplier_name END,
    match_score = CASE WHEN c.not_supplier THEN 0 WHEN c.supplier_id IS NOT NULL THEN 100
                       ELSE p.match_score END,
    match_type = CASE WHEN c.not_supplier THEN 'none' WHEN c.supplier_id IS NOT NULL THEN 'exact'
                      ELSE p.match_type END,
    needs_review = false, review_reason = '', updated_at = clock_timestamp()
FROM corrections c WHERE c.payee_id = %(payee_id)s AND p.payee_id = c.payee_id
"""
WITHDRAW_CORRECTION = "DELETE FROM corrections WHERE payee_id = %s"
MAX_BACKOFF = 5.0  # a retry is one connection attempt: cheap; a long wait after the outage is not


def storable_id(value: str | None) -> str | None:
    """An id a dead letter can be stored and indexed under: no NUL, at most ``MAX_ID_LENGTH``.

    An id too long or holding NUL is cut and given a hash of the whole, so it stays distinct.
    """
    if value is None or (len(value) <= MAX_ID_LENGTH and "\x00" not in value):
        return value
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return value[: MAX_ID_LENGTH - 20].replace("\x00", "\ufffd") + f"…#{digest}"


def storable_letter(letter: dict[str, Any], cluster_id: str) -> dict[str, Any]:
    """A dead letter as the table can hold it, whatever the failed record held."""
    text = {
        key: letter[key].replace("\x00", "\ufffd")[:limit]
        for key, limit in (("stage", 100), ("reason", 100), ("error", 2000), ("topic", 500))
    }
    return {
        **letter,
        **text,
        "cluster_id": cluster_id,
        "payee_id": storable_id(letter.get("payee_id")),
        "batch_id": storable_id(letter.get("batch_id")),
    }


@dataclass(frozen=True)
class Origin:
    """The message a buffered item came from: what a dead letter for it must carry."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


@dataclass(frozen=True)
class Item:
    origin: Origin
    data: Any  # a payee row tuple, a dead letter or a batch manifest


Poisoned = Callable[[dict[str, Any]], Awaitable[None]]


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
        "match_candidates": Jsonb(record["match"]["candidates"]),
        "card_network": Jsonb(card) if (card := record["enrichment"].get("card_network")) else None,
        "address_validation": Jsonb(check)
        if (check := record["enrichment"].get("address_validation"))
        else None,
        **flat_row(record),
    }
    return tuple(row[column] for column in PAYEE_COLUMNS)


class PostgresSink:
    """Buffers rows and writes them in one transaction per ``flush``.

    ``poisoned`` is told of every row the database refused (a dead letter, already in the
    ``dead_letters`` table of this transaction) so the runner can publish it on ``payees.dlq``.
    """

    def __init__(
        self, conn: psycopg.AsyncConnection, group: str, cluster_id: str, poisoned: Poisoned | None = None
    ) -> None:
        self.conn = conn
        self.group = group
        self.cluster_id = cluster_id
        self.poisoned = poisoned
        self.payees: list[Item] = []
        self.dead_letters: list[Item] = []
        self.batches: list[Item] = []
        self.corrections: list[Item] = []  # a Correction, or the payee id of a withdrawn one
        self.forgetting = Forgetting()  # the name changes every API process has read

    def add_payee(self, record: dict[str, Any], origin: Origin) -> None:
        self.payees.append(Item(origin, payee_row(record)))

    def add_dead_letter(self, letter: dict[str, Any], origin: Origin) -> None:
        self.dead_letters.append(Item(origin, storable_letter(letter, self.cluster_id)))

    def add_batch(self, batch: dict[str, Any], origin: Origin) -> None:
        self.batches.append(Item(origin, batch))

    def add_correction(self, correction: Correction | str, origin: Origin) -> None:
        self.corrections.append(Item(origin, correction))

    def __len__(self) -> int:
        return len(self.payees) + len(self.dead_letters) + len(self.batches) + len(self.corrections)

    async def flush(self, offsets: dict[TopicPartition, int]) -> None:
        """Write everything buffered, and ``offsets``, in one transaction.

        On a data error only the refused rows are left out (as dead letters); any other error
        leaves the database unchanged and the buffer intact, so the caller can flush again.
        """
        async with self.conn.transaction(), self.conn.cursor() as cur:
            refused = await self._isolate(cur, self.payees, self._write_payees)
            refused += await self._isolate(cur, self.batches, self._write_batches)
            refused += await self._isolate(cur, self.corrections, self._write_corrections)
            letters = [item.data for item in self.dead_letters]
            for item, exc in refused:
                letters.append(self._refused_letter(item, exc))
            bad_letters = await self._isolate(cur, [Item(_NOWHERE, x) for x in letters], self._write_letters)
            for item, exc in bad_letters:  # cannot happen for a storable letter: say so loudly
                log.error("dead letter not storable (%s)", exc, extra=_where(item.data))
            await cur.executemany(
                SAVE_OFFSET,
                [
                    (self.group, self.cluster_id, tp.topic, tp.partition, offset)
                    for tp, offset in offsets.items()
                ],
            )
            if self.poisoned:
                for letter in letters[len(self.dead_letters) :]:
                    await self.poisoned(letter)
        await self.forgetting.after_commit(self.conn)
        now = datetime.now(UTC)  # committed: count it
        for ts in (item.data[PAYEE_COLUMNS.index("source_ts")] for item in self.payees):
            SINK_LAG_SECONDS.observe((now - ts).total_seconds())
        RECORDS.labels("sink", "ok").inc(
            len(self.payees) - sum(isinstance(i.data, tuple) for i, _ in refused)
        )
        RECORDS.labels("sink", "dead_letter").inc(len(refused))
        self.payees.clear()
        self.dead_letters.clear()
        self.batches.clear()
        self.corrections.clear()

    async def _isolate(
        self,
        cur: psycopg.AsyncCursor[Any],
        items: Sequence[Item],
        write: Callable[[psycopg.AsyncCursor[Any], Sequence[Item]], Awaitable[None]],
    ) -> list[tuple[Item, psycopg.Error]]:
        """Write ``items`` in a savepoint; on a data error, halve until each refused item is alone."""
        if not items:
            return []
        try:
            async with self.conn.transaction():
                await write(cur, items)
            return []
        except psycopg.Error as exc:
            if not is_data_error(exc):
                raise
            if len(items) == 1:
                return [(items[0], exc)]
            middle = len(items) // 2
            return await self._isolate(cur, items[:middle], write) + await self._isolate(
                cur, items[middle:], write
            )

    async def _write_payees(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        await cur.execute(STAGE_PAYEES)
        async with cur.copy(f"COPY payees_in ({_COLS}) FROM STDIN") as copy:
            for item in items:
                await copy.write_row(item.data)
        await cur.execute(UPSERT_PAYEES)
        await cur.execute(STORED_MEMBERS)

    async def _write_batches(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        await cur.executemany(UPSERT_BATCH, [item.data for item in items])

    async def _write_corrections(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        for item in items:  # in order: a correction and its withdrawal may share a flush
            if isinstance(item.data, str):
                await cur.execute(WITHDRAW_CORRECTION, (item.data,))
                continue
            correction = item.data.to_record()
            await cur.execute(UPSERT_CORRECTION, correction)
            await cur.execute(CORRECT_PAYEE, {"payee_id": correction["payee_id"], "reason": item.data.reason})

    async def _write_letters(self, cur: psycopg.AsyncCursor[Any], items: Sequence[Item]) -> None:
        letters = [item.data for item in items]
        await cur.executemany(INSERT_DEAD_LETTER, letters)
        members = [(x["batch_id"], x["payee_id"]) for x in letters if x["batch_id"] and x["payee_id"]]
        if members:
            await cur.executemany(DEAD_MEMBER, members)

    def _refused_letter(self, item: Item, exc: psycopg.Error) -> dict[str, Any]:
        origin = item.origin
        if isinstance(item.data, tuple):
            record = {"payee_id": item.data[0], "batch_id": item.data[1]}
        elif isinstance(item.data, Correction):
            record = {"payee_id": item.data.payee_id, "batch_id": None}
        else:
            record = {"payee_id": None, "batch_id": item.data.get("batch_id")}
        error = RecordError(f"db_{exc.sqlstate or 'client'}", str(exc).strip().splitlines()[0][:500])
        letter = dead_letter(
            "sink", error, origin.topic, origin.partition, origin.offset, origin.key, origin.value, record
        )
        return storable_letter(letter, self.cluster_id)


_NOWHERE = Origin("", 0, 0, None, None)


def _where(letter: dict[str, Any]) -> dict[str, Any]:
    return {k: letter.get(k) for k in ("stage", "reason", "topic", "partition", "offset", "batch_id")}


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
            log.warning("dead letter not published on the topic: %s", exc, extra=_where(letter))

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
            except psycopg.Error as exc:  # not a data error: the flush refused no single row
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
