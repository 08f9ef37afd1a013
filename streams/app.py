"""The Faust app and the one loop every stage agent runs.

A stage is a pure ``apply(record) -> record`` (see ``agents``); this module gives it Kafka:
take a batch, decode, apply, encode and send each record, and send any record that fails to the
dead-letter topic. Nothing escapes the per-record ``try``, because Faust acknowledges a message
whose agent raised, which would lose it. The stage topics and the dead letters are written through
librdkafka (``streams/sender.py``) and a batch's loop body returns only once all of them are
delivered (a refused message is sent again, never dropped); Faust acknowledges the batch after
that and commits only acknowledged offsets, so delivery is at least once. A record too large for
the broker is dead-lettered, and a dead letter too large is sent cut (``streams/deadletters.py``).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import faust
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from payeeflow.brokers import faust_credentials
from payeeflow.config import Settings
from payeeflow.metrics import BATCH_SECONDS, RECORDS
from payeeflow.schemas import codec_for
from payeeflow.schemas.codec import AvroCodec
from payeeflow.streams.deadletters import DeadLetters, dead_letter
from payeeflow.streams.sender import Headers

log = logging.getLogger(__name__)

Apply = Callable[[dict[str, Any]], dict[str, Any]]
Refine = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class Feed(Protocol):
    """A topic a stage follows beside its records (``agents/feeds.py``): ready once read up
    to where it stood when the worker started."""

    base: str
    ready: asyncio.Event

    async def run(self) -> None: ...


@dataclass
class Stage:
    """A pure stage and what it needs around it: its topics and the feeds it waits for.

    ``refine`` is an optional async step after ``apply`` (a slow provider, the LLM fallback), run
    concurrently over a batch; it must return the record unchanged when it has nothing better.
    """

    name: str
    source: str
    target: str
    apply: Apply
    refine: Refine | None = None
    feeds: list[Feed] = field(default_factory=list)

    def waiting_for(self) -> list[str]:
        return [feed.base for feed in self.feeds if not feed.ready.is_set()]


def create_app(settings: Settings, name: str) -> faust.App:
    """A Faust app whose id (and consumer group) is ``<group_prefix>.<topic_prefix><name>``."""
    brokers = [f"kafka://{server.strip()}" for server in settings.kafka_bootstrap_servers.split(",")]
    # Nothing durable is kept (in-memory store): Faust's folder stays out of the working directory.
    data = Path(tempfile.gettempdir()) / "payeeflow-faust"
    data.mkdir(exist_ok=True)
    return faust.App(
        settings.group(name),
        broker=brokers,
        broker_credentials=faust_credentials(settings),
        topic_replication_factor=settings.topic_replication_factor,
        store="memory://",
        key_serializer="raw",
        value_serializer="raw",
        topic_partitions=settings.topic_partitions,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger=0.005,
        broker_commit_every=settings.stage_batch_size,
        # aiokafka hands over all it fetched by default (MBs of records per poll under a backlog)
        broker_max_poll_records=settings.stage_batch_size,
        broker_commit_interval=1.0,
        # a crashed worker's partitions move after this, not after Faust's 60 s default
        broker_session_timeout=settings.session_timeout,
        broker_heartbeat_interval=settings.session_timeout / 3,
        consumer_group_instance_id=settings.group_instance_id,
        web_port=settings.worker_web_port,
        web_bind=settings.metrics_host,
        datadir=data / f"{settings.group(name)}-data",
    )


Write = Callable[[dict[str, Any], bytes], bytes]  # a stage's record and the bytes it received


def _writer(codec: AvroCodec, previous: AvroCodec | None) -> Write:
    """How a chain link writes its topic: from the bytes the link before it wrote when its
    record only gained a section (``AvroCodec.extend``: the wide topics cost a third to write),
    else in full. The chain's first link reads bytes any producer may have written: in full."""
    if previous is not None and codec.extends(previous):
        return lambda record, received: codec.extend(received, record)
    return lambda record, _: codec.encode(record)


class Sender(Protocol):
    """What writes a chain's stage topics and dead letters (``streams/sender.py``); ``send``
    raises for a message the broker would refuse for its size."""

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Headers = None,
    ) -> None: ...

    async def delivered(self) -> None: ...


Delivered = list[tuple[Any, dict[str, Any], bytes]]  # (event, record, bytes written) of a chain's last link
After = Callable[[Delivered], Awaitable[None]]


