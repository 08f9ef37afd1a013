"""The slow providers: address validation (``PAYEEFLOW_ADDRESS_VALIDATION_ENABLED``) and the card
network's search (``PAYEEFLOW_CARD_NETWORK_ENABLED``).

Payees the enrichment stage left pending (``providers_pending``) are handed over by the
enrichment chain with the batch that writes them to ``payees.enriched`` (where they are stored
once without the answers), and grouped into jobs (``agents/enrichment/jobs.py`` keeps them and
says why they survive a ``kill -9``) sent with that batch, before it is acknowledged. A timer
advances the jobs: first each address is validated (one request each, the payees then get their
next version), then the card network's bulk search is submitted, polled and read, and each payee
gets its last version: the answer (or why there is none: timed out, failed, over budget, circuit
open), the payment method reconsidered, nothing pending. The sink keeps each over the one before
(same version, fewer providers pending). Nothing else waits for a provider: the timer advances
the jobs apart from the stages' batches, so a slow or failing provider only delays these payees'
later versions. Answers are cached (addresses by their lines, the card network by normalised
name), so one address or supplier is asked about once.

The timer runs in the enrichment worker, or (``PAYEEFLOW_PROVIDERS_PROCESS``) in a providers
process of its own, which then also says on the jobs topic when a provider is shut, so the
enrichment worker settles such payees in their first version without asking anything itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import defaultdict
from typing import Any

import faust
from prometheus_client import Counter, Gauge

from payeeflow.agents.corrections import name_key
from payeeflow.agents.enrichment.jobs import GIVE_UP_AFTER, RECORDS, SHUT, WATERMARK, Job, Jobs
from payeeflow.agents.enrichment.logic import ADDRESS_FIELDS, ADDRESS_VALIDATION, CARD_NETWORK, Enricher
from payeeflow.agents.feeds import CompactedFeed
from payeeflow.agents.providers.addressvalidation import AddressAnswer, AddressValidationClient
from payeeflow.agents.providers.cardnetwork import CardAnswer, CardNetworkClient, Search
from payeeflow.agents.providers.guards import Guard
from payeeflow.agents.providers.http import ProviderError
from payeeflow.config import Settings
from payeeflow.metrics import PROVIDER_REFUSED
from payeeflow.schemas import codec_for
from payeeflow.streams.app import Apply, Delivered, Sender
from payeeflow.streams.topics import ENRICHED, PROVIDER_JOBS

log = logging.getLogger(__name__)
WATERMARK_KEY = WATERMARK.encode()
SHUT_KEY = SHUT.encode()

PAYEES = Counter(
    "payeeflow_provider_payees_total",
    "Payees a slow provider settled, by provider and outcome",
    ["provider", "outcome"],
)
JOBS = Gauge(
    "payeeflow_provider_jobs",
    "Slow providers' jobs pending in this worker, by state (waiting: not yet with the card network)",
    ["state"],
)
IN_DOUBT = Counter(
    "payeeflow_provider_jobs_in_doubt_total",
    "Card-network submissions sent by a worker that stopped before it recorded their answer, sent again",
)


class JobFeed(CompactedFeed):
    """The jobs topic into the worker's ``Jobs``; only the watermarks and the providers' shut
    reasons for an enrichment worker that hands its jobs to a providers process."""

    base = PROVIDER_JOBS

    def __init__(self, settings: Settings, jobs: Jobs, watermarks_only: bool = False) -> None:
        super().__init__(settings)
        self.jobs = jobs
        self.watermarks_only = watermarks_only

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if key is None or (self.watermarks_only and not key.startswith((WATERMARK_KEY, SHUT_KEY))):
            return
        self.jobs.apply(key.decode(), value)

    def caught_up(self) -> None:
        count_jobs(self.jobs)


class SlowProviders:
    """The providers' jobs, what they take from the enrichment chain (``take``) and the timer that
    advances them (``advance``)."""

    def __init__(
        self,
        app: faust.App,
        settings: Settings,
        owner: str,
        card_client: CardNetworkClient | None = None,
        address_client: AddressValidationClient | None = None,
        advancing: bool = True,
        sender: Sender | None = None,
    ) -> None:
        self.app = app
        self.sender = sender  # the enrichment chain's, for what ``take`` sends
        self.settings = settings
        # the topic whose partitions this process is assigned (the enrichment chain's source, or
        # the jobs topic for a providers process): it advances the jobs of those partitions
        self.owner = settings.topic(owner)
        self.enriched = settings.topic(ENRICHED)
        self.jobs_topic = settings.topic(PROVIDER_JOBS)
        self.codec = codec_for(ENRICHED, settings)
        self.state = Jobs()
        # a worker that advances no job (a providers process does) keeps only the watermarks
        self.advancing = advancing
        self.feed = JobFeed(settings, self.state, watermarks_only=not advancing)
        self.cards = card_client or (CardNetworkClient(settings) if settings.card_network_enabled else None)
        self.addresses = address_client or (
            AddressValidationClient(settings) if settings.address_validation_enabled else None
        )
        self.enricher = Enricher()  # its answers' next versions (no flag matters there)
        self.card_guard = Guard(CARD_NETWORK, settings)
        self.address_guard = Guard(ADDRESS_VALIDATION, settings)
        self.steps = asyncio.Semaphore(settings.card_network_concurrency)
        self.reported: dict[str, str | None] = {}  # shut reasons a providers process last sent
        self.owned: set[int] = set()  # the partitions whose jobs the timer advanced last

    def screened(self, apply: Apply) -> Apply:
        """The enrichment stage's ``apply``, with what a shut provider (its circuit open, its
        budget spent) would not answer settled in the first version, with why: such a payee is
        stored once, not pending and then again."""

        def first_version(record: dict[str, Any]) -> dict[str, Any]:
            record = apply(record)
            pending = record["enrichment"]["providers_pending"]
            if ADDRESS_VALIDATION in pending and (why := self._shut(self.address_guard)) is not None:
                record = self.enricher.validated(record, AddressAnswer(False, False).to_record(why), None)
                PAYEES.labels(ADDRESS_VALIDATION, why).inc()
            if CARD_NETWORK in pending and (why := self._shut(self.card_guard)) is not None:
                record = self.enricher.answered(record, CardAnswer(False).to_record(why))
                PAYEES.labels(CARD_NETWORK, why).inc()
            return record

        return first_version

    def _shut(self, guard: Guard) -> str | None:
        """Why payees are not even left waiting for ``guard``'s provider, counted: its own circuit
        and budget, or, where a providers process asks it, what that process last said."""
        if self.advancing:
            return guard.shut()
        reason = self.state.shut.get(guard.name)
        if reason is not None:
            PROVIDER_REFUSED.labels(guard.name, reason).inc()
        return reason

    async def report_shut(self) -> None:
        """A providers process: each provider's shut reason on the jobs topic when it changes (and
        at its first tick), so the enrichment workers settle what it would not answer at once."""
        for guard in (self.card_guard, self.address_guard):
            why = guard.closed()
            if self.reported.get(guard.name, "") != why:
                value = None if why is None else json.dumps({"reason": why}).encode()
                await self._send(self.jobs_topic, SHUT + guard.name, value, 0)
                self.reported[guard.name] = why

    async def _send(self, topic: str, key: str, value: bytes | None, partition: int | None = None) -> None:
        future = await self.app.producer.send(topic, key.encode(), value, partition, None, None)
        await future

    async def _write(self, job: Job | None, key: str, partition: int, records: bool = False) -> None:
        """A job's state (None: done, its records too) on the jobs topic, in its source
        partition, delivered; its records first when they changed."""
        if job is None:
            await self._send(self.jobs_topic, key + RECORDS, None, partition)
            await self._send(self.jobs_topic, key, None, partition)
            return
        for message_key, value in job.written(records):
            await self._send(self.jobs_topic, message_key, value, partition)

    async def take(self, items: Delivered) -> None:
        """A batch of the enrichment stage: its payees left pending into jobs, one or more per
        source partition, sent through the chain's ``sender`` with the batch's records, so they
        are delivered before the batch may be acknowledged (one wait for both)."""
        assert self.sender is not None, "an enrichment chain hands its batches over with its sender"
        await self.feed.ready.wait()
        size = self.settings.card_network_batch_size
        pending: dict[int, list[tuple[int, bytes, list[str], dict[str, Any]]]] = defaultdict(list)
        for event, record, value in items:
            message = event.message
            providers = record["enrichment"]["providers_pending"]
            if not providers:
                continue
            if self.state.seen(message.partition, message.offset):  # a batch read again after a crash
                continue
            if providers == [CARD_NETWORK] and (
                known := self.card_guard.cache.get(name_key(record["payee"]["name"]))
            ):
                self.sender.send(self.enriched, record["payee_id"].encode(), self._answered(record, known))
                continue
            pending[message.partition].append((message.offset, value, providers, record))
        jobs = [
            self.state.open(
                partition,
                [(offset, value) for offset, value, _, _ in chunk],
                addressed=(addressed := not any(ADDRESS_VALIDATION in p for _, _, p, _ in chunk)),
                card=any(CARD_NETWORK in p for _, _, p, _ in chunk),
                # known now unless address validation may still change the addresses searched
                searches=[_search(r) for _, _, p, r in chunk if CARD_NETWORK in p] if addressed else None,
            )
            for partition, found in pending.items()
            for chunk in (found[start : start + size] for start in range(0, len(found), size))
        ]
        for job in jobs:
            for key, value in job.written(records=True):
                self.sender.send(self.jobs_topic, key.encode(), value, job.partition)
        for partition, offset in {job.partition: job.last_offset for job in jobs}.items():
            mark = json.dumps({"offset": offset}).encode()
            self.sender.send(self.jobs_topic, f"{WATERMARK}{partition}".encode(), mark, partition)
        if jobs:
            log.info("provider jobs opened", extra={"count": len(jobs)})
        if not self.advancing:  # handed over: the providers process holds them now
            for job in jobs:
                self.state.jobs.pop(job.key, None)
        count_jobs(self.state)

    async def advance(self) -> None:
        """The timer: every job of this worker's partitions one step further."""
        await self.feed.ready.wait()
        owned = {tp.partition for tp in self.app.assignor.assigned_actives() if tp.topic == self.owner}
        if owned != self.owned:  # said once a change: which jobs this process advances
            log.info("advancing the provider jobs of partitions %s", sorted(owned) or "none")
            self.owned = owned
        await asyncio.gather(*(self._step(job) for job in self.state.jobs.values() if job.partition in owned))
        count_jobs(self.state)

    async def _step(self, job: Job) -> None:
        async with self.steps:
            try:
                await self._advance(job)
            except Exception:  # one job's trouble never stops the others
                log.exception("provider job failed to advance", extra={"job": job.key})

    async def _advance(self, job: Job) -> None:
        if not job.addressed:
            await self._validate(job)
            if job.card:
                await self._write(job, job.key, job.partition, records=True)  # a restart does not ask again
        if not job.card:
            await self._done(job)
        elif time.time() - job.created_at > self.settings.card_network_job_timeout:
            await self._settle(job, None, "timed_out")
        elif job.job_id is None:
            await self._submit(job)
        elif time.time() >= job.next_poll:
            await self._poll(job)

    async def _done(self, job: Job) -> None:
        await self._write(None, job.key, job.partition)
        self.state.done(job.key)

    async def _validate(self, job: Job) -> None:
        """Every address of the job that waits for validation, validated; those payees' next version."""
        records = [await self.codec.decode_waiting(value) for value in job.records]
        waiting = [
            i for i, r in enumerate(records) if ADDRESS_VALIDATION in r["enrichment"]["providers_pending"]
        ]
        checks = await asyncio.gather(*(self._check(records[i]["enrichment"]) for i in waiting))
        for i, (check, usps) in zip(waiting, checks, strict=True):
            self.enricher.validated(records[i], check, usps)
            PAYEES.labels(ADDRESS_VALIDATION, check["outcome"]).inc()
            job.records[i] = self.codec.encode(records[i])  # encoded once: sent, and kept in the job
        await asyncio.gather(
            *(self._send(self.enriched, records[i]["payee_id"], job.records[i]) for i in waiting)
        )
        job.addressed = True
        job.searches = [_search(r) for r in records if CARD_NETWORK in r["enrichment"]["providers_pending"]]

    async def _check(self, enrichment: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str] | None]:
        """Address validation's answer for one address (its section, and its USPS lines)."""
        guard = self.address_guard
        key = "|".join(enrichment[field] or "" for field in ADDRESS_FIELDS)
        if (known := guard.cache.get(key)) is not None:
            return known  # type: ignore[no-any-return]
        if self.addresses is None:  # the flag was turned off while payees waited
            return AddressAnswer(False, False).to_record("failed"), None
        if (why := guard.refusal()) is not None:
            return AddressAnswer(False, False).to_record(why), None
        try:
            async with guard.slot():
                answer = await self.addresses.validate(
                    enrichment["address_line"], enrichment["city"], enrichment["state"], enrichment["zip"]
                )
        except ProviderError as exc:
            guard.failed()
            log.warning("address validation failed: %s", exc)
            return AddressAnswer(False, False).to_record("failed"), None
        guard.succeeded()
        guard.cache[key] = found = (answer.to_record(), answer.usps())
        return found

    async def _submit(self, job: Job) -> None:
        assert self.cards is not None
        if job.searches is None:  # written by a worker before searches were kept in jobs
            records = [await self.codec.decode_waiting(value) for value in job.records]
            job.searches = [
                _search(r) for r in records if CARD_NETWORK in r["enrichment"]["providers_pending"]
            ]
        if job.attempts == 0 and await self._known(job):
            return
        searches = [Search(*fields) for fields in job.searches]  # type: ignore[arg-type]
        if (why := self.card_guard.refusal(len(searches))) is not None:  # the payees searched, not the job's
            await self._settle(job, None, why)
            return
        if job.submitted_at is not None:  # sent by a worker killed before it recorded the job id
            IN_DOUBT.inc()
            log.warning("card-network submission in doubt, sending it again", extra={"job": job.key})
        job.attempts += 1
        job.submitted_at = time.time()
        await self._write(job, job.key, job.partition)  # written ahead: a restart knows it was sent
        try:
            async with self.card_guard.slot():
                job.job_id = await self.cards.submit(searches)
        except ProviderError as exc:
            self.card_guard.failed()
            log.warning("card-network submit failed: %s", exc, extra={"job": job.key})
            job.submitted_at = None
            await self._again_or_fail(job)
            return
        self.card_guard.succeeded()
        await self._write(job, job.key, job.partition)  # a restart polls it, never submits it again
        log.info("card-network job submitted", extra={"job": job.key, "job_id": job.job_id})

    async def _known(self, job: Job) -> bool:
        """The job's payees whose names the card network answered since the job opened, answered
        from the cache and left out of its search; True when none is left to search."""
        assert job.searches is not None
        known = {
            str(s[0]): card for s in job.searches if (card := self.card_guard.cache.get(name_key(s[1] or "")))
        }
        if not known:
            return False
        records = [await self.codec.decode_waiting(value) for value in job.records]
        await asyncio.gather(
            *(self._answer(r, known[r["payee_id"]]) for r in records if r["payee_id"] in known)
        )
        job.answered.extend(known)
        job.searches = [s for s in job.searches if s[0] not in known]
        if not job.searches:
            await self._done(job)
            return True
        await self._write(job, job.key, job.partition)
        return False

    async def _poll(self, job: Job) -> None:
        assert job.job_id is not None and self.cards is not None
        try:
            async with self.card_guard.slot():
                status = await self.cards.status(job.job_id)
                answers = await self.cards.results(job.job_id) if status == "COMPLETED" else None
        except ProviderError as exc:
            self.card_guard.failed()
            if "HTTP 404" in str(exc):  # the network lost the job: submit it again (counted)
                log.warning("card-network job lost, submitting again", extra={"job": job.key})
                job.job_id = job.submitted_at = None
                job.polls = 0
                await self._again_or_fail(job)
            return
        self.card_guard.succeeded()
        if status == "FAILED":
            await self._settle(job, None, "failed")
        elif answers is not None:
            await self._settle(job, {ref: answer.to_record() for ref, answer in answers.items()}, "answered")
        else:  # PENDING: polled less often the longer it takes (its 25 minutes need few polls)
            job.polls += 1
            wait = self.settings.card_network_poll_seconds * 2 ** (job.polls - 1)
            job.next_poll = time.time() + min(wait, self.settings.card_network_poll_max_seconds)

    async def _again_or_fail(self, job: Job) -> None:
        """A job to submit again at the next step, or failed after ``GIVE_UP_AFTER`` submissions."""
        if job.attempts >= GIVE_UP_AFTER:
            await self._settle(job, None, "failed")
        else:
            await self._write(job, job.key, job.partition)

    async def _settle(self, job: Job, answers: dict[str, dict[str, Any]] | None, kind: str) -> None:
        """Every payee of the job that waits for the card network to its next version, then the job done."""
        sends = []
        for value in job.records:
            record = await self.codec.decode_waiting(value)
            if (
                CARD_NETWORK not in record["enrichment"]["providers_pending"]
                or record["payee_id"] in job.answered
            ):
                continue
            card = (answers or {}).get(record["payee_id"]) or CardAnswer(False).to_record(
                "failed" if answers else kind
            )
            if answers is not None and card["outcome"] == "answered":
                self.card_guard.cache[name_key(record["payee"]["name"])] = card
            sends.append(self._answer(record, card))
        await asyncio.gather(*sends)
        await self._done(job)
        # the payees answered now: those the job had answered from the cache are left out
        log.info("provider job settled", extra={"job": job.key, "reason": kind, "count": len(sends)})

    async def _answer(self, record: dict[str, Any], card: dict[str, Any]) -> None:
        await self._send(self.enriched, record["payee_id"], self._answered(record, card))

    def _answered(self, record: dict[str, Any], card: dict[str, Any]) -> bytes:
        """The payee's next version with the card network's answer, counted."""
        PAYEES.labels(CARD_NETWORK, card["outcome"]).inc()
        return self.codec.encode(self.enricher.answered(record, card))


