"""The slow providers (address validation, the card network's search) through the real broker,
worker, sink and PostgreSQL, against their local fakes: payees are stored at once with both
pending and get each answer as a later version; a worker killed with ``kill -9`` while jobs are
pending resumes them after its restart without submitting any twice (and one killed before it read
the network's 202 sends that job again, counted); a failing address provider
leaves the offline verdict with its reason."""

from __future__ import annotations

import asyncio
import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from payeeflow.config import Settings
from payeeflow.connectors.files.ingest import ingest_file
from tests.fakes.address_server import API_KEY, FakeAddressValidation
from tests.fakes.cardnetwork_server import FakeCardNetwork
from tests.integration.conftest import Services, api, free_port, wait_until


@dataclass
class Searching:
    """The services with both providers on, and which of them advances the jobs."""

    services: Services
    advancer: str  # the process holding the jobs: "worker", or "providers" (its own process)
    port: int  # its /metrics
    tag: str  # in the payee ids, so the two layouts' payees never meet


@pytest.fixture(scope="module", params=["worker", "providers"])
def searching(
    request: pytest.FixtureRequest,
    settings: Settings,
    services: Services,
    card_network: FakeCardNetwork,
    address_validation: FakeAddressValidation,
) -> Iterator[Searching]:
    """A fused worker with both providers on (10 payees a job, advanced twice a second), and the
    sink; the jobs advanced by the worker, or by a providers process of their own."""
    card_network.reset(hold=True)
    address_validation.reset()
    env = {
        "PAYEEFLOW_ADDRESS_VALIDATION_ENABLED": "true",
        "PAYEEFLOW_ADDRESS_VALIDATION_URL": address_validation.base_url,
        "PAYEEFLOW_ADDRESS_VALIDATION_API_KEY": API_KEY,
        "PAYEEFLOW_ADDRESS_VALIDATION_RETRIES": "0",
        "PAYEEFLOW_ADDRESS_VALIDATION_BREAKER_FAILURES": "1000",
        "PAYEEFLOW_CARD_NETWORK_ENABLED": "true",
        "PAYEEFLOW_CARD_NETWORK_URL": card_network.base_url,
        "PAYEEFLOW_CARD_NETWORK_CONSUMER_KEY": "consumer-key",
        "PAYEEFLOW_CARD_NETWORK_SIGNING_KEY_FILE": str(card_network.key_file),
        "PAYEEFLOW_CARD_NETWORK_BATCH_SIZE": "10",
        "PAYEEFLOW_CARD_NETWORK_BATCH_WAIT": "0.5",
        "PAYEEFLOW_CARD_NETWORK_POLL_SECONDS": "0.5",
        "PAYEEFLOW_CARD_NETWORK_POLL_MAX_SECONDS": "2",
    }
    port = settings.worker_web_port
    if request.param == "providers":
        port = free_port()
        env |= {"PAYEEFLOW_PROVIDERS_PROCESS": "true", "PAYEEFLOW_PROVIDERS_WEB_PORT": str(port)}
        services.start("providers", "worker", "--stage", "providers", env=env)
    services.start("worker", "worker", "--stage", "all", env=env)
    services.start("sink", "sink", "--metrics-port", str(free_port()))
    services.wait_ready(settings.worker_web_port)
    services.wait_ready(port)
    yield Searching(services, request.param, port, request.param[0])
    services.stop()
    services.procs.clear()


def payee_file(path: Path, prefix: str, word: str, count: int, street: int = 100) -> Path:
    """Businesses no supplier network knows, named after ``word`` (the worker caches answers by
    name): every other one a merchant the card network has; each at its own street number (the
    worker caches addresses too), in long forms the address provider writes in USPS forms."""
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["payee_id", "name", "address", "city", "state", "zip"])
        for i in range(count):
            name = f"{word} VENDOR {i} SUPPLY" + (" INC" if i % 2 == 0 else " SERVICES")
            writer.writerow(
                [f"{prefix}-{i}", name, f"{street + i} WEST 4TH STREET", "CHICAGO", "IL", "60601"]
            )
    return path


