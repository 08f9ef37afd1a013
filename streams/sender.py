"""Producers over confluent-kafka (librdkafka), which batches and sends in C threads: the stage
topics' and the workers' dead letters (``StageSender``), and the ingest's (``AsyncProducer``).

Faust's aiokafka producer cost a fused worker about a fifth of its time (a Python future, a
partitioner call and an accumulator append per message, four messages a payee); librdkafka takes
a message in a few microseconds. It partitions as Kafka's Java client and aiokafka do (murmur2 of
the key), so a payee keeps its partition from topic to topic.

Nothing is acknowledged before it is delivered: a chain's batch ends with ``delivered``, which
waits until every message of the batch is on the brokers (``acks=all``, idempotent) and sends
again, with backoff, whatever librdkafka gave up on (a long broker outage). Faust acknowledges the
batch's events only after that, and commits only acknowledged offsets.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from typing import Any, cast

from confluent_kafka import KafkaError, KafkaException, Message, Producer

from payeeflow.brokers import librdkafka_options
from payeeflow.config import Settings

log = logging.getLogger(__name__)
Headers = list[tuple[str, Any]] | None  # a dead letter's stage and reason

FLUSH_SECONDS = 30.0  # one wait for delivery; the loop waits again, so an outage is waited out
# Every message on the brokers' every replica, once, in the partition Kafka's Java client and
# aiokafka give its key, so a payee keeps its partition from topic to topic.
RELIABLE = {"acks": "all", "enable.idempotence": True, "partitioner": "murmur2_random"}


def _producer(settings: Settings, linger_ms: int, **config: Any) -> Producer:
    """A reliable producer whose size limit is the brokers': a message above it is refused by
    ``produce`` at once (a stage dead-letters it), not by a broker after it was queued, where it
    would be sent again for ever."""
    limit = {"message.max.bytes": settings.kafka_max_message_bytes}
    return Producer({**librdkafka_options(settings), **RELIABLE, **limit, "linger.ms": linger_ms, **config})


class StageSender:
    """Sends a chain's stage records and dead letters and says when they are all delivered."""

    def __init__(self, settings: Settings) -> None:
        self._producer = _producer(settings, 5, **{"queue.buffering.max.messages": 1_000_000})
        self._failed: list[tuple[str, bytes | None, bytes | None, int, Headers]] = []

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None = None,
        headers: Headers = None,
    ) -> None:
        """Queue one message (in ``partition``, else the key's); librdkafka sends it in the
        background. Its delivery report is served by ``delivered`` (a poll after every message
        was 3 % of a fused worker). A message over the size limit raises ``KafkaException``."""
        where = -1 if partition is None else partition
        while True:
            try:
                self._producer.produce(
                    topic, value, key, where, on_delivery=self._on_delivery, headers=headers
                )
                return
            except BufferError:  # a million messages queued: let librdkafka send some first
                self._producer.poll(0.1)

    def _on_delivery(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            where = message.partition()
            self._failed.append(
                (
                    message.topic() or "",
                    message.key(),
                    message.value(),
                    -1 if where is None else where,
                    cast(Headers, message.headers()),  # a list: as it was given to ``produce``
                )
            )

    async def delivered(self) -> None:
        """Return once every message sent so far is on the brokers, however long that takes."""
        delay = 0.5
        while True:
            remaining = await asyncio.to_thread(self._producer.flush, FLUSH_SECONDS)
            if not remaining and not self._failed:
                return
            failed, self._failed = self._failed, []
            log.warning(
                "stage topics: %d messages not yet delivered, %d refused; sending again in %.1fs",
                remaining,
                len(failed),
                delay,
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)
            for topic, key, value, partition, headers in failed:  # where it was meant to go
                self.send(topic, key, value, None if partition < 0 else partition, headers)


class AsyncProducer:
    """librdkafka behind aiokafka's ``send``: ``await send(...)`` queues a message and gives the
    future of its delivery (a ``KafkaException`` when refused), which ``Deliveries`` checks. A
    thread serves the delivery reports while the loop awaits, and hands each poll's reports to
    the loop at once: a wake-up of the loop per message cost the ingest a quarter of its time."""

    def __init__(self, settings: Settings, linger_ms: int) -> None:
        self._producer = _producer(settings, linger_ms)
        self._loop = asyncio.get_running_loop()
        # filled by whichever thread serves reports (this poller, or ``flush`` in ``stop``)
        self._reports: deque[tuple[asyncio.Future[None], KafkaError | None]] = deque()
        self._closing = threading.Event()
        self._poller = threading.Thread(target=self._poll, name="delivery-reports", daemon=True)
        self._poller.start()

    def _poll(self) -> None:
        while not self._closing.is_set():
            self._producer.poll(0.05)
            if self._reports:
                self._loop.call_soon_threadsafe(_settle, self._taken())

    def _taken(self) -> list[tuple[asyncio.Future[None], KafkaError | None]]:
        return [self._reports.popleft() for _ in range(len(self._reports))]

    async def send(
        self, topic: str, value: bytes | None, key: bytes | None = None, headers: Any = None
    ) -> asyncio.Future[None]:
        future: asyncio.Future[None] = self._loop.create_future()

        def report(error: KafkaError | None, _: Message) -> None:
            self._reports.append((future, error))

        while True:
            try:
                self._producer.produce(topic, value, key, headers=headers, on_delivery=report)
                return future
            except BufferError:  # librdkafka's queue is full: let it send some first
                await asyncio.sleep(0.01)

    async def stop(self) -> None:
        """Deliver what is queued (each future settles), stop serving reports, and close the
        client: its connections and threads end now, not whenever the collector finds it."""
        await asyncio.to_thread(self._producer.flush)
        self._closing.set()
        await asyncio.to_thread(self._poller.join)
        _settle(self._taken())  # what flush served after the poller's last turn
        await asyncio.to_thread(self._producer.close)


def _settle(reports: list[tuple[asyncio.Future[None], KafkaError | None]]) -> None:
    for future, error in reports:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(KafkaException(error))
