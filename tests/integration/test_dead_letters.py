"""Every dead letter delivered or its offset not committed, on the real broker and database.

A fused worker and the sink run on this module's topics. The broker is killed while the worker
is dead-lettering a tenth of a batch (the figures: letters sent, on the topic, stored, doubled;
``-s`` prints them); a record too large for its dead letter is stored cut with the size and hash
of the whole; a supplier that does not decode is dead-lettered; a letter the table refuses is
stored escaped and its partition flows on.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from payeeflow.config import Settings
from payeeflow.connectors.database.dlq import Filters, replay
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.schemas import codec_for
from payeeflow.streams.deadletters import MESSAGE_OVERHEAD
from payeeflow.streams.topics import DLQ, RAW, SUPPLIERS
from tests.conftest import raw_record
from tests.integration.conftest import PrivateStack, Services, outcomes, query, wait_until

pytestmark = pytest.mark.integration

COUNT = 6000
POISON_EVERY = 10  # an empty name: dead-lettered by the exclusion stage


def letters_sent(settings: Settings) -> float:
    """The worker's count of dead letters it made (``payeeflow_records_total``)."""
    page = httpx.get(f"http://127.0.0.1:{settings.worker_web_port}/metrics", timeout=10).text
    found = re.findall(r'payeeflow_records_total\{outcome="dead_letter",stage="exclusion"\} (\S+)', page)
    return float(found[0]) if found else 0.0


async def letters_on_the_topic(settings: Settings, batch_id: str) -> Counter[str]:
    """How many times each payee of ``batch_id`` is on ``payees.dlq``."""
    consumer = AIOKafkaConsumer(
        settings.topic(DLQ),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    codec = codec_for(DLQ, settings)
    found: Counter[str] = Counter()
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.1)
        tps = list(consumer.assignment())
        end = await consumer.end_offsets(tps)
        while any([await consumer.position(tp) < end[tp] for tp in tps]):
            for messages in (await consumer.getmany(timeout_ms=1000)).values():
                for message in messages:
                    letter = codec.decode(message.value)
                    if letter["batch_id"] == batch_id:
                        found[letter["payee_id"]] += 1
    finally:
        await consumer.stop()
    return found


async def produce(settings: Settings, topic: str, key: bytes, value: bytes) -> tuple[int, int]:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        sent = await producer.send_and_wait(settings.topic(topic), value, key=key)
    finally:
        await producer.stop()
    return sent.partition, sent.offset


