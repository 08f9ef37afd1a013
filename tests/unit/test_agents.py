"""Stage agents under Faust's ``test_context()``: no broker, a fake of the stage topics' sender
(which sends the dead letters too) records the sends; Faust's own producer must send nothing."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import faust
import pytest
from confluent_kafka import KafkaError, KafkaException

from payeeflow.agents.corrections import Correction, Corrections
from payeeflow.agents.feeds import CorrectionFeed
from payeeflow.config import Settings
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import CLASSIFIED, DLQ, ENRICHED, MATCHED, SCREENED
from payeeflow.streams.worker import build_worker_app
from tests.conftest import EXAMPLES, MOCK_REGISTRY, raw_record, wait_until_async
from tests.fakes.openai_server import FakeOpenAI


class FakeProducer:
    """Faust's producer, whose sends no delivery check covers: the stages must not use it."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, Any]] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: Any, timestamp: Any, headers: Any
    ) -> asyncio.Future:
        raise AssertionError(f"sent to {topic} through Faust's producer, unchecked")


class FakeSender:
    """The stage topics' and dead letters' sends, recorded (with their headers) into the
    producer's list; a value over ``limit`` bytes raises as librdkafka's ``produce`` does."""

    def __init__(self, producer: FakeProducer, limit: int | None = None) -> None:
        self.producer = producer
        self.limit = limit

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: list[tuple[str, Any]] | None = None,
    ) -> None:
        if self.limit is not None and len(value or b"") > self.limit:
            raise KafkaException(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
        self.producer.sent.append((topic, key, value, headers))

    async def delivered(self) -> None:
        return None


def worker_app(
    settings: Settings, names: list[str], corrections: Sequence[Correction] = (), limit: int | None = None
) -> tuple[faust.App, FakeProducer]:
    """The worker's app, its corrections feed read to the end of a topic holding ``corrections``."""
    producer = FakeProducer()
    follow = CorrectionFeed.__init__

    def read_to_end(feed: CorrectionFeed, settings: Settings, store: Corrections) -> None:
        follow(feed, settings, store)
        for correction in corrections:
            store.put(correction)
        feed.ready.set()

    with patch.object(CorrectionFeed, "__init__", read_to_end):
        app = build_worker_app(settings, names, sender=FakeSender(producer, limit))
    app.producer = producer  # type: ignore[assignment]
    return app, producer


UNIT = Settings(topic_prefix="unit.", stage_batch_within=0.01, schema_registry_url=MOCK_REGISTRY)


@pytest.fixture
def app_and_producer() -> tuple[faust.App, FakeProducer]:
    app, producer = worker_app(UNIT, ["exclusion"])
    app.conf.store = "memory://"
    return app, producer


STAGE_TARGETS = {
    "exclusion": SCREENED,
    "classification": CLASSIFIED,
    "matching": MATCHED,
    "enrichment": ENRICHED,
}


async def run_agent(app: faust.App, values: list[bytes], stage: str = "exclusion") -> None:
    """Put ``values`` to the agent of ``stage`` (stages joined by ``+``: a fused chain) and return
    once each has come out: on the last stage's topic, or as a dead letter."""
    agent = app.agents[f"stage-{stage}"]
    sent = app.producer.sent  # the FakeSender's sends (worker_app)
    ends = ("." + STAGE_TARGETS[stage.rsplit("+", 1)[-1]], "." + DLQ)
    async with agent.test_context() as test_agent:
        for i, value in enumerate(values):
            await test_agent.put(value=value, key=f"k{i}".encode())
        await wait_until_async(lambda: sum(topic.endswith(ends) for topic, *_ in sent) >= len(values))


async def test_exclusion_agent_screens_and_forwards(app_and_producer: tuple[faust.App, FakeProducer]) -> None:
    app, producer = app_and_producer
    await run_agent(app, [codec_for("payees.raw", UNIT).encode(raw_record("INTERNAL REVENUE SERVICE"))])
    [(topic, key, value, _)] = producer.sent
    assert topic == "unit.payees.screened" and key == b"k0"
    record = codec_for("payees.screened", UNIT).decode(value)
    assert record["screening"]["category"] == "tax_authority"


async def test_poison_goes_to_the_dead_letter_topic_and_the_rest_flows(
    app_and_producer: tuple[faust.App, FakeProducer],
) -> None:
    app, producer = app_and_producer
    raw = codec_for("payees.raw", UNIT)
    await run_agent(
        app,
        [
            raw.encode(raw_record("", payee_id="empty")),
            b"not avro",
            raw.encode(raw_record("ACME LLC", payee_id="ok")),
        ],
    )
    topics = [sent[0] for sent in producer.sent]
    assert topics.count("unit.payees.dlq") == 2 and topics.count("unit.payees.screened") == 1
    letters = [
        codec_for("payees.dlq", UNIT).decode(v) for t, _, v, _ in producer.sent if t == "unit.payees.dlq"
    ]
    assert {letter["reason"] for letter in letters} == {"empty_name", "undecodable"}
    empty = next(letter for letter in letters if letter["reason"] == "empty_name")
    assert empty["payee_id"] == "empty" and empty["stage"] == "exclusion"
    assert empty["payload"] == raw.encode(raw_record("", payee_id="empty"))
    headers = next(h for t, _, _, h in producer.sent if t == "unit.payees.dlq")
    assert ("stage", b"exclusion") in headers


async def test_a_record_too_large_for_the_broker_is_dead_lettered_cut_and_the_rest_flows() -> None:
    """Its stage record is refused by the sender, its dead letter (the record and more) would be
    too: the letter goes cut, with the size and hash of the whole, and the agent carries on."""
    settings = UNIT.model_copy(update={"kafka_max_message_bytes": 100_000})
    app, producer = worker_app(settings, ["exclusion"], limit=100_000)
    raw = codec_for("payees.raw", settings)
    big = raw_record("ACME LLC", payee_id="big")
    big["payee"]["extra"] = {"notes": "€" * 60_000}  # within the 64 K characters, 180 KB
    await run_agent(app, [raw.encode(big), raw.encode(raw_record("ACME LLC", payee_id="ok"))])
    [(_, _, value, _)] = [sent for sent in producer.sent if sent[0] == "unit.payees.dlq"]
    assert value is not None and len(value) <= 100_000 - 1024
    letter = codec_for("payees.dlq", settings).decode(value)
    whole = raw.encode(big)
    assert (letter["payee_id"], letter["reason"], letter["offset"]) == ("big", "stage_error", 0)
    assert "MSG_SIZE_TOO_LARGE" in letter["error"] and whole.startswith(letter["payload"])
    assert letter["payload_size"] == len(whole)
    assert letter["payload_sha256"] == hashlib.sha256(whole).hexdigest()
    assert [t for t, *_ in producer.sent].count("unit.payees.screened") == 1


async def test_classification_agent_asks_the_llm_about_unsure_payees(fake: FakeOpenAI) -> None:
    fake.reset()
    settings = Settings(
        topic_prefix="unit.",
        stage_batch_within=0.01,
        llm_enabled=True,
        llm_base_url=fake.base_url,
        schema_registry_url=MOCK_REGISTRY,
    )
    app, producer = worker_app(settings, ["classification"])
    screened = codec_for("payees.screened", settings)
    unsure, sure = raw_record("ZZZ", payee_id="unsure"), raw_record("ACME PLUMBING LLC", payee_id="sure")
    for record in (unsure, sure):
        record["screening"] = {"excluded": False, "keyword": None, "category": None, "allow_listed": False}
    await run_agent(app, [screened.encode(unsure), screened.encode(sure)], "classification")
    out = {
        r["payee_id"]: r["classification"]
        for r in (
            codec_for("payees.classified", settings).decode(v)
            for t, _, v, _ in producer.sent
            if t == "unit.payees.classified"
        )
    }
    assert out["unsure"]["reason"].startswith("llm:") and out["unsure"]["payee_type"] == "BUSINESS"
    assert out["sure"]["reason"].startswith("model (business)")
    assert [r["messages"][-1]["content"] for r in fake.requests] == ["ZZZ"]


async def test_the_fused_chain_writes_every_stage_topic() -> None:
    settings = Settings(
        topic_prefix="unit.",
        stage_batch_within=0.01,
        network_file=EXAMPLES / "suppliers.csv",
        schema_registry_url=MOCK_REGISTRY,
    )
    app, producer = worker_app(settings, ["exclusion", "classification", "matching", "enrichment"])
    raw = codec_for("payees.raw", settings)
    await run_agent(
        app,
        [raw.encode(raw_record("REIGN MANAGEMENT GROUP")), raw.encode(raw_record(""))],
        "exclusion+classification+matching+enrichment",
    )
    topics = [t.removeprefix("unit.") for t, _, _, _ in producer.sent]
    assert topics.count("payees.dlq") == 1
    assert [t for t in topics if t != "payees.dlq"] == [
        "payees.screened",
        "payees.classified",
        "payees.matched",
        "payees.enriched",
    ]
    enriched = codec_for("payees.enriched", settings).decode(producer.sent[-1][2])
    assert enriched["match"]["supplier_id"] == "S0070001972"
    assert enriched["enrichment"]["payment_method"]


async def test_the_stages_apply_corrections_to_the_payee_and_its_name() -> None:
    settings = Settings(
        topic_prefix="unit.",
        stage_batch_within=0.01,
        network_file=EXAMPLES / "suppliers.csv",
        schema_registry_url=MOCK_REGISTRY,
    )
    when = datetime(2026, 11, 29, tzinfo=UTC)
    corrections = [
        # on one payee of this name: "not a supplier", and a person after all
        Correction(
            "p-1", "REIGN MANAGEMENT GROUP", "alice", when, payee_type="INDIVIDUAL", not_supplier=True
        ),
        # on another payee: its supplier
        Correction("p-2", "ACME WIDGETS", "bob", when, supplier_id="S0070001972", note="same EIN"),
    ]
    app, producer = worker_app(
        settings, ["exclusion", "classification", "matching", "enrichment"], corrections
    )
    raw = codec_for("payees.raw", settings)
    await run_agent(
        app,
        [
            raw.encode(raw_record("REIGN MANAGEMENT GROUP - AP DEPT", payee_id="p-9")),  # same name
            raw.encode(raw_record("ACME WIDGETS", payee_id="p-2")),  # same payee
            raw.encode(raw_record("REIGN MANAGEMENT GROUP INC", payee_id="p-3")),  # another name
        ],
        "exclusion+classification+matching+enrichment",
    )
    enriched = codec_for("payees.enriched", settings)
    out = {
        r["payee_id"]: r
        for r in (enriched.decode(v) for t, _, v, _ in producer.sent if t.endswith("enriched"))
    }
    same_name = out["p-9"]
    assert same_name["classification"]["payee_type"] == "INDIVIDUAL"
    assert same_name["classification"]["confidence"] == 1.0
    assert same_name["classification"]["reason"] == "set by reviewer alice on 2026-11-29"
    assert same_name["match"]["supplier_id"] is None and same_name["match"]["match_type"] == "none"
    chosen = out["p-2"]["match"]
    assert (chosen["supplier_id"], chosen["match_type"], chosen["score"]) == ("S0070001972", "exact", 100.0)
    assert chosen["supplier_name"] == "REIGN MANAGEMENT GROUP, INC"  # from the network
    assert chosen["candidates"][0]["evidence"] == ["set by reviewer bob on 2026-11-29: same EIN"]
    assert out["p-2"]["classification"]["reason"].startswith("model")  # its type was not corrected
    other = out["p-3"]  # a different name keeps the stages' own answers
    assert other["match"]["supplier_id"] == "S0070001972"
    assert other["classification"]["reason"].startswith("model (business)")
