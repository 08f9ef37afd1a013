"""The card network's client against the local fake: signed requests, the bulk-search round trip,
retries, and the refusals a caller must survive; how often a pending job is polled."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from payeeflow.agents.corrections import name_key
from payeeflow.agents.enrichment.jobs import RECORDS, Job, Jobs, pack_records, unpack_records
from payeeflow.agents.enrichment.payment import takes_cards
from payeeflow.agents.providers import workflow as providers
from payeeflow.agents.providers.cardnetwork import CardNetworkClient, ProviderError, Search
from payeeflow.config import Settings
from tests.conftest import MOCK_REGISTRY, raw_record
from tests.fakes.cardnetwork_server import FakeCardNetwork
from tests.unit.test_schemas import SECTIONS

SEARCHES = [Search("p1", "ACME SUPPLY INC", "1 MAIN ST", "AUSTIN", "TX", "78701"), Search("p2", "JOHN SMITH")]


def client(fake: FakeCardNetwork, key_file: Path | None = None) -> CardNetworkClient:
    settings = Settings(
        card_network_url=fake.base_url,
        card_network_consumer_key="consumer-key",
        card_network_signing_key_file=key_file or fake.key_file,
        card_network_retries=2,
    )
    return CardNetworkClient(settings)


async def test_a_bulk_search_is_submitted_polled_and_read(card_network: FakeCardNetwork) -> None:
    card_network.reset(pending_polls=1)
    network = client(card_network)
    job = await network.submit(SEARCHES)
    assert await network.status(job) == "PENDING"
    assert await network.status(job) == "COMPLETED"
    answers = await network.results(job)
    assert takes_cards(answers["p1"].to_record()) and answers["p1"].purchase_card_level == 3
    assert not answers["p2"].matched and not takes_cards(answers["p2"].to_record())
    assert card_network.submissions == [["p1", "p2"]] and card_network.refused_signatures == 0
    await network.close()


async def test_a_request_signed_with_another_key_is_refused(
    card_network: FakeCardNetwork, tmp_path: Path
) -> None:
    card_network.reset()
    other = tmp_path / "other.pem"
    other.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    network = client(card_network, other)
    with pytest.raises(ProviderError, match="HTTP 401"):
        await network.submit(SEARCHES)
    assert card_network.refused_signatures == 1 and card_network.submissions == []
    await network.close()


async def test_429_and_500_are_retried_and_a_malformed_or_lost_job_is_an_error(
    card_network: FakeCardNetwork,
) -> None:
    card_network.reset("429", "500")
    network = client(card_network)
    job = await network.submit(SEARCHES)  # third attempt
    assert card_network.submissions == [["p1", "p2"]]
    card_network.reset("malformed")
    with pytest.raises(ProviderError, match="not JSON"):
        await network.status(job)
    card_network.reset("500", "500", "500")
    with pytest.raises(ProviderError, match="after 3 attempts"):
        await network.submit(SEARCHES)
    assert card_network.submissions == []
    job = await network.submit(SEARCHES)
    card_network.lose(job)
    with pytest.raises(ProviderError, match="HTTP 404"):
        await network.status(job)
    await network.close()


async def test_a_job_that_stays_pending_is_polled_less_often(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``poll_seconds`` at first, doubled after each PENDING up to ``poll_max_seconds``: a
    job the network holds for its 25 minutes costs a few dozen polls, not one a tick."""
    polled: list[float] = []
    clock = [1_000.0]

    class Pending:
        async def status(self, job_id: str) -> str:
            polled.append(clock[0] - 1_000)
            return "PENDING"

    monkeypatch.setattr(providers.time, "time", lambda: clock[0])
    settings = Settings(
        card_network_poll_seconds=1, card_network_poll_max_seconds=5, schema_registry_url=MOCK_REGISTRY
    )
    slow = providers.SlowProviders(None, settings, "payees.matched", card_client=Pending())  # type: ignore[arg-type]
    job = Job("p0-0-9", 0, 9, [], card=True, job_id="job-1")
    for second in range(30):  # the timer's ticks
        clock[0] = 1_000.0 + second
        await slow._advance(job)
    assert polled == [0, 1, 3, 7, 12, 17, 22, 27]


def test_a_job_reads_back_from_its_messages_as_it_was_written() -> None:
    job = Job(
        "p1-0-99", 1, 99, [bytes(range(256)), b"", b"x" * 70_000], addressed=False, card=True, job_id="j"
    )
    job.searches = [["p1", "ACME SUPPLY INC", "1 MAIN ST", "AUSTIN", "TX", "78701", None]]
    state = json.loads(json.dumps(job.to_json()))
    assert "records" not in state  # the records have a message of their own
    assert unpack_records(pack_records(job.records, 3)) == (3, job.records)
    assert Job.from_json(state, job.records) == job


def _state(job: Job) -> bytes:
    return json.dumps(job.to_json()).encode()


