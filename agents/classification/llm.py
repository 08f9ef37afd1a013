"""Optional LLM fallback for low-confidence payees, over any OpenAI-compatible API (off by default).

Only payees the offline model is unsure of are asked. Each request is bounded: the ``openai``
client's own retries with backoff (429, 5xx, timeouts), a per-request timeout, an overall time
budget after which the offline answer stands, and the provider's ``Guard`` (concurrency, rate,
daily budget, a bounded TTL cache of answers, a circuit breaker). Any failure leaves the offline
answer in place: the LLM can only refine a classification, never lose one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Literal

import openai
from pydantic import BaseModel, Field, ValidationError

from payeeflow.agents.providers.guards import Guard
from payeeflow.config import Settings
from payeeflow.metrics import PROVIDER_CALLS, PROVIDER_SECONDS

log = logging.getLogger(__name__)

PROMPT = (
    "You classify accounts-payable payee names. Answer with one JSON object: "
    '{"payee_type": "INDIVIDUAL" | "BUSINESS" | "GOVERNMENT", "confidence": number 0..1, '
    '"reason": short text}. INDIVIDUAL is a natural person (also couples, sole proprietors paid '
    "under their own name); BUSINESS is any company, firm, non-profit or professional corporation; "
    "GOVERNMENT is any federal, state, county, city, school or special-district body."
)


PROVIDER = "llm"


class Answer(BaseModel):
    payee_type: Literal["INDIVIDUAL", "BUSINESS", "GOVERNMENT"]
    confidence: float = Field(ge=0, le=1)
    reason: str = Field(max_length=300)


class LLMFallback:
    def __init__(self, settings: Settings, client: openai.AsyncOpenAI | None = None) -> None:
        self.settings = settings
        self.client = client or openai.AsyncOpenAI(
            base_url=settings.llm_base_url,
            api_key=settings.llm_api_key.get_secret_value(),
            timeout=settings.llm_timeout,
            max_retries=settings.llm_retries,
        )
        self.guard = Guard(PROVIDER, settings)

    async def refine(self, name: str, offline: dict[str, Any]) -> dict[str, Any]:
        """The offline ``classification`` section, replaced by the LLM's answer when it has one."""
        if offline["confidence"] >= self.settings.llm_below:
            return offline
        key = name.strip().upper()
        answer: Answer | None = self.guard.cache.get(key)
        if answer is None:
            if self.guard.refusal() is not None:
                return offline
            started = time.perf_counter()
            try:
                answer = await asyncio.wait_for(self._ask(name), self.settings.llm_budget)
            except (TimeoutError, openai.OpenAIError, ValueError) as exc:
                self.guard.failed()
                PROVIDER_CALLS.labels(PROVIDER, "chat", type(exc).__name__).inc()
                log.warning("LLM fallback failed, offline answer stands: %s", type(exc).__name__)
                return offline
            self.guard.succeeded()
            PROVIDER_CALLS.labels(PROVIDER, "chat", "ok").inc()
            PROVIDER_SECONDS.labels(PROVIDER, "chat").observe(time.perf_counter() - started)
            self.guard.cache[key] = answer
        if answer.confidence <= offline["confidence"]:
            return offline
        sic = (
            (offline["sic_code"], offline["sic_description"])
            if answer.payee_type != "INDIVIDUAL"
            else (None, None)
        )
        return {
            "payee_type": answer.payee_type,
            "confidence": round(answer.confidence, 3),
            "reason": f"llm: {answer.reason} (offline: {offline['payee_type']} {offline['confidence']})",
            "sic_code": sic[0],
            "sic_description": sic[1],
        }

    async def _ask(self, name: str) -> Answer:
        async with self.guard.slot():
            response = await self.client.chat.completions.create(
                model=self.settings.llm_model,
                messages=[{"role": "system", "content": PROMPT}, {"role": "user", "content": name}],
                response_format={"type": "json_object"},
                temperature=0,
            )
        content = response.choices[0].message.content or ""
        try:
            return Answer.model_validate(json.loads(content))
        except (json.JSONDecodeError, ValidationError) as exc:
            raise ValueError(f"malformed LLM answer: {exc}") from exc

    async def close(self) -> None:
        await self.client.close()
