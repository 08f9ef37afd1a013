"""Stage agents under Faust's ``test_context()``: no broker, fakes of the two producers (the stage
topics' and Faust's, for the dead letters) record the sends."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import faust
import pytest

from payeeflow.agents.corrections import Correction, Corrections
from payeeflow.config import Settings
from payeeflow.connectors.feeds import CorrectionFeed
from payeeflow.schemas import codec_for
from payeeflow.streams.worker import build_worker_app
from tests.conftest import EXAMPLES, MOCK_REGISTRY, raw_record
from tests.fakes.openai_server import FakeOpenAI


class FakeProducer:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes, Any]] = []

    async def send(
        self, topic: str, key: bytes | None, value: bytes, partition: Any, timestamp: Any, headers: Any
    ) -> asyncio.Future:
        self.sent.append((topic, key, value, headers))
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


class FakeSender:
    """The stage topics' sends, recorded into the same list as the dead letters'."""

    def __init__(self, producer: FakeProducer) -> None:
        self.producer = producer

    def send(self, topic: str, key: bytes | None, value: bytes | None, partition: int | None = None) -> None:
        self.producer.sent.append((topic, key, value, partition))

    async def delivered(self) -> None:
        return None


def worker_app(
    settings: Settings, names: list[str], corrections: Sequence[Correction] = ()
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
        app = build_worker_app(settings, names, sender=FakeSender(producer))
    app.producer = producer  # type: ignore[assignment]
    return app, producer


UNIT = Settings(topic_prefix="unit.", stage_batch_within=0.01, schema_registry_url=MOCK_REGISTRY)


@pytest.fixture
def app_and_producer() -> tuple[faust.App, FakeProducer]:
    app, producer = worker_app(UNIT, ["exclusion"])
    app.conf.store = "memory://"
    return app, producer


async def run_agent(app: faust.App, values: list[bytes], stage: str = "exclusion") -> None:
    agent = app.agents[f"stage-{stage}"]
    async with agent.test_context() as test_agent:
        for i, value in enumerate(values):
            await test_agent.put(value=value, key=f"k{i}".encode())
        await asyncio.sleep(0.2)  # let take_events flush its batch


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