def rows(settings: Settings, prefix: str) -> list[tuple]:
    with psycopg.connect(settings.dsn) as conn:
        return conn.execute(
            "SELECT payee_id, providers_pending, payment_method, card_network->>'outcome',"
            " address_validation->>'outcome', address_line, address_status"
            " FROM payees WHERE payee_id LIKE %s",
            (prefix + "-%",),
        ).fetchall()


def settled(settings: Settings, prefix: str) -> list[tuple] | None:
    """The payees' rows once none waits for the card network any more."""
    found = rows(settings, prefix)
    return found if found and all(not r[1] for r in found) else None


def referenced(card_network: FakeCardNetwork, prefix: str) -> Counter[str]:
    return Counter(ref for job in card_network.submissions for ref in job if ref.startswith(prefix + "-"))


def jobs_metric(searching: Searching, state: str) -> float:
    """The advancing process's count of its card-network jobs in a state, or of submissions in doubt."""
    text = httpx.get(f"http://127.0.0.1:{searching.port}/metrics", timeout=5).text
    name = (
        "payeeflow_provider_jobs_in_doubt_total"
        if state == "in_doubt"
        else f'payeeflow_provider_jobs{{state="{state}"}}'
    )
    found = [line.split()[-1] for line in text.splitlines() if line.startswith(name + " ")]
    return float(found[0]) if found else 0.0


@pytest.fixture
def held(card_network: FakeCardNetwork) -> Iterator[FakeCardNetwork]:
    card_network.reset(hold=True)
    yield card_network
    card_network.release()


def test_payees_are_stored_pending_then_answered(
    settings: Settings, searching: Searching, held: FakeCardNetwork, tmp_path: Path
) -> None:
    prefix = settings.topic_prefix + "cards" + searching.tag
    asyncio.run(ingest_file(settings, payee_file(tmp_path / "p.csv", prefix, "ALPHA", 60), progress=False))
    first = wait_until(lambda: len(found := rows(settings, prefix)) == 60 and found)
    assert {tuple(r[1]) for r in first} <= {("address_validation", "card_network"), ("card_network",)}
    assert {r[2] for r in first} == {"CHECK"}  # stored at once, the providers pending
    wait_until(lambda: sum(referenced(held, prefix).values()) == 60)  # every one submitted, held
    with api(settings) as client:
        waiting = client.get(f"/payees/{prefix}-0").json()
        assert waiting["providers_pending"] == ["card_network"] and waiting["card_network"] is None
        assert waiting["address_validation"]["outcome"] == "answered"  # validated while the network holds
        held.release()
        answered = wait_until(lambda: settled(settings, prefix))
        final = client.get(f"/payees/{prefix}-0").json()
    assert final["providers_pending"] == [] and final["card_network"]["merchant_id"]
    assert final["payment_method"] == "CARD"
    methods = Counter(
        (r[0].rsplit("-", 1)[1] in {str(i) for i in range(0, 60, 2)}, r[2], r[3]) for r in answered
    )
    assert methods == {(True, "CARD", "answered"): 30, (False, "CHECK", "answered"): 30}
    assert set(referenced(held, prefix).values()) == {1}  # each payee searched once
    assert held.refused_signatures == 0
    addresses = {(r[4], r[6]) for r in answered}
    assert addresses == {("answered", "complete")} and {r[5] for r in answered} == {
        f"{100 + i} W 4TH ST" for i in range(60)
    }


