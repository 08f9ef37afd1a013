"""The card network's search in the enrichment worker (``PAYEEFLOW_CARD_NETWORK_ENABLED``).

Payees the enrichment stage left pending (``providers_pending`` holds ``card_network``) are handed
over by the enrichment chain once written to ``payees.enriched`` (where they are stored once
without the answer), before their batch is acknowledged. They are grouped into bulk searches
(``agents/enrichment/cardsearch.py`` keeps the jobs and says why they survive a ``kill -9``),
which a timer submits, polls and reads; each payee then gets its next version on
``payees.enriched``: the answer (or why there is none: timed out, failed, over budget, circuit
open), the payment method reconsidered, the card network no longer pending. The sink keeps it over
the first version (same version, fewer providers pending). Nothing else waits for the network:
the timer advances the jobs apart from the stages' batches, so a slow or failing network only
delays these payees' second versions. Answers are cached by normalised name, so one supplier is
searched once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import Any

import faust
from cachetools import TTLCache
from prometheus_client import Counter, Gauge

from payeeflow.agents.corrections import name_key
from payeeflow.agents.enrichment.cardsearch import GIVE_UP_AFTER, WATERMARK, CardJobs, Job
from payeeflow.agents.enrichment.logic import CARD_NETWORK, Enricher
from payeeflow.agents.providers import CircuitBreaker, DailyBudget
from payeeflow.config import Settings
from payeeflow.connectors.cardnetwork import PROVIDER, CardAnswer, CardNetworkClient, ProviderError, Search
from payeeflow.connectors.feeds import CompactedFeed
from payeeflow.schemas import codec_for
from payeeflow.streams.app import Delivered
from payeeflow.streams.topics import CARD_JOBS, ENRICHED

log = logging.getLogger(__name__)

PAYEES = Counter(
    "payeeflow_card_network_payees_total", "Payees the card network settled, by outcome", ["outcome"]
)
SPENT = Counter(
    "payeeflow_provider_spend_total", "Units of paid provider budget spent, by provider", ["provider"]
)
JOBS = Gauge("payeeflow_card_network_jobs", "Bulk searches pending in this worker")
BREAKER = Gauge("payeeflow_provider_breaker_open", "1 while a provider's circuit is open", ["provider"])


class CardJobFeed(CompactedFeed):
    """The jobs topic (JSON values: a worker's own state) into the worker's ``CardJobs``."""

    base = CARD_JOBS

    def __init__(self, settings: Settings, jobs: CardJobs) -> None:
        super().__init__(settings)
        self.jobs = jobs

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is not None:
            self.jobs.apply(key.decode(), None if value is None else json.loads(value))

    def caught_up(self) -> None:
        JOBS.set(len(self.jobs.jobs))


class CardSearch:
    """The search's jobs, what it takes from the enrichment chain (``take``) and the timer that
    advances the jobs (``advance``)."""

    def __init__(
        self, app: faust.App, settings: Settings, source: str, client: CardNetworkClient | None = None
    ) -> None:
        self.app = app
        self.settings = settings
        self.source = settings.topic(source)  # the enrichment chain's: jobs follow its partitions
        self.enriched = settings.topic(ENRICHED)
        self.jobs_topic = settings.topic(CARD_JOBS)
        self.codec = codec_for(ENRICHED, settings)
        self.state = CardJobs()
        self.feed = CardJobFeed(settings, self.state)
        self.client = client or CardNetworkClient(settings)
        self.enricher = Enricher(card_network=True)
        self.cache: TTLCache[str, dict[str, Any]] = TTLCache(
            max(settings.card_network_cache_size, 1), settings.card_network_cache_ttl
        )
        self.budget = DailyBudget(settings.card_network_daily_budget)
        self.in_flight = asyncio.Semaphore(settings.card_network_concurrency)
        self.breaker = CircuitBreaker(
            settings.card_network_breaker_failures, settings.card_network_breaker_reset
        )

    async def _send(self, topic: str, key: str, value: bytes | None, partition: int | None = None) -> None:
        future = await self.app.producer.send(topic, key.encode(), value, partition, None, None)
        await future

    async def _write(self, job: Job | None, key: str, partition: int) -> None:
        """A job's state (None: done) on the jobs topic, in its source partition, delivered."""
        value = None if job is None else json.dumps(job.to_json()).encode()
        await self._send(self.jobs_topic, key, value, partition)

    async def take(self, items: Delivered) -> None:
        """A batch of the enrichment stage, delivered: its payees left pending into jobs, one or
        more per source partition, written before the batch may be acknowledged."""
        await self.feed.ready.wait()
        size = self.settings.card_network_batch_size
        pending: dict[int, list[tuple[int, bytes]]] = defaultdict(list)
        for event, record, value in items:
            message = event.message
            if CARD_NETWORK not in record["enrichment"]["providers_pending"]:
                continue
            if self.state.seen(message.partition, message.offset):  # a batch read again after a crash
                continue
            if (known := self.cache.get(name_key(record["payee"]["name"]))) is not None:
                await self._answer(record, known)
                continue
            pending[message.partition].append((message.offset, value))
        for partition, found in pending.items():
            for start in range(0, len(found), size):
                await self._open(partition, found[start : start + size])
        JOBS.set(len(self.state.jobs))

    async def _open(self, partition: int, items: list[tuple[int, bytes]]) -> None:
        job = self.state.open(partition, items)
        # the job, then the watermark, delivered before this batch's offsets may commit
        await self._write(job, job.key, partition)
        watermark = json.dumps({"offset": job.last_offset}).encode()
        await self._send(self.jobs_topic, f"{WATERMARK}{partition}", watermark, partition)
        log.info("card-network job opened", extra={"job": job.key, "count": len(job.records)})

    async def advance(self) -> None:
        """The timer: every job of this worker's partitions one step further."""
        await self.feed.ready.wait()
        owned = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.source}
        await asyncio.gather(*(self._step(job) for job in self.state.jobs.values() if job.partition in owned))
        JOBS.set(len(self.state.jobs))
        BREAKER.labels(PROVIDER).set(1 if self.breaker.state == "open" else 0)

    async def _step(self, job: Job) -> None:
        async with self.in_flight:
            try:
                await self._advance(job)
            except Exception:  # one job's trouble never stops the others
                log.exception("card-network job failed to advance", extra={"job": job.key})

    async def _advance(self, job: Job) -> None:
        if time.time() - job.created_at > self.settings.card_network_job_timeout:
            await self._settle(job, None, "timed_out")
        elif job.job_id is None:
            await self._submit(job)
        else:
            await self._poll(job)

    async def _submit(self, job: Job) -> None:
        if not self.breaker.allow():
            await self._settle(job, None, "circuit_open")
            return
        if not self.budget.take(len(job.records)):
            await self._settle(job, None, "over_budget")
            return
        records = [await self.codec.decode_waiting(value) for value in job.records]
        job.attempts += 1
        try:
            job.job_id = await self.client.submit([_search(record) for record in records])
        except ProviderError as exc:
            self.breaker.failure()
            log.warning("card-network submit failed: %s", exc, extra={"job": job.key})
            await self._again_or_fail(job)
            return
        self.breaker.success()
        SPENT.labels(PROVIDER).inc(len(records))
        job.submitted_at = time.time()
        await self._write(job, job.key, job.partition)  # a restart polls it, never submits it again
        log.info("card-network job submitted", extra={"job": job.key, "job_id": job.job_id})

    async def _poll(self, job: Job) -> None:
        assert job.job_id is not None
        try:
            status = await self.client.status(job.job_id)
            answers = await self.client.results(job.job_id) if status == "COMPLETED" else None
        except ProviderError as exc:
            self.breaker.failure()
            if "HTTP 404" in str(exc):  # the network lost the job: submit it again (counted)
                log.warning("card-network job lost, submitting again", extra={"job": job.key})
                job.job_id = None
                await self._again_or_fail(job)
            return
        self.breaker.success()
        if status == "FAILED":
            await self._settle(job, None, "failed")
        elif answers is not None:
            await self._settle(job, {ref: answer.to_record() for ref, answer in answers.items()}, "answered")

    async def _again_or_fail(self, job: Job) -> None:
        """A job to submit again at the next step, or failed after ``GIVE_UP_AFTER`` submissions."""
        if job.attempts >= GIVE_UP_AFTER:
            await self._settle(job, None, "failed")
        else:
            await self._write(job, job.key, job.partition)

    async def _settle(self, job: Job, answers: dict[str, dict[str, Any]] | None, kind: str) -> None:
        """Every payee of the job to its next version, then the job done."""
        sends = []
        for value in job.records:
            record = await self.codec.decode_waiting(value)
            card = (answers or {}).get(record["payee_id"]) or CardAnswer(False).to_record(
                "failed" if answers else kind
            )
            if answers is not None and card["outcome"] == "answered":
                self.cache[name_key(record["payee"]["name"])] = card
            sends.append(self._answer(record, card))
        await asyncio.gather(*sends)
        await self._write(None, job.key, job.partition)
        self.state.done(job.key)

    async def _answer(self, record: dict[str, Any], card: dict[str, Any]) -> None:
        record = self.enricher.answered(record, card)
        PAYEES.labels(card["outcome"]).inc()
        await self._send(self.enriched, record["payee_id"], self.codec.encode(record))


def _search(record: dict[str, Any]) -> Search:
    payee, enrichment = record["payee"], record["enrichment"]
    return Search(
        record["payee_id"],
        payee["name"],
        enrichment["address_line"],
        enrichment["city"],
        enrichment["state"],
        enrichment["zip"],
        (payee.get("extra") or {}).get("tax_id"),
    )


def add_card_search(app: faust.App, settings: Settings, source: str) -> CardSearch:
    """The card network's search on ``app``: its timer and its jobs feed; the enrichment chain
    (consuming ``source``) hands it each batch (``add_chain``'s ``after``)."""
    search = CardSearch(app, settings, source)
    app.timer(settings.card_network_poll_seconds, name="card-search-poll")(search.advance)
    app.task(search.feed.run)
    return search