@pytest.mark.parametrize("down", [10, 30])  # within, and past, the 10 s session timeout
def test_dead_letters_under_a_broker_outage_are_each_stored_once(
    settings: Settings, running: Services, test_stack: PrivateStack, tmp_path: Path, down: int
) -> None:
    prefix = f"{settings.topic_prefix}out{down}-"
    path = tmp_path / "batch.csv"
    poisoned = {f"{prefix}{i:06d}" for i in range(COUNT) if i % POISON_EVERY == 0}
    path.write_text(
        "payee_id,name\n"
        + "".join(
            f"{prefix}{i:06d},{'' if i % POISON_EVERY == 0 else f'SUPPLIER {i} LLC'}\n" for i in range(COUNT)
        )
    )
    before = letters_sent(settings)
    batch = asyncio.run(ingest_file(settings, path, progress=False)).batch_id
    wait_until(lambda: sum(outcomes(settings, batch).values()) > COUNT // 5, timeout=120, every=0.1)
    test_stack.kill_kafka()
    killed_at = sum(outcomes(settings, batch).values())
    time.sleep(down)  # the outage itself
    test_stack.start_kafka()
    wait_until(lambda: sum(outcomes(settings, batch).values()) == COUNT, timeout=300)
    assert outcomes(settings, batch) == {"stored": COUNT - len(poisoned), "dead_letter": len(poisoned)}

    stored = query(
        settings, "SELECT payee_id, count(*) FROM dead_letters WHERE batch_id = %s GROUP BY 1", batch
    )
    on_topic = asyncio.run(letters_on_the_topic(settings, batch))
    sent = letters_sent(settings) - before
    doubled = sum(on_topic.values()) - len(on_topic)
    print(
        f"\nbroker killed for {down} s with {killed_at}/{COUNT} payees settled: {len(poisoned)} dead letters"
        f" due, {sent:.0f} made by the worker, {sum(on_topic.values())} on the topic ({doubled} doubled),"
        f" {sum(n for _, n in stored)} stored"
    )
    assert {pid for pid, _ in stored} == poisoned and {n for _, n in stored} == {1}  # none lost, none twice
    assert set(on_topic) == poisoned and sent >= len(poisoned)
    assert running.alive("worker") and running.alive("sink")


def test_a_dead_letter_too_large_for_the_broker_is_stored_cut_with_the_hash_of_the_whole(
    settings: Settings, running: Services
) -> None:
    """A record just under the broker's limit fails exclusion (its name is absurd); its letter,
    the record and more, would be refused: it is sent cut, pointing at the original."""
    payee_id = f"{settings.topic_prefix}huge"
    record = raw_record("N", payee_id=payee_id)
    record["batch_id"] = f"{settings.topic_prefix}hugebatch"
    codec = codec_for(RAW, settings)
    empty = len(codec.encode(record))
    record["payee"]["name"] = "N" * (settings.kafka_max_message_bytes - MESSAGE_OVERHEAD - 100 - empty)
    whole = codec.encode(record)
    partition, offset = asyncio.run(produce(settings, RAW, payee_id.encode(), whole))
    rows = wait_until(
        lambda: query(
            settings,
            'SELECT stage, reason, topic, partition, "offset", length(payload), payload, payload_size,'
            " payload_sha256 FROM dead_letters WHERE payee_id = %s",
            payee_id,
        ),
        timeout=120,
    )
    [(stage, reason, topic, at_partition, at_offset, length, payload, size, sha256)] = rows
    assert (stage, reason) == ("exclusion", "name_too_long")
    assert (topic, at_partition, at_offset) == (settings.topic(RAW), partition, offset)
    assert length < settings.kafka_max_message_bytes - MESSAGE_OVERHEAD and whole.startswith(payload)
    assert (size, sha256) == (len(whole), hashlib.sha256(whole).hexdigest())
    assert running.alive("worker")
    kept = asyncio.run(replay(settings, Filters(batch_id=record["batch_id"]), dry_run=True))
    assert (kept.sent, kept.not_replayable) == ({}, 1)  # its first bytes are no record to replay


def test_a_supplier_that_does_not_decode_is_dead_lettered_once(settings: Settings, running: Services) -> None:
    key = f"{settings.topic_prefix}S-garbage".encode()
    partition, offset = asyncio.run(produce(settings, SUPPLIERS, key, b"\x00\x00\x00\x00\x07not avro"))
    where = (settings.topic(SUPPLIERS), partition, offset)
    rows = wait_until(
        lambda: query(
            settings,
            "SELECT stage, reason, key FROM dead_letters"
            ' WHERE topic = %s AND partition = %s AND "offset" = %s',
            *where,
        ),
        timeout=120,
    )
    assert rows == [("feed", "undecodable", key)]


def test_a_dead_letter_the_table_refuses_is_stored_escaped_and_its_partition_flows_on(
    settings: Settings, running: Services
) -> None:
    """A letter from another producer whose topic and batch, in four-byte characters, make an
    index entry over PostgreSQL's 2,704 bytes (SQLSTATE 54000)."""
    rng = random.Random(7)
    odd = "".join(chr(rng.randrange(0x1F300, 0x1FAFF)) for _ in range(700))
    p = settings.topic_prefix
    letters: list[dict[str, Any]] = [
        {
            "stage": "exclusion",
            "reason": "empty_name",
            "error": "RecordError: empty_name",
            "topic": topic,
            "partition": 0,
            "offset": n,
            "payee_id": f"{p}escaped{n}",
            "batch_id": batch,
            "key": None,
            "payload": b"bytes",
            "failed_at": datetime.now(UTC),
        }
        for n, (topic, batch) in enumerate([(odd, odd[:200]), (f"{p}payees.raw", f"{p}plainbatch")])
    ]
    codec = codec_for(DLQ, settings)
    for letter in letters:  # one key: one partition, the refused letter first
        asyncio.run(produce(settings, DLQ, b"k", codec.encode(letter)))

    def stored() -> list[tuple] | None:
        rows = query(
            settings,
            "SELECT payee_id, topic, error FROM dead_letters WHERE payee_id LIKE %s ORDER BY 1",
            f"{p}escaped%",
        )
        return rows if len(rows) == 2 else None

    (first, topic, error), (second, plain_topic, _) = wait_until(stored, timeout=120)
    assert first == f"{p}escaped0" and topic.startswith("\\U0001f") and len(topic) <= 249
    assert error.startswith("stored escaped, refused as it was (db_54000)")
    assert (second, plain_topic) == (f"{p}escaped1", f"{p}payees.raw")
