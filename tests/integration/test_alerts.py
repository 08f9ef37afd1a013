"""The alert rules over the metrics the services really export: a stopped worker makes the lag
alert's expression true.

Prometheus's own evaluator judges it: the sink's /metrics, scraped, become the input series of a
``promtool test rules`` file that evaluates the alert's expression (``promql_expr_test``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.streams.topics import RAW
from tests.integration.conftest import Services, free_port, prefixed_copy, wait_until

pytestmark = pytest.mark.integration

ALERTS = Path(__file__).parents[2] / "helm" / "payeeflow" / "files" / "alerts.yaml"
LAG = ("payeeflow_consumer_lag", "payeeflow_consumer_lag_seconds")
WAITED = 600  # seconds the payee left behind claims to have waited


def promtool() -> str:
    found = shutil.which("promtool") or str(
        Path(os.environ.get("GOBIN", Path.home() / "go" / "bin")) / "promtool"
    )
    if not Path(found).exists():
        if os.environ.get("PAYEEFLOW_REQUIRE_STACK"):
            pytest.fail("promtool is missing: `make lint` builds it")
        pytest.skip("promtool is missing: `make lint` builds it")
    return found


def alert_expr(name: str) -> str:
    groups = yaml.safe_load(ALERTS.read_text())["groups"]
    return next(rule["expr"] for group in groups for rule in group["rules"] if rule.get("alert") == name)


def scrape(port: int, topic: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """The lag series of ``topic`` on the sink's /metrics: {(name, labels): value}."""
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except httpx.HTTPError:
        return {}
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in LAG and sample.labels.get("topic") == topic
    }


def evaluate(
    tmp: Path, expr: str, series: dict[tuple[str, frozenset[tuple[str, str]]], float], expected: list[dict]
) -> subprocess.CompletedProcess[str]:
    """``promtool test rules``: ``expr`` over ``series`` (each held for 20 minutes) gives ``expected``."""

    def selector(name: str, labels: frozenset[tuple[str, str]]) -> str:
        return name + "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels)) + "}"

    test = {
        "rule_files": [],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [
                    {"series": selector(name, labels), "values": f"{value!r}x20"}
                    for (name, labels), value in series.items()
                ],
                "promql_expr_test": [{"expr": expr, "eval_time": "10m", "exp_samples": expected}],
            }
        ],
    }
    path = tmp / "lag.test.yaml"
    path.write_text(yaml.safe_dump(test))
    return subprocess.run([promtool(), "test", "rules", str(path)], capture_output=True, text=True)


async def send_again_as_old(settings: Settings) -> None:
    """One payee the worker already took, sent again with a timestamp ``WAITED`` seconds ago: the
    worker, stopped, leaves it as its oldest unprocessed payee (a payee that has waited 10 minutes)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(settings.topic(RAW), 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        message = (await consumer.getmany(tp, timeout_ms=10_000, max_records=1))[tp][0]
    finally:
        await consumer.stop()
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            tp.topic,
            message.value,
            key=message.key,
            partition=tp.partition,
            headers=list(message.headers),
            timestamp_ms=int((time.time() - WAITED) * 1000),
        )
    finally:
        await producer.stop()


def test_a_stopped_worker_makes_the_lag_alert_expression_true(
    settings: Settings, services: Services, example_payees: Path, tmp_path: Path
) -> None:
    promtool()
    port = free_port()
    services.start("worker", "worker", "--stage", "all")
    services.start("sink", "sink", "--metrics-port", str(port), env={"PAYEEFLOW_LAG_INTERVAL": "0.5"})
    services.wait_ready(settings.worker_web_port)
    asyncio.run(
        ingest_file(settings, prefixed_copy(example_payees, tmp_path / "p.csv", "alert-"), progress=False)
    )
    topic = settings.topic(RAW)
    expr = alert_expr("PayeeflowConsumerLagOld")

    def caught_up() -> dict:
        series = scrape(port, topic)
        lags = [value for (name, _), value in series.items() if name == LAG[0]]
        return series if lags and not any(lags) else {}

    running = wait_until(caught_up, timeout=120)
    judged = evaluate(tmp_path, expr, running, [])
    assert judged.returncode == 0, judged.stdout + judged.stderr  # nothing behind: nothing to alert

    services.kill("worker")
    asyncio.run(send_again_as_old(settings))

    def behind() -> dict:
        series = scrape(port, topic)
        ages = [value for (name, _), value in series.items() if name == LAG[1]]
        return series if ages and max(ages) >= WAITED else {}

    stopped = wait_until(behind, timeout=60)
    ((_, labels), age) = next(item for item in stopped.items() if item[0][0] == LAG[1])
    expected = [{"labels": "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels)) + "}", "value": age}]
    judged = evaluate(tmp_path, expr, stopped, expected)
    assert judged.returncode == 0, judged.stdout + judged.stderr
    wrong = evaluate(tmp_path, expr, stopped, [])  # promtool does say when an expression is true
    assert wrong.returncode != 0
