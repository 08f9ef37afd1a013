"""Every dead letter delivered or its offset not committed: letters cut to fit the broker, the
stage sender sending refused letters again, the table's refusals stored escaped, and a feed's
records that do not decode dead-lettered."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from aiokafka import TopicPartition
from confluent_kafka import KafkaError

from payeeflow.agents import feeds
from payeeflow.config import Settings
from payeeflow.connectors.database.sink.store import Origin, PostgresSink
from payeeflow.connectors.database.sink.tables import escaped_letter, storable_letter
from payeeflow.errors import DeliveryError, RecordError
from payeeflow.schemas import codec_for
from payeeflow.streams import sender
from payeeflow.streams.deadletters import MESSAGE_OVERHEAD, DeadLetters, dead_letter
from tests.conftest import MOCK_REGISTRY

SETTINGS = Settings(topic_prefix="unit.", schema_registry_url=MOCK_REGISTRY, kafka_max_message_bytes=100_000)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def letter(payload: bytes, key: bytes = b"p-1", payee_id: str = "p-1") -> dict[str, Any]:
    exc = RecordError("field_too_long", "extra columns")
    return {
        **dead_letter("exclusion", exc, "unit.payees.raw", 3, 41, key, payload, None),
        "payee_id": payee_id,
    }


async def sent_letters(*letters: dict[str, Any]) -> list[tuple[bytes | None, bytes]]:
    sent: list[tuple[bytes | None, bytes]] = []

    async def send(topic: str, key: bytes | None, value: bytes, headers: Any) -> None:
        sent.append((key, value))

    deadletters = DeadLetters(SETTINGS, send)
    for one in letters:
        await deadletters.send(one)
    return sent


def test_a_letter_that_fits_goes_whole() -> None:
    [(key, value)] = asyncio.run(sent_letters(letter(b"x" * 50_000)))
    decoded = codec_for("payees.dlq", SETTINGS).decode(value)
    assert key == b"p-1" and decoded["payload"] == b"x" * 50_000
    assert (decoded["payload_size"], decoded["payload_sha256"]) == (None, None)


def test_an_oversize_letter_is_cut_with_the_hash_of_the_whole_and_where_it_came_from() -> None:
    whole = bytes(range(256)) * 1000  # 256 KB, the broker takes 100 KB
    long_id = "P" * 50_000
    [(key, value)] = asyncio.run(sent_letters(letter(whole, key=long_id.encode(), payee_id=long_id)))
    assert len(key or b"") + len(value) <= 100_000 - MESSAGE_OVERHEAD
    decoded = codec_for("payees.dlq", SETTINGS).decode(value)
    assert whole.startswith(decoded["payload"]) and len(decoded["payload"]) > 90_000
    assert decoded["payload_size"] == len(whole)
    assert decoded["payload_sha256"] == hashlib.sha256(whole).hexdigest()
    assert (decoded["topic"], decoded["partition"], decoded["offset"]) == ("unit.payees.raw", 3, 41)
    assert len(decoded["payee_id"]) <= 200 and decoded["key"] == key and len(key or b"") <= 1024


class Librdkafka:
    """librdkafka's producer as ``StageSender`` uses it: the first delivery of a message whose
    key is in ``refuse`` fails (an outage it gave up on); ``flush`` serves the reports."""

    def __init__(self, refuse: set[bytes]) -> None:
        self.refuse = set(refuse)
        self.queued: list[tuple[str, bytes | None, bytes | None, Any, Any]] = []
        self.delivered: list[tuple[str, bytes | None, Any]] = []

    def produce(self, topic: str, value: bytes | None, key: bytes | None, partition: int, **kw: Any) -> None:
        self.queued.append((topic, key, value, kw["headers"], kw["on_delivery"]))

    def flush(self, timeout: float) -> int:
        queued, self.queued = self.queued, []
        for topic, key, value, headers, report in queued:
            if key in self.refuse:
                self.refuse.discard(key)
                report(KafkaError(KafkaError._MSG_TIMED_OUT), Message(topic, key, value, headers))
            else:
                self.delivered.append((topic, key, headers))
                report(None, Message(topic, key, value, headers))
        return 0


class Message:
    def __init__(self, topic: str, key: bytes | None, value: bytes | None, headers: Any) -> None:
        self._fields = (topic, key, value, headers)

    def topic(self) -> str:
        return self._fields[0]

    def key(self) -> bytes | None:
        return self._fields[1]

    def value(self) -> bytes | None:
        return self._fields[2]

    def headers(self) -> Any:
        return self._fields[3]

    def partition(self) -> int:
        return 2


def test_a_dead_letter_the_broker_did_not_take_is_sent_again_before_the_batch_may_commit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = Librdkafka(refuse={b"letter"})
    monkeypatch.setattr(sender, "_producer", lambda settings, linger_ms, **config: fake)
    stage = sender.StageSender(SETTINGS)
    headers = [("stage", b"exclusion"), ("reason", b"empty_name")]
    stage.send("unit.payees.dlq", b"letter", b"v", headers=headers)
    stage.send("unit.payees.screened", b"record", b"v")
    asyncio.run(stage.delivered())  # returns only once both are on the broker
    assert fake.delivered == [
        ("unit.payees.screened", b"record", None),
        ("unit.payees.dlq", b"letter", headers),  # sent again, headers and all
    ]


def test_a_letter_the_table_refuses_is_stored_escaped_and_bounded() -> None:
    odd = "".join(chr(0x1F300 + i) for i in range(600))  # 2,400 bytes: over a B-tree entry
    stored = storable_letter(
        {**letter(b"bytes", payee_id="p\x00é" * 100), "topic": odd, "batch_id": odd, "error": "é\x00" * 3000},
        "cluster-1",
    )
    refused = psycopg.errors.ProgramLimitExceeded("index row size 2856 exceeds btree maximum")
    escaped = escaped_letter(stored, refused)
    texts = [escaped[k] for k in ("stage", "reason", "topic", "error", "payee_id", "batch_id")]
    assert all("\x00" not in text for text in texts)
    assert all(len(text.encode()) <= 260 for text in texts if text is not escaped["error"])
    assert escaped["topic"].startswith("\\U0001f300") and len(escaped["error"]) == 2000
    assert escaped["error"].startswith("stored escaped, refused as it was (db_")
    assert (escaped["payload"], escaped["offset"], escaped["cluster_id"]) == (b"bytes", 41, "cluster-1")


class Consumer:
    """One batch of a compacted topic, then nothing; its position is at the end at once."""

    def __init__(self, messages: list[Any]) -> None:
        self.messages = messages
        self.tp = TopicPartition("unit.suppliers", 0)

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        batch, self.messages = self.messages, []
        if not batch:
            await asyncio.sleep(0.01)
        return {self.tp: batch} if batch else {}

    def assignment(self) -> set[TopicPartition]:
        return {self.tp}

    async def end_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return {self.tp: 3}

    async def position(self, tp: TopicPartition) -> int:
        return 3


class Producer:
    """``AsyncProducer``: each send settles at once; the first is refused when ``refused`` is set."""

    def __init__(self, refused: bool) -> None:
        self.refused = refused
        self.sent: list[tuple[str, bytes | None, bytes | None]] = []

    async def send(
        self, topic: str, value: bytes | None, key: bytes | None = None, headers: Any = None
    ) -> Any:
        self.sent.append((topic, key, value))
        future = asyncio.get_running_loop().create_future()
        if self.refused and len(self.sent) == 1:
            future.set_exception(DeliveryError("refused"))
        else:
            future.set_result(None)
        return future

    async def stop(self) -> None: ...


class Index:
    def __init__(self) -> None:
        self.suppliers: list[str] = []
        self.row_count = 0

    def __len__(self) -> int:
        return len(self.suppliers)

    def upsert(self, supplier: Any) -> None:
        self.suppliers.append(supplier.supplier_id)

    def delete(self, key: str) -> None:
        self.suppliers.remove(key)


class Record:
    def __init__(self, offset: int, key: bytes, value: bytes | None) -> None:
        self.topic, self.partition, self.offset, self.key, self.value = (
            "unit.suppliers",
            0,
            offset,
            key,
            value,
        )


def follow(monkeypatch: pytest.MonkeyPatch, refused: bool) -> tuple[feeds.SupplierFeed, Producer, Index]:
    supplier = {
        **dict.fromkeys(("address", "city", "state", "zip", "tax_id", "sic_code", "accepts_card")),
        **{"supplier_id": "S1", "name": "ACME PLUMBING LLC", "updated_at": NOW},
    }
    good = codec_for("suppliers", SETTINGS).encode(supplier)
    messages = [Record(0, b"S1", good), Record(1, b"S2", b"\x00garbage"), Record(2, b"\xff\xfe", None)]
    producer = Producer(refused)
    monkeypatch.setattr(feeds, "AIOKafkaConsumer", lambda *a, **kw: Consumer(messages))
    monkeypatch.setattr(feeds, "AsyncProducer", lambda settings, linger_ms: producer)
    index = Index()
    return feeds.SupplierFeed(SETTINGS, index), producer, index  # type: ignore[arg-type]


async def until_ready(feed: feeds.SupplierFeed) -> None:
    task = asyncio.create_task(feed._follow())
    await asyncio.wait([task, asyncio.create_task(feed.ready.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        await task  # its error
    task.cancel()


def test_a_supplier_that_does_not_decode_is_dead_lettered_with_its_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed, producer, index = follow(monkeypatch, refused=False)
    asyncio.run(until_ready(feed))
    assert index.suppliers == ["S1"] and feed.ready.is_set()
    letters = [codec_for("payees.dlq", SETTINGS).decode(value) for _, _, value in producer.sent]
    assert [(x["stage"], x["reason"], x["topic"], x["offset"]) for x in letters] == [
        ("feed", "undecodable", "unit.suppliers", 1),
        ("feed", "invalid_record", "unit.suppliers", 2),  # a tombstone whose key is not UTF-8
    ]
    assert letters[0]["payload"] == b"\x00garbage" and letters[0]["key"] == b"S2"


def test_a_feed_whose_dead_letter_is_refused_starts_over_instead_of_going_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed, _, _ = follow(monkeypatch, refused=True)
    with pytest.raises(DeliveryError):
        asyncio.run(until_ready(feed))
    assert not feed.ready.is_set()


class Table:
    """PostgreSQL as the sink's flush uses it: ``dead_letters`` refuses a row ``refuses`` names
    (SQLSTATE 54000, an index entry too large); a transaction that raises leaves nothing."""

    def __init__(self, refuses: Any) -> None:
        self.refuses = refuses
        self.letters: list[dict[str, Any]] = []
        self.offsets: list[tuple[Any, ...]] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        letters, offsets = len(self.letters), len(self.offsets)
        try:
            yield
        except BaseException:
            del self.letters[letters:], self.offsets[offsets:]
            raise

    @asynccontextmanager
    async def cursor(self) -> AsyncIterator[Table]:
        yield self

    async def executemany(self, sql: str, rows: list[Any]) -> None:
        if "INTO dead_letters" in sql:
            if any(self.refuses(row) for row in rows):
                raise psycopg.errors.ProgramLimitExceeded("index row size exceeds btree maximum 2704")
            self.letters.extend(rows)
        elif "INTO sink_offsets" in sql:
            self.offsets.extend(rows)

    async def execute(self, sql: str, *params: Any) -> Any:
        raise psycopg.OperationalError("not this table")  # the name changes' clean-up: it waits


def over_an_index_entry(row: dict[str, Any]) -> bool:
    return len(row["topic"].encode()) + len((row["batch_id"] or "").encode()) > 2704


def sink_with(table: Table) -> PostgresSink:
    sink = PostgresSink(table, "group", "cluster-1")  # type: ignore[arg-type]
    odd = "".join(chr(0x1F300 + i) for i in range(500))
    for n, (topic, batch) in enumerate([(odd, odd[:200]), ("unit.payees.raw", "b-1")]):
        origin = Origin("unit.payees.dlq", 0, n, b"k", b"v")
        sink.add_dead_letter({**letter(b"bytes"), "topic": topic, "batch_id": batch, "offset": n}, origin)
    return sink


def test_a_letter_the_table_refuses_is_stored_escaped_and_the_flush_commits() -> None:
    table = Table(over_an_index_entry)
    asyncio.run(sink_with(table).flush({TopicPartition("unit.payees.dlq", 0): 2}))
    assert [(x["offset"], x["topic"][:10]) for x in table.letters] == [(1, "unit.payee"), (0, "\\U0001f300")]
    assert table.letters[1]["error"].startswith("stored escaped, refused as it was (db_54000)")
    assert table.offsets == [("group", "cluster-1", "unit.payees.dlq", 0, 2)]


def test_a_letter_refused_even_escaped_stops_the_commit_and_stays_to_be_retried() -> None:
    table = Table(lambda row: row["offset"] == 0)  # a table that refuses it whatever it holds
    sink = sink_with(table)
    with pytest.raises(psycopg.errors.ProgramLimitExceeded):
        asyncio.run(sink.flush({TopicPartition("unit.payees.dlq", 0): 2}))
    assert table.letters == [] and table.offsets == [] and len(sink.dead_letters) == 2
