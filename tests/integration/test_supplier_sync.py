"""``suppliers sync`` against the real broker and a supplier table in the test database: the first
sync, a change, a delete, a second run that sends nothing, the guard, a run killed half-way and
finished by the next, BigQuery's REST shape from a local fake, and a match index fed by the topic
seeing each change."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
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
from payeeflow.connectors.supplier_sync.bigquery import BigQuerySource
from payeeflow.connectors.supplier_sync.errors import TooManyDeletes
from payeeflow.connectors.supplier_sync.run import Source, source_for, sync_suppliers
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import SUPPLIERS, create_topics, delete_topics
from tests.fakes.bigquery_server import FakeBigQuery
from tests.integration.conftest import query, settings_env, wait_until

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
    bad = [
        ("S-BAD01", "  ", None, "DALLAS", "TX", None, None, None, None),  # no name
        ("S-BAD02", "CONTROL CO", "1 MAIN\x07ST", "DALLAS", "TX", None, None, None, None),
        ("S-00001", "A SECOND ROW FOR ONE ID", None, None, None, None, None, None, None),
    ]
    table = make_table(fresh.dsn, [supplier(n) for n in range(1, 31)] + bad)
    settings = from_table(fresh, table)

    rejects = tmp_path / "rejects.csv"
    assert sync(settings, rejects=rejects) == counted(33, upserted=30, rejected=3)
    assert rejects.read_text().splitlines()[1:] == [
        "31,S-BAD01,empty_name,the name is empty",
        "32,S-BAD02,control_characters,address holds U+0007 at position 6",
        "33,S-00001,duplicate_id,an earlier row has this supplier_id; it stands",
    ]
    assert sync(settings) == counted(33, unchanged=30, rejected=3)  # idempotent: nothing sent

    with psycopg.connect(fresh.dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE {table} SET name = 'RENAMED SUPPLY LLC' WHERE supplier_id = 'S-00003'")
        conn.execute(f"UPDATE {table} SET city = 'Dallas ' WHERE supplier_id = 'S-00004'")  # same supplier
        conn.execute(f"DELETE FROM {table} WHERE supplier_id IN ('S-00005', 'S-00006')")
        insert(conn, table, [supplier(31)])
    assert sync(settings) == counted(32, unchanged=27, upserted=2, deleted=2, rejected=3)
    assert sync(settings) == counted(32, unchanged=29, rejected=3)

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
