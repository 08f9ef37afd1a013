"""Faults on the real broker and database of the test session: nothing lost, doubled or stuck.

Each scenario streams a batch of its own through a fused worker and the sink and, mid-stream,
kills a worker or the sink with SIGKILL, kills the broker, crashes PostgreSQL, or pushes rows the
database refuses. Each ends with every payee of the batch stored or dead-lettered exactly once, no
version going backwards, and the pipeline still flowing. Recovery times are printed (``-s``).
"""

from __future__ import annotations

import asyncio
import csv
import json
import random
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psycopg
import pytest
from aiokafka import AIOKafkaProducer

from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.enrichment import Enricher
from payeeflow.agents.exclusion import Screener
from payeeflow.agents.matching import Matcher
from payeeflow.agents.pipeline import Pipeline
from payeeflow.api import keys
from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import ENRICHED
from tests.conftest import EXAMPLES, raw_record
from tests.integration.conftest import PrivateStack, Services, api_service, outcomes, query, wait_until

pytestmark = pytest.mark.integration

COUNT = 6000
POISON_EVERY = 1000  # an empty name: dead-lettered at the first stage, replayed after a kill
POISONED = COUNT // POISON_EVERY


def write_batch(path: Path, prefix: str, count: int, version: int) -> set[str]:
    """``count`` payees with ids of their own, names from the sample file, one version; every
    ``POISON_EVERY``-th has an empty name."""
    with (EXAMPLES / "payees.csv").open(newline="", encoding="utf-8") as fh:
        names = [row["name"] for row in csv.DictReader(fh) if row["payee_id"].startswith("P0")]
    ids = set()
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["payee_id", "name", "version"])
        for i in range(count):
            ids.add(f"{prefix}{i:06d}")
            name = "" if i % POISON_EVERY == POISON_EVERY - 1 else names[i % len(names)]
            writer.writerow([f"{prefix}{i:06d}", name, version])
    return ids


def assert_exactly_once(settings: Settings, batch_id: str, ids: set[str], version: int) -> None:
    """Every payee stored or dead-lettered, once; stored rows carry this batch's version."""
    members = dict(
        query(settings, "SELECT payee_id, outcome FROM batch_payees WHERE batch_id = %s", batch_id)
    )
    assert set(members) == ids
    stored = [pid for pid, outcome in members.items() if outcome == "stored"]
    rows = query(settings, "SELECT payee_id, version FROM payees WHERE payee_id = ANY(%s)", stored)
    assert len(rows) == len(stored) and {v for _, v in rows} <= {version}
    letters = query(
        settings, "SELECT payee_id, count(*) FROM dead_letters WHERE batch_id = %s GROUP BY 1", batch_id
    )
    assert sorted(pid for pid, _ in letters) == sorted(p for p, o in members.items() if o == "dead_letter")
    assert {count for _, count in letters} <= {1}


def run_with_fault(
    settings: Settings,
    tmp_path: Path,
    version: int,
    fault: Callable[[], None],
    recover: Callable[[], None],
) -> tuple[str, set[str], float]:
    """Ingest a batch, apply ``fault`` once a fifth is stored, ``recover``, and wait for all.

    Returns the batch, its payee ids and the seconds from ``recover`` to the next stored payee.
    """
    ids = write_batch(tmp_path / "batch.csv", f"{settings.topic_prefix}v{version}-", COUNT, version)
    result = asyncio.run(ingest_file(settings, tmp_path / "batch.csv", progress=False))
    assert result.produced == COUNT
    wait_until(
        lambda: outcomes(settings, result.batch_id).get("stored", 0) > COUNT // 5, timeout=120, every=0.1
    )
    fault()
    recover()
    recovered = time.monotonic()
    before = sum(outcomes(settings, result.batch_id).values())
    wait_until(
        lambda: sum(outcomes(settings, result.batch_id).values()) > before or before == COUNT, 180, 0.2
    )
    recovery = time.monotonic() - recovered
    wait_until(lambda: sum(outcomes(settings, result.batch_id).values()) == COUNT, timeout=240)
    assert_exactly_once(settings, result.batch_id, ids, version)
    return result.batch_id, ids, recovery


@pytest.mark.parametrize(("service", "version"), [("worker", 1), ("sink", 2)])
def test_a_service_killed_mid_stream_resumes_quickly_and_writes_each_payee_once(
    settings: Settings, running: Services, tmp_path: Path, service: str, version: int
) -> None:
    batch_id, _, recovery = run_with_fault(
        settings, tmp_path, version, lambda: running.kill(service), lambda: running.restart(service)
    )
    print(f"\n{service} kill -9: next payee stored {recovery:.1f}s after the restart")
    assert outcomes(settings, batch_id) == {"stored": COUNT - POISONED, "dead_letter": POISONED}


@pytest.mark.parametrize(
    ("what", "down", "up"),
    [
        ("broker kill -9", PrivateStack.kill_kafka, PrivateStack.start_kafka),
        ("PostgreSQL immediate stop", PrivateStack.crash_postgres, PrivateStack.start_postgres),
    ],
)
def test_an_outage_of_10s_is_waited_out_without_restarting_anything(
    settings: Settings,
    running: Services,
    test_stack: PrivateStack,
    tmp_path: Path,
    what: str,
    down: Callable[[PrivateStack], None],
    up: Callable[[PrivateStack], None],
) -> None:
    def restart() -> None:
        time.sleep(10)  # the outage itself: its length is what is tested, not a wait for anything
        up(test_stack)

    version = 3 if "broker" in what else 4
    _, _, recovery = run_with_fault(settings, tmp_path, version, lambda: down(test_stack), restart)
    print(f"\n{what}, 10 s down: next payee stored {recovery:.1f}s after it was back")
    assert running.alive("worker") and running.alive("sink")