def test_the_jobs_feed_keeps_the_newest_state_and_never_revives_a_done_job() -> None:
    """A worker reads its own writes back late: the state written before a submission must not
    replace the job it holds with its id, nor a late state bring back a job already done."""
    jobs = Jobs()
    held = jobs.open(0, [(5, b"r")], addressed=True, card=True)
    sent = Job(held.key, 0, 5, [b"r"], card=True, submitted_at=1.0, version=2)  # written ahead
    held.submitted_at, held.job_id, held.version = 1.0, "job-1", 3  # then written with its id
    jobs.apply(held.key, _state(sent))
    assert jobs.jobs[held.key] is held
    moved = Job(held.key, 0, 5, [b"r"], card=True, job_id="job-2", version=4)  # another worker's
    jobs.apply(held.key, _state(moved))
    assert jobs.jobs[held.key].job_id == "job-2" and jobs.jobs[held.key].records == [b"r"]
    jobs.done(held.key)
    jobs.apply(held.key + RECORDS, pack_records([b"r"], 1))
    jobs.apply(held.key, _state(moved))
    assert held.key not in jobs.jobs and jobs.seen(0, 5)


def test_a_jobs_records_go_with_its_next_state_and_stale_ones_never_replace_newer() -> None:
    """Records come before their state; a process reading back the records a job opened with,
    after it validated their addresses, keeps the validated ones."""
    jobs = Jobs()
    opened = Job("p0-0-1", 0, 1, [b"a", b"b"], addressed=False, card=True)
    for key, value in opened.written(records=True):  # another process opened it
        jobs.apply(key, value)
    held = jobs.jobs[opened.key]
    assert held.records == [b"a", b"b"] and not held.addressed
    held.records, held.addressed = [b"A", b"B"], True  # validated here
    held.written(records=True)
    held.written(records=False)
    for key, value in Job("p0-0-1", 0, 1, [b"a", b"b"], addressed=False, card=True).written(True):
        jobs.apply(key, value)  # the open, read back late
    assert jobs.jobs[opened.key] is held and jobs.jobs[opened.key].records == [b"A", b"B"]
    assert not jobs.arrived
    elsewhere = Job(opened.key, 0, 1, [b"A2", b"B2"], card=True, version=4)  # after a rebalance
    for key, value in elsewhere.written(records=True):
        jobs.apply(key, value)
    assert jobs.jobs[opened.key].records == [b"A2", b"B2"]


@pytest.mark.parametrize("order", [(0, 1, 2, 3), (2, 3, 0, 1), (2, 0, 1, 3), (0, 2, 1, 3), (2, 0, 3, 1)])
def test_a_jobs_messages_read_in_any_order_give_its_validated_records(order: tuple[int, ...]) -> None:
    """The enrichment chain's producer opens a job and the timer's writes it validated, so the
    open can land after the validation: a restarted worker must not answer the card network's
    payees from the records before validation (their answer would lose the address's)."""
    job = Job("p0-29-31", 0, 31, [b"waits-for-both"], addressed=False, card=True)
    opening = job.written(records=True)
    job.records, job.addressed = [b"waits-for-card"], True
    messages = [*opening, *job.written(records=True)]
    jobs = Jobs()
    for i in order:
        jobs.apply(*messages[i])
    read = jobs.jobs["p0-29-31"]
    assert (read.records, read.addressed, read.version) == ([b"waits-for-card"], True, 2)
    assert not jobs.arrived


def test_a_job_written_with_its_records_inside_still_reads() -> None:
    """Jobs pending when a worker of the previous version stopped carried their records in
    their state, as base64."""
    old = {**Job("p2-7-8", 2, 8, [], card=True, job_id="j", version=2).to_json()}
    old["records"] = [base64.b64encode(b"\x00rec").decode()]
    jobs = Jobs()
    jobs.apply("p2-7-8", json.dumps(old).encode())
    assert jobs.jobs["p2-7-8"].records == [b"\x00rec"] and jobs.jobs["p2-7-8"].job_id == "j"


async def test_payees_answered_by_name_since_their_job_opened_are_answered_without_a_search() -> None:
    """A name the card network answered after a job opened is answered from the cache when the
    job is submitted (a providers process sees every answer, the enrichment worker none), and
    the job's settlement leaves it alone."""
    settings = Settings(schema_registry_url=MOCK_REGISTRY)
    slow = providers.SlowProviders(None, settings, "payees.matched", card_client=object())  # type: ignore[arg-type]
    sent: list[str] = []
    written: list[list[str]] = []

    async def send(topic: str, key: str, value: bytes | None, partition: int | None = None) -> None:
        if topic == slow.enriched:
            sent.append(key)
        elif value is not None:
            written.append([s[0] for s in json.loads(value)["searches"]])

    slow._send = send  # type: ignore[method-assign]
    records = []
    for payee_id, name in (("p1", "ACME SUPPLY INC"), ("p2", "ZENITH TOOLS LLC")):
        record = {**raw_record(name, payee_id), **copy.deepcopy(SECTIONS)}
        record["enrichment"].update(providers_pending=["card_network"], card_network=None)
        records.append(slow.codec.encode(record))
    job = Job("p0-0-1", 0, 1, records, card=True)
    job.searches = [
        ["p1", "ACME SUPPLY INC", None, None, None, None, None],
        ["p2", "ZENITH TOOLS LLC"] + [None] * 5,
    ]
    card = {**SECTIONS["enrichment"]["card_network"], "matched_name": "ACME SUPPLY"}
    slow.card_guard.cache[name_key("ACME SUPPLY, INC.")] = card

    assert await slow._known(job) is False  # one payee is left to search
    assert sent == ["p1"] and job.answered == ["p1"] and written == [["p2"]]
    await slow._settle(job, {"p2": card}, "answered")
    assert sent == ["p1", "p2"]  # p1 not answered twice
