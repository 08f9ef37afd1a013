"""The LLM fallback against a local fake of the chat-completions API, failures included."""

from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client import REGISTRY

from payeeflow.agents.classification.llm import LLMFallback
from payeeflow.config import Settings
from tests.fakes.openai_server import FakeOpenAI

UNSURE = {
    "payee_type": "UNKNOWN",
    "confidence": 0.4,
    "reason": "offline",
    "sic_code": None,
    "sic_description": None,
}
SURE = {**UNSURE, "payee_type": "INDIVIDUAL", "confidence": 0.99}


@pytest.fixture
def fallback(fake: FakeOpenAI) -> LLMFallback:
    fake.reset()
    settings = Settings(
        llm_enabled=True,
        llm_base_url=fake.base_url,
        llm_model="fake-model",
        llm_timeout=1.0,
        llm_retries=2,
        llm_budget=3.0,
        llm_concurrency=2,
        llm_breaker_failures=3,
        llm_breaker_reset=60,
    )
    return LLMFallback(settings)


async def test_a_confident_offline_answer_is_not_sent(fallback: LLMFallback, fake: FakeOpenAI) -> None:
    assert await fallback.refine("JOHN SMITH", SURE) == SURE
    assert fake.requests == []


async def test_an_unsure_payee_is_asked_in_the_documented_shape(
    fallback: LLMFallback, fake: FakeOpenAI
) -> None:
    result = await fallback.refine("ZYNTREX", UNSURE)
    assert result["payee_type"] == "BUSINESS" and result["confidence"] == 0.97
    assert result["reason"].startswith("llm: a trade name")
    [request] = fake.requests
    assert request["model"] == "fake-model"
    assert request["response_format"] == {"type": "json_object"}
    assert request["messages"][-1] == {"role": "user", "content": "ZYNTREX"}


async def test_rate_limits_are_retried_with_backoff(fallback: LLMFallback, fake: FakeOpenAI) -> None:
    fake.reset("429", "429", "ok")
    assert (await fallback.refine("ZYNTREX", UNSURE))["payee_type"] == "BUSINESS"
    assert len(fake.requests) == 3


@pytest.mark.parametrize("failure", ["500", "malformed", "badshape"])
async def test_failures_leave_the_offline_answer(
    fallback: LLMFallback, fake: FakeOpenAI, failure: str
) -> None:
    fake.reset(*[failure] * 3)
    assert await fallback.refine("ZYNTREX", UNSURE) == UNSURE


async def test_a_slow_service_is_cut_by_the_time_budget(fallback: LLMFallback, fake: FakeOpenAI) -> None:
    fake.reset("slow", "slow", "slow")
    started = time.monotonic()
    assert await fallback.refine("ZYNTREX", UNSURE) == UNSURE
    assert time.monotonic() - started < 3.5  # the budget, not the server's 30 s


async def test_the_circuit_opens_after_repeated_failures(fallback: LLMFallback, fake: FakeOpenAI) -> None:
    fake.reset(*["500"] * 30)
    for i in range(5):
        assert await fallback.refine(f"NAME {i}", UNSURE) == UNSURE
    asked = len(fake.requests)
    assert asked == 3 * 3  # three failures (each tried 1 + 2 retries), then the circuit is open
    assert await fallback.refine("ANOTHER", UNSURE) == UNSURE
    assert len(fake.requests) == asked


async def test_answers_are_cached(fallback: LLMFallback, fake: FakeOpenAI) -> None:
    await fallback.refine("ZYNTREX", UNSURE)
    await fallback.refine("zyntrex", UNSURE)
    assert len(fake.requests) == 1


async def test_concurrency_is_limited(fallback: LLMFallback, fake: FakeOpenAI) -> None:
    results = await asyncio.gather(*(fallback.refine(f"NAME {i}", UNSURE) for i in range(8)))
    assert all(r["payee_type"] == "BUSINESS" for r in results)
    assert len(fake.requests) == 8
    assert fake.max_in_flight <= 2


async def test_past_its_daily_budget_the_offline_answer_stands(fake: FakeOpenAI) -> None:
    fake.reset()
    settings = Settings(llm_enabled=True, llm_base_url=fake.base_url, llm_daily_budget=2)
    fallback = LLMFallback(settings)
    answers = [await fallback.refine(f"NAME {i}", UNSURE) for i in range(4)]
    assert [a["payee_type"] for a in answers] == ["BUSINESS", "BUSINESS", "UNKNOWN", "UNKNOWN"]
    assert len(fake.requests) == 2
    assert REGISTRY.get_sample_value(
        "payeeflow_provider_skipped_total", {"provider": "llm", "reason": "over_budget"}
    )