def add_chain(
    app: faust.App, settings: Settings, stages: list[Stage], sender: Sender, after: After | None = None
) -> None:
    """One agent running consecutive stages: consume the first's topic, produce every stage's.

    A chain of one is a plain stage agent. A longer chain (``--stage all``) decodes each record
    once and crosses Faust once, yet still writes each stage's topic, which other teams consume.
    A record that fails at stage k goes to the dead-letter topic with stage k's name, the bytes
    stage k received, and the topic, partition and offset of the message this agent consumed.
    ``after`` gets each batch's records as the last stage wrote them, before the batch's one wait
    for delivery (what it sends through ``sender`` is delivered with them, before the batch is
    acknowledged: the slow providers' jobs).
    """
    source = app.topic(settings.topic(stages[0].source))
    decode = codec_for(stages[0].source, settings).decode_waiting
    codecs = [codec_for(stage.target, settings) for stage in stages]
    links = [
        (
            stage,
            settings.topic(stage.target),
            _writer(codec, codecs[k - 1] if k else None),
            RECORDS.labels(stage.name, "ok"),
        )
        for k, (stage, codec) in enumerate(zip(stages, codecs, strict=True))
    ]

    async def send_letter(
        topic: str, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]
    ) -> None:
        sender.send(topic, key, value, headers=headers)  # delivered with the batch's records

    deadletters = DeadLetters(settings, send_letter)
    timer = BATCH_SECONDS.labels("+".join(stage.name for stage in stages))
    Item = tuple[faust.types.EventT, dict[str, Any], bytes]

    async def fail(
        stage: Stage, event: faust.types.EventT, error: Exception, payload: bytes | None, record: Any
    ) -> None:
        message = event.message
        await deadletters.send(
            dead_letter(
                stage.name,
                error,
                message.topic,
                message.partition,
                message.offset,
                message.key,
                payload,
                record,
            )
        )

    async def run_stage(link: tuple[Stage, str, Write, Any], items: list[Item]) -> list[Item]:
        stage, target, encode, processed = link
        applied = []
        for event, record, payload in items:
            try:
                applied.append((event, stage.apply(record), payload))
            except Exception as exc:  # per record: one bad record never stops the agent
                await fail(stage, event, exc, payload, record)
        if stage.refine is not None and applied:
            refined = await asyncio.gather(*(stage.refine(r) for _, r, _ in applied), return_exceptions=True)
            applied = [  # a failed refinement keeps the record as it was
                (e, r if isinstance(new, BaseException) else new, p)
                for (e, r, p), new in zip(applied, refined, strict=True)
            ]
        delivered = []
        for event, record, payload in applied:
            try:
                value = encode(record, payload)
                sender.send(target, event.message.key, value)
            except Exception as exc:  # unencodable, or too large for the broker
                await fail(stage, event, exc, payload, record)
                continue
            processed.inc()
            delivered.append((event, record, value))
        return delivered

    async def run(stream: Any) -> None:  # a faust.Stream; StreamT lacks take_events
        settled = False
        async for events in stream.take_events(settings.stage_batch_size, settings.stage_batch_within):
            for stage in stages:
                for feed in stage.feeds:
                    await feed.ready.wait()
            if not settled:
                # What the stages built to start (the supplier index, the models) lives as long as
                # the worker: out of the collector's generations, a full collection no longer
                # rescans it every few batches (a fused worker at 483k suppliers: 282 -> 240 µs a payee).
                gc.freeze()
                settled = True
            started = time.perf_counter()
            items: list[Item] = []
            for event in events:
                try:
                    items.append((event, await decode(event.message.value), event.message.value))
                except Exception as exc:
                    await fail(stages[0], event, exc, event.message.value, None)
            for link in links:
                items = await run_stage(link, items)
            if after is not None:
                await after(items)
            await sender.delivered()
            timer.observe(time.perf_counter() - started)

    app.agent(source, name="stage-" + "+".join(stage.name for stage in stages))(run)
    for stage in stages:
        for feed in stage.feeds:
            app.task(feed.run)


def add_probes(app: faust.App, waiting_for: Callable[[], list[str]]) -> None:
    """``/metrics``, ``/health`` and ``/ready`` (ready once ``waiting_for`` names nothing) on the
    worker's web server."""

    @app.page("/metrics")
    async def metrics(web: Any, request: Any) -> Any:
        # aiohttp refuses a charset inside content_type; the exposition format is UTF-8 anyway
        return web.bytes(generate_latest(), content_type=CONTENT_TYPE_LATEST.split(";")[0])

    @app.page("/health")
    async def health(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/ready")
    async def ready(web: Any, request: Any) -> Any:
        waiting = waiting_for()
        status = 503 if waiting else 200
        return web.json({"ready": not waiting, "waiting_for": waiting}, status=status)
