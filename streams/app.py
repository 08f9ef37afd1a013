"""The Faust app and the one loop every stage agent runs.

A stage is a pure ``apply(record) -> record`` (see ``agents``); this module gives it Kafka:
take a batch, decode, apply, encode and send each record, and send any record that fails to the
dead-letter topic. Nothing escapes the per-record ``try``, because Faust acknowledges a message
whose agent raised, which would lose it. Offsets are committed by Faust after the batch's loop
body returns, and its commit flushes the producer first, so delivery is at least once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from payeeflow.config import Settings
from payeeflow.metrics import BATCH_SECONDS, RECORDS
from schemas import codec_for
from streams.deadletters import DeadLetters, dead_letter
from streams.topics import DLQ

log = logging.getLogger(__name__)

Apply = Callable[[dict[str, Any]], dict[str, Any]]
Refine = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass
class Stage:
    """A pure stage and what it needs around it: topics, readiness and background tasks.

    ``refine`` is an optional async step after ``apply`` (a slow provider, the LLM fallback), run
    concurrently over a batch; it must return the record unchanged when it has nothing better.
    """

    name: str
    source: str
    target: str
    apply: Apply
    refine: Refine | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    tasks: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.tasks:
            self.ready.set()


def create_app(settings: Settings, name: str) -> faust.App:
    """A Faust app whose id (and consumer group) is ``<group_prefix>.<topic_prefix><name>``."""
    brokers = [f"kafka://{server.strip()}" for server in settings.kafka_bootstrap_servers.split(",")]
    return faust.App(
        settings.group(name),
        broker=brokers,
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=0.005,
        broker_commit_every=settings.stage_batch_size,
        broker_commit_interval=1.0,
        web_port=settings.worker_web_port,
        web_bind="0.0.0.0",
    )


def add_stage(app: faust.App, settings: Settings, stage: Stage) -> None:
    source = app.topic(settings.topic(stage.source))
    target = settings.topic(stage.target)
    decode, encode = codec_for(stage.source).decode, codec_for(stage.target).encode
    deadletters = DeadLetters(
        settings.topic(DLQ), lambda t, k, v, h: app.producer.send(t, k, v, None, None, h)
    )
    processed = RECORDS.labels(stage.name, "ok")
    timer = BATCH_SECONDS.labels(stage.name)

    def applied(event: faust.types.EventT) -> tuple[dict[str, Any] | None, Exception | None]:
        record = None
        try:
            record = decode(event.message.value)
            return stage.apply(record), None
        except Exception as exc:  # per record: one bad record never stops the agent
            return record, exc

    async def deliver(
        event: faust.types.EventT, record: dict[str, Any] | None, error: Exception | None
    ) -> None:
        message = event.message
        if error is None:
            try:
                value = encode(record)  # type: ignore[arg-type]
            except Exception as exc:
                error = exc
        if error is not None:
            letter = dead_letter(
                stage.name,
                error,
                message.topic,
                message.partition,
                message.offset,
                message.key,
                message.value,
                record,
            )
            await deadletters.send(letter)
            return
        await app.producer.send(target, message.key, value, None, None, None)
        processed.inc()

    async def run(stream: Any) -> None:  # a faust.Stream; StreamT lacks take_events
        async for events in stream.take_events(settings.stage_batch_size, settings.stage_batch_within):
            await stage.ready.wait()
            started = time.perf_counter()
            outcomes = [applied(event) for event in events]
            if stage.refine is not None:
                ok = [(i, record) for i, (record, error) in enumerate(outcomes) if error is None and record]
                refined = await asyncio.gather(
                    *(stage.refine(record) for _, record in ok), return_exceptions=True
                )
                for (i, _), result in zip(ok, refined, strict=True):
                    if not isinstance(result, BaseException):  # a failed refinement keeps the record
                        outcomes[i] = (result, None)
            for event, (record, error) in zip(events, outcomes, strict=True):
                await deliver(event, record, error)
            timer.observe(time.perf_counter() - started)

    app.agent(source, name=f"stage-{stage.name}")(run)
    for task in stage.tasks:
        app.task(task)


def add_probes(app: faust.App, stages: list[Stage]) -> None:
    """``/metrics``, ``/health`` and ``/ready`` on the worker's web server."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type; the exposition format is UTF-8 anyway
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        waiting = [stage.name for stage in stages if not stage.ready.is_set()]
        status = 503 if waiting else 200
        return web.json({"ready": not waiting, "waiting_for": waiting}, status=status)