def test_a_worker_killed_while_jobs_are_pending_resumes_them_and_submits_none_twice(
    settings: Settings, searching: Searching, held: FakeCardNetwork, tmp_path: Path
) -> None:
    prefix = settings.topic_prefix + "kill" + searching.tag
    asyncio.run(ingest_file(settings, payee_file(tmp_path / "k.csv", prefix, "BRAVO", 200), progress=False))
    wait_until(lambda: sum(referenced(held, prefix).values()) == 200)  # every one submitted, held
    jobs = len(held.submissions)
    assert jobs >= 20  # of at most 10 payees each
    wait_until(lambda: jobs_metric(searching, "submitted") == jobs)  # each job id recorded: pending
    searching.services.kill(searching.advancer)
    searching.services.restart(searching.advancer)
    searching.services.wait_ready(searching.port)
    held.release()
    done = wait_until(lambda: settled(settings, prefix))
    assert len(done) == 200 and {r[3] for r in done} == {"answered"}
    assert len(held.submissions) == jobs and set(referenced(held, prefix).values()) == {1}
    with psycopg.connect(settings.dsn) as conn:  # one row per payee, and each batch member once
        [(members,)] = conn.execute(
            "SELECT count(*) FROM batch_payees WHERE payee_id LIKE %s", (prefix + "-%",)
        ).fetchall()
    assert members == 200


def test_a_worker_killed_before_it_records_accepted_jobs_sends_them_again_and_counts_them(
    settings: Settings, searching: Searching, held: FakeCardNetwork, tmp_path: Path
) -> None:
    """The card network takes no idempotency key: a job it accepted whose 202 the worker never
    read is in doubt, the one case of a job submitted twice, counted where an operator sees it."""
    prefix = settings.topic_prefix + "doubt" + searching.tag
    held.reset(hold=True)
    held.stall = 8.0  # below the client's 10 s timeout: the worker waits for each 202
    asyncio.run(
        ingest_file(settings, payee_file(tmp_path / "t.csv", prefix, "TANGO", 10, street=900), progress=False)
    )
    wait_until(lambda: held.submissions)
    searching.services.kill(searching.advancer)  # the jobs sent so far accepted, their ids never read
    wait_until(held.read_all_sent, timeout=10, every=0.05)  # a request on its way at the kill: in doubt too
    in_doubt = [tuple(job) for job in held.submissions]
    held.stall = 0.0
    searching.services.restart(searching.advancer)
    searching.services.wait_ready(searching.port)
    held.release()
    try:
        done = wait_until(lambda: settled(settings, prefix))
    except AssertionError:  # what the table holds, and the jobs' steps, say where the answers stopped
        steps = (searching.services.log_dir / f"{searching.advancer}.log").read_text(errors="replace")
        said = [line for line in steps.splitlines() if "provider" in line or "card-network" in line]
        raise AssertionError(f"not settled: {rows(settings, prefix)}\n" + "\n".join(said[-60:])) from None
    assert len(done) == 10 and {r[3] for r in done} == {"answered"}
    sent = Counter(tuple(job) for job in held.submissions)
    assert {job: sent[job] for job in in_doubt} == dict.fromkeys(in_doubt, 2)
    assert sum(sent.values()) == len(sent) + len(in_doubt)  # every other job sent once
    # Every job the network saw before the kill is in doubt; so is one whose sending the worker
    # wrote ahead but whose request the kill cut off (sent once, after the restart).
    assert len(in_doubt) <= jobs_metric(searching, "in_doubt") <= len(sent)


def test_a_failing_address_provider_leaves_the_offline_verdict_with_its_reason(
    settings: Settings,
    searching: Searching,
    address_validation: FakeAddressValidation,
    card_network: FakeCardNetwork,
    tmp_path: Path,
) -> None:
    prefix = settings.topic_prefix + "down" + searching.tag
    card_network.reset()  # answers at once
    address_validation.reset(failing=True)
    try:
        asyncio.run(
            ingest_file(settings, payee_file(tmp_path / "d.csv", prefix, "DELTA", 20), progress=False)
        )
        done = wait_until(lambda: settled(settings, prefix))
    finally:
        address_validation.reset()
    assert {r[4] for r in done} == {"failed"} and {r[3] for r in done} == {"answered"}
    assert {r[6] for r in done} == {"complete"}  # the offline verdict and USPS forms stand
    assert {r[5] for r in done} == {f"{100 + i} W 4TH ST" for i in range(20)}