def test_poison_in_the_stream_is_dead_lettered_at_the_first_stage(
    settings: Settings, running: Services, tmp_path: Path
) -> None:
    p = settings.topic_prefix
    lines = [
        {"payee_id": f"{p}nul", "name": "ACME SUPPLY LLC", "address": "1 MAIN\u0000 ST"},
        {"payee_id": p + random.Random(2).randbytes(5_000).hex(), "name": "ACME SUPPLY LLC"},
        {"payee_id": f"{p}far", "name": "ACME SUPPLY LLC", "version": str(2**63 - 1)},
        *({"payee_id": f"{p}ok{i}", "name": f"GOOD SUPPLIER {i} LLC"} for i in range(49)),
        {"payee_id": f"{p}okutf8", "name": "CAFÉ NUÑEZ LLC"},
    ]
    path = tmp_path / "poison.jsonl"
    broken = b'{"payee_id": "x", "name": "CAF\xc9 \xff"}\n'  # not UTF-8, in a UTF-8 file
    path.write_bytes("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines).encode() + broken)
    result = asyncio.run(ingest_file(settings, path, progress=False))
    assert (result.produced, result.rejected) == (53, 1)
    wait_until(lambda: sum(outcomes(settings, result.batch_id).values()) == 53)
    assert outcomes(settings, result.batch_id) == {"stored": 50, "dead_letter": 3}
    wait_until(
        lambda: (
            query(
                settings,
                "SELECT payload FROM dead_letters WHERE batch_id = %s AND stage = 'ingest'",
                result.batch_id,
            )
            == [(broken,)]
        )
    )
    reasons = query(
        settings,
        "SELECT stage, reason FROM dead_letters WHERE batch_id = %s ORDER BY reason",
        result.batch_id,
    )
    assert sorted(reasons) == [
        ("exclusion", "control_characters"),
        ("exclusion", "field_too_long"),
        ("exclusion", "version_out_of_range"),
        ("ingest", "undecodable_text"),
    ]


def test_rows_the_database_refuses_are_isolated_and_the_partition_flows_on(
    settings: Settings, running: Services
) -> None:
    """Records that passed no validation (another producer wrote them) reach the sink itself."""
    stages = Pipeline(
        Screener.from_file(), Classifier.load(), Matcher.from_csv(EXAMPLES / "suppliers.csv"), Enricher()
    )
    p = settings.topic_prefix
    records = [stages.process(raw_record(f"SINK TEST {i} LLC", f"{p}sink{i}")) for i in range(20)]
    for record in records:
        record["batch_id"] = f"{p}sinkbatch"
    records[5]["payee"]["address"] = "1 MAIN\u0000 ST"
    records[12]["payee_id"] = p + random.Random(1).randbytes(5_000).hex()  # no compression helps
    codec = codec_for(ENRICHED, settings)

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, acks="all")
        await producer.start()
        try:
            for record in records:  # one key: one partition, poison in the middle of it
                await producer.send_and_wait(settings.topic(ENRICHED), codec.encode(record), key=b"k")
        finally:
            await producer.stop()

    asyncio.run(produce())
    wait_until(lambda: sum(outcomes(settings, f"{p}sinkbatch").values()) == 20, timeout=60)
    assert outcomes(settings, f"{p}sinkbatch") == {"stored": 18, "dead_letter": 2}
    letters = query(
        settings,
        "SELECT stage, reason, length(payee_id), payload IS NOT NULL FROM dead_letters"
        " WHERE batch_id = %s ORDER BY reason",
        f"{p}sinkbatch",
    )
    assert [(stage, length <= 200, has_payload) for stage, _, length, has_payload in letters] == [
        ("sink", True, True),
        ("sink", True, True),
    ]
    assert {reason for _, reason, _, _ in letters} == {"db_client", "db_54000"}


def test_the_api_rides_out_a_database_restart(
    settings: Settings, test_stack: PrivateStack, tmp_path: Path
) -> None:
    """A restart leaves every pooled connection stale: the pool checks each as it hands it out and
    reconnects on its own, so once the database is back /ready recovers and no request fails."""

    async def at_once(url: str, headers: dict[str, str], count: int) -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            answers = await asyncio.gather(
                *(client.get(f"{url}/payees", params={"limit": 1}, headers=headers) for _ in range(count))
            )
        return [a.status_code for a in answers]

    with api_service(settings, tmp_path / "api.log") as url:
        _, secret = keys.create(settings.dsn, "faults", ["read"], "10000/second")
        headers = {"X-API-Key": secret}
        assert asyncio.run(at_once(url, headers, 40)) == [200] * 40  # the pool grown to its size
        test_stack.crash_postgres()
        try:
            down = httpx.get(f"{url}/payees", params={"limit": 1}, headers=headers, timeout=30)
            assert down.status_code == 503 and down.headers["Retry-After"]
            assert httpx.get(f"{url}/ready", timeout=30).json()["postgres"] is False
        finally:
            test_stack.start_postgres()
        wait_until(lambda: _database_answers(settings), timeout=60)  # back
        # the pool reconnects at its next attempt (psycopg_pool retries after 1 s, then 2, 4…: a
        # slow restart may leave it some seconds behind the database)
        wait_until(lambda: httpx.get(f"{url}/ready", timeout=30).json()["postgres"], timeout=60)
        answers = asyncio.run(at_once(url, headers, 40))
    assert answers == [200] * 40


def _database_answers(settings: Settings) -> bool:
    try:
        with psycopg.connect(settings.dsn, connect_timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False