def count_jobs(jobs: Jobs) -> None:
    """The jobs gauge: jobs waiting for their submission, and jobs the network holds."""
    submitted = sum(job.job_id is not None for job in jobs.jobs.values())
    JOBS.labels("submitted").set(submitted)
    JOBS.labels("waiting").set(len(jobs.jobs) - submitted)


def _search(record: dict[str, Any]) -> list[str | None]:
    """A payee's card-network search, as the fields of ``Search`` (kept in its job as JSON)."""
    payee, enrichment = record["payee"], record["enrichment"]
    return [
        record["payee_id"],
        payee["name"],
        enrichment["address_line"],
        enrichment["city"],
        enrichment["state"],
        enrichment["zip"],
        (payee.get("extra") or {}).get("tax_id"),
    ]


def add_slow_providers(
    app: faust.App, settings: Settings, owner: str, advance: bool = True, sender: Sender | None = None
) -> SlowProviders:
    """The slow providers on ``app``: their jobs feed, and (``advance``) the timer that advances
    the jobs of the partitions of ``owner`` the app is assigned. An enrichment chain (consuming
    ``owner``) hands them each batch (``add_chain``'s ``after``) and its ``sender``."""
    providers = SlowProviders(app, settings, owner, advancing=advance, sender=sender)
    if advance:
        app.timer(settings.card_network_poll_seconds, name="provider-jobs")(providers.advance)
    app.task(providers.feed.run)
    return providers


def add_providers_process(app: faust.App, settings: Settings) -> SlowProviders:
    """``payeeflow worker --stage providers``: the jobs the enrichment workers open, advanced in
    a process of their own (``providers_process``). Its consumer group's share of the jobs topic
    says which partitions' jobs it advances, as the source topic's share says for an enrichment
    worker: two such processes split the jobs, and one that dies hands its share over."""

    async def assigned(stream: Any) -> None:  # the assignment is what counts: the feed reads the states
        async for _ in stream:
            pass

    app.agent(app.topic(settings.topic(PROVIDER_JOBS)), name="provider-jobs-owner")(assigned)
    providers = add_slow_providers(app, settings, PROVIDER_JOBS)
    app.timer(settings.card_network_poll_seconds, name="provider-shut")(providers.report_shut)
    return providers
