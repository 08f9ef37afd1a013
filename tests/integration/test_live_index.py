"""Two match workers share the payee partitions, and both apply supplier updates without a restart."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient

from payeeflow.config import Settings
from payeeflow.connectors.suppliers import delete_supplier, load_suppliers
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import CLASSIFIED, MATCHED
from tests.conftest import raw_record
from tests.integration.conftest import Services, free_port, wait_until

pytestmark = pytest.mark.integration
SECTIONS = {
    "screening": {"excluded": False, "keyword": None, "category": None, "allow_listed": False},
    "classification": {
        "payee_type": "BUSINESS",
        "confidence": 0.97,
        "reason": "r",
        "sic_code": None,
        "sic_description": None,
    },
}


async def produce_payees(settings: Settings, names: list[str], tag: str) -> None:
    codec = codec_for(CLASSIFIED, settings)
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers)
    await producer.start()
    try:
        for i, name in enumerate(names):
            record = {**raw_record(name, payee_id=f"{tag}-{i}"), **SECTIONS}
            record["source_ts"] = datetime.now(UTC)
            await producer.send(
                settings.topic(CLASSIFIED), codec.encode(record), key=record["payee_id"].encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def matched(settings: Settings, count: int, timeout: float = 60) -> dict[str, str | None]:
    """payee_id -> supplier_id of the first ``count`` records on the matched topic."""
    codec = codec_for(MATCHED, settings)
    consumer = AIOKafkaConsumer(
        settings.topic(MATCHED),
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[str, str | None] = {}
    deadline = time.monotonic() + timeout
    try:
        while len(found) < count and time.monotonic() < deadline:
            for messages in (await consumer.getmany(timeout_ms=500)).values():
                for message in messages:
                    record = codec.decode(message.value)
                    found[record["payee_id"]] = record["match"]["supplier_id"]
    finally:
        await consumer.stop()
    return found


def metric(port: int, series: str) -> float | None:
    """A series' value on a worker's ``/metrics``, or None when it has none yet."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    hit = re.search(rf"^{re.escape(series)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(hit.group(1)) if hit else None


def matched_count(port: int) -> float:
    return metric(port, 'payeeflow_records_total{outcome="ok",stage="matching"}') or 0.0


def members_holding(settings: Settings, group: str, topic: str) -> int:
    """How many members of ``group`` hold partitions of ``topic`` (none while it rebalances)."""
    admin = AdminClient({"bootstrap.servers": settings.kafka_bootstrap_servers})
    [described] = admin.describe_consumer_groups([group]).values()
    found = described.result(10)
    if found.state != ConsumerGroupState.STABLE:
        return 0
    return sum(any(tp.topic == topic for tp in m.assignment.topic_partitions) for m in found.members)


def gauge(port: int, name: str) -> float:
    value = metric(port, name)
    assert value is not None, f"{name} missing from the worker's metrics"
    return value


def test_two_workers_share_partitions_and_both_apply_updates(
    settings: Settings, services: Services, tmp_path: Path
) -> None:
    network = tmp_path / "network.csv"
    network.write_text(
        "supplier_id,name,state\nS-ZEPHYR,Zephyr Widgets LLC,TX\nS-ORBIT,Orbit Fasteners Inc,OH\n"
    )
    asyncio.run(load_suppliers(settings, network, progress=False))
    ports = [free_port(), free_port()]
    for n, port in enumerate(ports):
        services.start(
            f"match-{n}", "worker", "--stage", "matching", env={"PAYEEFLOW_WORKER_WEB_PORT": str(port)}
        )
    for port in ports:
        services.wait_ready(port)
    # the group settled: both workers own partitions (a rebalance later would move payees mid-test)
    wait_until(lambda: members_holding(settings, settings.group("matching"), settings.topic(CLASSIFIED)) == 2)

    asyncio.run(produce_payees(settings, ["ZEPHYR WIDGETS"] * 30, "before"))
    first = asyncio.run(matched(settings, 30))
    assert set(first.values()) == {"S-ZEPHYR"} and len(first) == 30
    assert all(matched_count(port) > 0 for port in ports), "both workers matched payees of their partitions"

    # the daily sync: one supplier leaves, one arrives; no worker restarts
    asyncio.run(delete_supplier(settings, "S-ZEPHYR"))
    update = tmp_path / "update.csv"
    update.write_text("supplier_id,name,state\nS-QUASAR,Quasar Gadgets Inc,CA\n")
    asyncio.run(load_suppliers(settings, update, progress=False))
    # both workers applied the sync: Zephyr's row retired (2 suppliers, 3 rows), Quasar's added
    wait_until(
        lambda: all(
            (metric(port, "payeeflow_supplier_index_size"), metric(port, "payeeflow_supplier_index_rows"))
            == (2, 3)
            for port in ports
        )
    )
    asyncio.run(produce_payees(settings, ["ZEPHYR WIDGETS"] * 20 + ["QUASAR GADGETS"] * 20, "after"))
    after = wait_until(lambda: (r := asyncio.run(matched(settings, 70))) and len(r) >= 70 and r)
    assert {after[f"after-{i}"] for i in range(20)} == {None}
    assert {after[f"after-{i}"] for i in range(20, 40)} == {"S-QUASAR"}
    for port in ports:  # S-ZEPHYR's row is retired, not reclaimed; both gauges say so
        assert gauge(port, "payeeflow_supplier_index_size") == 2
        assert gauge(port, "payeeflow_supplier_index_rows") == 3
