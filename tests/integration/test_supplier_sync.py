"""``suppliers sync`` against the real broker and a supplier table in the test database: the first
sync, a change, a delete, a second run that sends nothing, the guard, a run killed half-way and
finished by the next, BigQuery's REST shape from a local fake, a match index fed by the topic
seeing each change, and the broker going silent (stopped with SIGSTOP) before, during and after
the read of the topic."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiokafka import AIOKafkaConsumer
from confluent_kafka import Consumer, TopicPartition
from google.auth.credentials import AnonymousCredentials
from pydantic import SecretStr

from payeeflow.agents.feeds import SupplierFeed
from payeeflow.agents.matching.index import SupplierIndex
from payeeflow.config import Settings
from payeeflow.connectors.supplier_sync import topic
from payeeflow.connectors.supplier_sync.bigquery import BigQuerySource
from payeeflow.connectors.supplier_sync.errors import TooManyDeletes, TopicError
from payeeflow.connectors.supplier_sync.run import Source, source_for, sync_suppliers
from payeeflow.errors import DeliveryError
from payeeflow.schemas import codec_for
from payeeflow.streams import sender
from payeeflow.streams.topics import SUPPLIERS, create_topics, delete_topics
from tests.fakes.bigquery_server import FakeBigQuery
from tests.integration.conftest import PrivateStack, query, settings_env, wait_until

pytestmark = pytest.mark.integration

SELECT = "SELECT supplier_id, name, address, city, state, zip, tax_id, sic_code, accepts_card FROM {}"
COLUMNS = (
    "(supplier_id text, name text, address text, city text, state text, zip text, tax_id text,"
    " sic_code text, accepts_card boolean)"
)


def supplier(n: int, name: str | None = None) -> tuple[Any, ...]:
    return (
        f"S-{n:05d}",
        name or f"SUPPLIER {n} INC",
        f"{n} MAIN ST",
        "DALLAS",
        "TX",
        "75201",
        None,
        None,
        n % 2 == 0,
    )


def insert(conn: psycopg.Connection[Any], table: str, rows: list[tuple[Any, ...]]) -> None:
    conn.cursor().executemany(f"INSERT INTO {table} VALUES ({', '.join(['%s'] * 9)})", rows)


def make_table(dsn: str, rows: list[tuple[Any, ...]]) -> str:
    """A supplier master of ``rows`` in the test database; its name."""
    table = f"master_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {table} {COLUMNS}")
        with conn.cursor().copy(f"COPY {table} FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return table


def from_table(settings: Settings, table: str, select: str = SELECT) -> Settings:
    return settings.model_copy(
        update={
            "supplier_source_url": SecretStr(settings.dsn),
            "supplier_source_query": select.format(table),
            "supplier_sync_max_delete_share": 0.2,
        }
    )


def sync(settings: Settings, source: Source | None = None, **options: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    asyncio.run(sync_suppliers(settings, source or source_for(settings, "postgres"), counts, **options))
    return counts


def counted(read: int, unchanged: int = 0, upserted: int = 0, deleted: int = 0, rejected: int = 0) -> dict:
    return dict(read=read, unchanged=unchanged, upserted=upserted, deleted=deleted, rejected=rejected)


async def _messages(settings: Settings) -> list[tuple[str, dict[str, Any] | None]]:
    """Every message on the suppliers topic up to its end: (key, record or None for a tombstone)."""
    codec = codec_for(SUPPLIERS, settings)
    consumer = AIOKafkaConsumer(
        settings.topic(SUPPLIERS),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[tuple[str, dict[str, Any] | None]] = []
    try:
        while not consumer.assignment():
            await asyncio.sleep(0.05)
        ends = await consumer.end_offsets(list(consumer.assignment()))
        while any([await consumer.position(tp) < end for tp, end in ends.items()]):
            for batch in (await consumer.getmany(timeout_ms=500)).values():
                for m in batch:
                    found.append((m.key.decode(), None if m.value is None else codec.decode(m.value)))
    finally:
        await consumer.stop()
    return found


def messages(settings: Settings) -> list[tuple[str, dict[str, Any] | None]]:
    return asyncio.run(_messages(settings))


def messages_on(settings: Settings) -> int:
    """How many messages the suppliers topic holds (its partitions' end offsets)."""
    topic = settings.topic(SUPPLIERS)
    consumer = Consumer({"bootstrap.servers": settings.kafka_bootstrap_servers, "group.id": "count"})
    try:
        parts = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return sum(consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in parts)
    finally:
        consumer.close()


def settled(settings: Settings) -> int | None:
    """The topic's message count once it stays the same for a second (None while it grows)."""
    before = messages_on(settings)
    time.sleep(1)
    return before if messages_on(settings) == before else None


async def _index(settings: Settings) -> SupplierIndex:
    index = SupplierIndex()
    feed = SupplierFeed(settings, index)
    task = asyncio.create_task(feed.run())
    try:
        await asyncio.wait_for(feed.ready.wait(), 60)
    finally:
        task.cancel()
    return index


def index_of(settings: Settings) -> SupplierIndex:
    """A match worker's index as its feed builds it from the topic."""
    return asyncio.run(_index(settings))


def name_in(index: SupplierIndex, supplier_id: str) -> str | None:
    row = index.row_of(supplier_id)
    found = None if row is None else index.supplier(row)
    return None if found is None else found.name


@pytest.fixture
def fresh(settings: Settings) -> Iterator[Settings]:
    """Topics of a prefix of the test's own: an empty suppliers topic."""
    own = settings.model_copy(update={"topic_prefix": f"{settings.topic_prefix}{uuid.uuid4().hex[:6]}."})
    asyncio.run(create_topics(own))
    yield own
    asyncio.run(delete_topics(own))


def test_a_sync_sends_what_changed_and_tombstones_what_is_gone_once(fresh: Settings, tmp_path: Path) -> None:
    # a bad row before the good row of its id: the good one is no duplicate of it
    bad_first = ("S-00002", "SUPPLIER 2 INC", None, "DAL\x07LAS", "TX", None, None, None, None)
    bad = [
        ("S-BAD01", "  ", None, "DALLAS", "TX", None, None, None, None),  # no name
        ("S-BAD02", "CONTROL CO", "1 MAIN\x07ST", "DALLAS", "TX", None, None, None, None),
        ("S-00001", "A SECOND ROW FOR ONE ID", None, None, None, None, None, None, None),
    ]
    table = make_table(fresh.dsn, [bad_first] + [supplier(n) for n in range(1, 31)] + bad)
    settings = from_table(fresh, table)

    rejects = tmp_path / "rejects.csv"
    assert sync(settings, rejects=rejects) == counted(34, upserted=30, rejected=4)
    assert rejects.read_text().splitlines()[1:] == [
        "1,S-00002,control_characters,city holds U+0007 at position 3",
        "32,S-BAD01,empty_name,the supplier has no name",
        "33,S-BAD02,control_characters,address holds U+0007 at position 6",
        "34,S-00001,duplicate_id,an earlier row has this supplier_id; it stands",
    ]
    assert sync(settings) == counted(34, unchanged=30, rejected=4)  # idempotent: nothing sent

    with psycopg.connect(fresh.dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE {table} SET name = 'RENAMED SUPPLY LLC' WHERE supplier_id = 'S-00003'")
        conn.execute(f"UPDATE {table} SET city = 'Dallas ' WHERE supplier_id = 'S-00004'")  # same supplier
        conn.execute(f"DELETE FROM {table} WHERE supplier_id IN ('S-00005', 'S-00006')")
        insert(conn, table, [supplier(31)])
    assert sync(settings) == counted(33, unchanged=27, upserted=2, deleted=2, rejected=4)
    assert sync(settings) == counted(33, unchanged=29, rejected=4)

    sent = messages(settings)
    assert Counter(key for key, _ in sent) == {
        **{f"S-{n:05d}": 1 for n in range(1, 32)},
        "S-00003": 2,  # the first version, then the renamed one
        "S-00005": 2,  # the supplier, then its tombstone
        "S-00006": 2,
    }
    index = index_of(settings)
    assert len(index) == 29
    assert name_in(index, "S-00003") == "RENAMED SUPPLY LLC"
    assert name_in(index, "S-00005") is None and name_in(index, "S-00031") == "SUPPLIER 31 INC"


def test_the_guard_keeps_the_network_when_the_source_loses_much_of_it(fresh: Settings) -> None:
    table = make_table(fresh.dsn, [supplier(n) for n in range(1, 21)])
    settings = from_table(fresh, table)
    env = {
        **os.environ,
        **settings_env(settings),
        "PAYEEFLOW_SUPPLIER_SOURCE_URL": settings.dsn,
        "PAYEEFLOW_SUPPLIER_SOURCE_QUERY": settings.supplier_source_query,
    }
    command = [sys.executable, "-m", "payeeflow", "suppliers", "sync"]
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert "20 rows read from PostgreSQL" in first.stdout and "20 upserted, 0 deleted" in first.stdout

    with psycopg.connect(fresh.dsn, autocommit=True) as conn:
        conn.execute(f"DELETE FROM {table}")  # emptied by mistake
    refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2
    assert "lacks 20 of the 20 suppliers" in refused.stderr and "--allow-deletes" in refused.stderr
    assert messages_on(settings) == 20  # not one tombstone
    runs = query(
        settings,
        "SELECT outcome, counts, error FROM job_runs WHERE job = 'suppliers-sync'"
        " ORDER BY run_id DESC LIMIT 2",
    )
    (outcome, counts, error), (before, before_counts, _) = runs
    assert (outcome, before) == ("failed", "ok")
    assert counts == counted(0) and error.startswith("the source lacks 20 of the 20 suppliers")
    assert before_counts == counted(20, upserted=20)

    with psycopg.connect(fresh.dsn, autocommit=True) as conn:
        insert(conn, table, [supplier(1), supplier(2)])
    with pytest.raises(TooManyDeletes):
        sync(settings)
    assert sync(settings, allow_deletes=True) == counted(2, unchanged=2, deleted=18)
    assert len(index_of(settings)) == 2


def test_a_run_killed_half_way_is_finished_by_the_next_without_sending_twice(fresh: Settings) -> None:
    total = 12_000
    table = make_table(fresh.dsn, [supplier(n) for n in range(total)])
    # a slow source (1 ms a row: 5 s a fetch of 5000) so the kill falls between two fetches
    slow = "SELECT supplier_id, name, city, state, pg_sleep(0.001) AS pause FROM {}"
    settings = from_table(fresh, table, slow)
    env = {
        **os.environ,
        **settings_env(settings),
        "PAYEEFLOW_SUPPLIER_SOURCE_URL": settings.dsn,
        "PAYEEFLOW_SUPPLIER_SOURCE_QUERY": settings.supplier_source_query,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "payeeflow", "suppliers", "sync"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: messages_on(settings) > 0 or proc.poll() is not None, timeout=120, every=0.05)
    finally:
        proc.kill()  # SIGKILL: nothing flushed, nothing recorded
        proc.wait()
    landed = wait_until(lambda: settled(settings), timeout=30, every=0)  # what was in flight has landed
    assert 0 < landed < total

    resumed = sync(from_table(fresh, table, "SELECT supplier_id, name, city, state FROM {}"))
    assert resumed == counted(total, unchanged=landed, upserted=total - landed)
    keys = Counter(key for key, _ in messages(settings))
    assert len(keys) == total and set(keys.values()) == {1}  # every supplier once, none twice


def test_bigquery_is_a_source_like_the_table(fresh: Settings) -> None:
    server = FakeBigQuery().start()
    try:
        fields = [
            ("supplier_id", "STRING"),
            ("name", "STRING"),
            ("state", "STRING"),
            ("accepts_card", "BOOLEAN"),
        ]
        rows = [(f"B-{n}", f"WAREHOUSE SUPPLIER {n} LLC", "CA", n % 2 == 0) for n in range(25)]
        server.reset(fields, rows, pending=1)
        settings = fresh.model_copy(
            update={
                "bigquery_enabled": True,
                "bigquery_project": "ap-warehouse",
                "bigquery_api_url": server.api_url,
                "bigquery_page_rows": 10,
            }
        )
        source = BigQuerySource(settings, credentials=AnonymousCredentials())
        assert sync(settings, source) == counted(25, upserted=25)
        assert sync(settings, source) == counted(25, unchanged=25)
        server.reset(fields, rows[:24])
        assert sync(settings, source) == counted(24, unchanged=24, deleted=1)
    finally:
        server.stop()
    latest = dict(messages(settings))
    assert latest["B-24"] is None and latest["B-2"]["accepts_card"] is True  # type: ignore[index]
    assert json.dumps(sorted(k for k, v in latest.items() if v)) == json.dumps(
        sorted(f"B-{n}" for n in range(24))
    )


def stop_broker(stack: PrivateStack) -> None:
    """The broker stopped (SIGSTOP): its connections stay open and nothing answers, as a broker
    gone silent. Kept to a few seconds, under the broker's own session timeouts."""
    os.kill(int(stack.kafka.pid_file.read_text()), signal.SIGSTOP)


def resume_broker(stack: PrivateStack) -> None:
    os.kill(int(stack.kafka.pid_file.read_text()), signal.SIGCONT)


def test_the_command_with_the_broker_silent_says_so_in_one_line_and_exits_2(
    fresh: Settings, test_stack: PrivateStack
) -> None:
    settings = from_table(fresh, make_table(fresh.dsn, [supplier(1)]))
    env = {
        **os.environ,
        **settings_env(settings),
        "PAYEEFLOW_SUPPLIER_SOURCE_URL": settings.dsn,
        "PAYEEFLOW_SUPPLIER_SOURCE_QUERY": settings.supplier_source_query,
    }
    command = (  # the command itself, with the read's patience 3 s instead of 120
        "import sys; from payeeflow.connectors.supplier_sync import topic; topic.PATIENCE = 3.0; "
        "from payeeflow.cli import main; sys.exit(main(['suppliers', 'sync']))"
    )
    stop_broker(test_stack)
    try:
        run = subprocess.run(
            [sys.executable, "-c", command], env=env, capture_output=True, text=True, timeout=60
        )
    finally:
        resume_broker(test_stack)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    said = [line for line in run.stderr.splitlines() if line.startswith("payeeflow:")]
    assert len(said) == 1 and said[0] == run.stderr.splitlines()[-1]
    where = f"{settings.topic(SUPPLIERS)} could not be read from {settings.kafka_bootstrap_servers}"
    assert said[0].startswith(f"payeeflow: error: the suppliers topic {where}: ")
    ((outcome, error),) = query(
        settings,
        "SELECT outcome, error FROM job_runs WHERE job = 'suppliers-sync' ORDER BY run_id DESC LIMIT 1",
    )
    assert outcome == "failed" and error == said[0].removeprefix("payeeflow: error: ")


def test_a_broker_silent_while_the_topic_is_read_fails_the_read(
    fresh: Settings, test_stack: PrivateStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = from_table(fresh, make_table(fresh.dsn, [supplier(n) for n in range(1, 11)]))
    assert sync(settings) == counted(10, upserted=10)
    monkeypatch.setattr(topic, "PATIENCE", 3.0)  # 120 s in a run
    end_offsets = topic._end_offsets

    def then_stop(*args: Any) -> dict[int, int]:  # the end offsets known, the records not yet read
        ends = end_offsets(*args)
        stop_broker(test_stack)
        return ends

    monkeypatch.setattr(topic, "_end_offsets", then_stop)
    counts: dict[str, int] = {}
    try:
        with pytest.raises(TopicError, match=r"could not be read from .*: no answer for 3s"):
            asyncio.run(sync_suppliers(settings, source_for(settings, "postgres"), counts))
    finally:
        resume_broker(test_stack)
    assert counts == counted(0)  # nothing read from the source, nothing sent
    monkeypatch.undo()
    assert sync(settings) == counted(10, unchanged=10)  # the next run reads it all


class StopsTheBroker:
    """A source whose first row stops the broker: the topic's state was read, no send is taken."""

    label = "a source that stops the broker"

    def __init__(self, stack: PrivateStack, rows: list[tuple[Any, ...]]) -> None:
        self.stack = stack
        self.values = rows

    async def rows(self) -> AsyncIterator[tuple[Any, ...]]:
        stop_broker(self.stack)
        for values in self.values:
            yield values


def test_a_broker_silent_while_sending_fails_the_run_with_a_delivery_error(
    fresh: Settings, test_stack: PrivateStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # librdkafka gives up on a send after message.timeout.ms: 300 s by default, 3 s here
    monkeypatch.setitem(sender.RELIABLE, "message.timeout.ms", 3000)
    counts: dict[str, int] = {}
    try:
        with pytest.raises(DeliveryError) as caught:
            asyncio.run(
                sync_suppliers(fresh, StopsTheBroker(test_stack, [supplier(n) for n in range(5)]), counts)
            )
    finally:
        resume_broker(test_stack)
    message = str(caught.value)
    assert message.startswith("Kafka did not take supplier S-0000") and "\n" not in message
    assert "Message timed out" in message
    assert counts == counted(5, upserted=5)  # queued, none taken, and no tombstone
