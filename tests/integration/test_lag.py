"""Consumer lag read from the real broker: a group's committed offset against the log end."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from payeeflow.config import Settings
from payeeflow.streams.lag import lag_reader
from payeeflow.streams.topics import RAW
from tests.integration.conftest import Services, free_port, wait_until

pytestmark = pytest.mark.integration

N, K = 10, 4


async def produce(settings: Settings, tp: TopicPartition, count: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        for i in range(count):
            await producer.send_and_wait(tp.topic, f"payee {i}".encode(), partition=tp.partition)
    finally:
        await producer.stop()


async def commit(settings: Settings, group: str, tp: TopicPartition, offset: int) -> None:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.commit({tp: offset})
    finally:
        await consumer.stop()


async def test_lag_and_age_of_a_group_behind_then_caught_up(settings: Settings) -> None:
    tp = TopicPartition(settings.topic(RAW), 0)
    group = settings.group("lagtest")
    await produce(settings, tp, N)
    await commit(settings, group, tp, K)
    await asyncio.sleep(0.05)  # the oldest unprocessed message is at least this old

    reader = lag_reader(settings)
    await reader.source.start()
    try:
        await reader.read()
        labels = {"group": group, "topic": tp.topic}
        assert REGISTRY.get_sample_value("payeeflow_consumer_lag", {**labels, "partition": "0"}) == N - K
        age = REGISTRY.get_sample_value("payeeflow_consumer_lag_seconds", labels)
        assert age is not None and 0 < age < 60

        await commit(settings, group, tp, N)
        await reader.read()
        assert REGISTRY.get_sample_value("payeeflow_consumer_lag", {**labels, "partition": "0"}) == 0
        assert REGISTRY.get_sample_value("payeeflow_consumer_lag_seconds", labels) == 0
    finally:
        await reader.source.close()


def test_the_sink_exports_the_lag_of_every_group(settings: Settings, services: Services) -> None:
    tp = TopicPartition(settings.topic(RAW), 1)
    group = settings.group("behind")
    asyncio.run(produce(settings, tp, 3))
    asyncio.run(commit(settings, group, tp, 1))
    port = free_port()
    services.start("sink", "sink", "--metrics-port", str(port), env={"PAYEEFLOW_LAG_INTERVAL": "0.5"})

    def exported() -> dict[str, float]:
        try:
            text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
        except httpx.HTTPError:
            return {}
        found = {
            sample.name: sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.labels.get("group") == group and sample.labels.get("topic") == tp.topic
        }
        return found if len(found) == 2 else {}  # both gauges of one round

    seen = wait_until(exported, timeout=90)
    assert seen["payeeflow_consumer_lag"] == 2
    assert seen["payeeflow_consumer_lag_seconds"] > 0
