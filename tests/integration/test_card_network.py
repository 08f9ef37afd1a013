"""The card network's search through the real broker, worker, sink and PostgreSQL, against the
local fake network: payees are stored at once with the search pending and get their answer as a
second version; a worker killed with ``kill -9`` while jobs are pending resumes them after its
restart without submitting any twice."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from payeeflow.config import Settings
from payeeflow.connectors.ingest import ingest_file
from tests.fakes.cardnetwork_server import FakeCardNetwork
from tests.integration.conftest import Services, free_port, wait_until


@pytest.fixture(scope="module")
def searching(settings: Settings, services: Services, card_network: FakeCardNetwork) -> Services:
    """A fused worker with the card network on (10 payees a job, polled twice a second), and the sink."""
    card_network.reset(hold=True)
    env = {
        "PAYEEFLOW_CARD_NETWORK_ENABLED": "true",
        "PAYEEFLOW_CARD_NETWORK_URL": card_network.base_url,
        "PAYEEFLOW_CARD_NETWORK_CONSUMER_KEY": "consumer-key",
        "PAYEEFLOW_CARD_NETWORK_SIGNING_KEY_FILE": str(card_network.key_file),
        "PAYEEFLOW_CARD_NETWORK_BATCH_SIZE": "10",
        "PAYEEFLOW_CARD_NETWORK_BATCH_WAIT": "0.5",
        "PAYEEFLOW_CARD_NETWORK_POLL_SECONDS": "0.5",
    }
    services.start("worker", "worker", "--stage", "all", env=env)
    services.start("sink", "sink", "--metrics-port", str(free_port()))
    services.wait_ready(settings.worker_web_port)
    return services


def payee_file(path: Path, prefix: str, word: str, count: int) -> Path:
    """Businesses no supplier network knows, named after ``word`` (the worker caches answers by
    name): every other one a merchant the card network has."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["payee_id", "name", "address", "city", "state", "zip"])
        for i in range(count):
            name = f"{word} VENDOR {i} SUPPLY" + (" INC" if i % 2 == 0 else " SERVICES")
            writer.writerow([f"{prefix}-{i}", name, "419 W 4TH ST", "CHICAGO", "IL", "60601"])
    return path


def rows(settings: Settings, prefix: str) -> list[tuple]:
    with psycopg.connect(settings.dsn) as conn:
        return conn.execute(
            "SELECT payee_id, providers_pending, payment_method, card_network->>'outcome'"
            " FROM payees WHERE payee_id LIKE %s",
            (prefix + "-%",),
        ).fetchall()


def settled(settings: Settings, prefix: str) -> list[tuple] | None:
    """The payees' rows once none waits for the card network any more."""
    found = rows(settings, prefix)
    return found if found and all(not r[1] for r in found) else None


def referenced(card_network: FakeCardNetwork, prefix: str) -> Counter[str]:
    return Counter(ref for job in card_network.submissions for ref in job if ref.startswith(prefix + "-"))


@pytest.fixture
def held(card_network: FakeCardNetwork) -> Iterator[FakeCardNetwork]:
    card_network.reset(hold=True)
    yield card_network
    card_network.release()


def test_payees_are_stored_pending_then_answered(
    settings: Settings, searching: Services, held: FakeCardNetwork, tmp_path: Path
) -> None:
    prefix = settings.topic_prefix + "cards"
    asyncio.run(ingest_file(settings, payee_file(tmp_path / "p.csv", prefix, "ALPHA", 60), progress=False))
    first = wait_until(lambda: len(found := rows(settings, prefix)) == 60 and found)
    assert {tuple(r[1]) for r in first} == {("card_network",)}  # stored at once, the search pending
    assert {r[2] for r in first} == {"CHECK"}
    wait_until(lambda: sum(referenced(held, prefix).values()) == 60)  # every one submitted, held
    held.release()
    answered = wait_until(lambda: settled(settings, prefix))
    methods = Counter(
        (r[0].rsplit("-", 1)[1] in {str(i) for i in range(0, 60, 2)}, r[2], r[3]) for r in answered
    )
    assert methods == {(True, "CARD", "answered"): 30, (False, "CHECK", "answered"): 30}
    assert set(referenced(held, prefix).values()) == {1}  # each payee searched once
    assert held.refused_signatures == 0


def test_a_worker_killed_while_jobs_are_pending_resumes_them_and_submits_none_twice(
    settings: Settings, searching: Services, held: FakeCardNetwork, tmp_path: Path
) -> None:
    prefix = settings.topic_prefix + "kill"
    asyncio.run(ingest_file(settings, payee_file(tmp_path / "k.csv", prefix, "BRAVO", 200), progress=False))
    wait_until(lambda: sum(referenced(held, prefix).values()) == 200)  # every one submitted, held
    jobs = len(held.submissions)
    assert jobs >= 20  # of at most 10 payees each
    searching.kill("worker")
    searching.restart("worker")
    searching.wait_ready(settings.worker_web_port)
    held.release()
    done = wait_until(lambda: settled(settings, prefix))
    assert len(done) == 200 and {r[3] for r in done} == {"answered"}
    assert len(held.submissions) == jobs and set(referenced(held, prefix).values()) == {1}
    with psycopg.connect(settings.dsn) as conn:  # one row per payee, and each batch member once
        [(members,)] = conn.execute(
            "SELECT count(*) FROM batch_payees WHERE payee_id LIKE %s", (prefix + "-%",)
        ).fetchall()
    assert members == 200
