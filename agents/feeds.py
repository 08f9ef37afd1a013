"""Keeps a worker's view of a compacted topic current: the supplier index, the corrections.

Every worker reads the whole topic itself (manual assignment, no consumer group), so each holds
all of it whatever payee partitions it owns. A feed reads up to the end offsets it saw at start,
then reports ready and keeps applying upserts and tombstones as they arrive.

A message that is no record (undecodable, or a record the index cannot take) goes to
``payees.dlq`` (stage ``feed``, its reason, the message's bytes and where it is), every send
checked. A feed commits no offsets: on a refused send it starts over from the topic's start, and
every worker reads every message, so each sends the same letter, which the sink stores once (a
dead letter is unique by the message that failed).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from payeeflow.agents.corrections import Correction, Corrections
from payeeflow.agents.matching.index import Supplier, SupplierIndex
from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.errors import InputError, RecordError
from payeeflow.metrics import CORRECTIONS, INDEX_ROWS, SUPPLIERS
from payeeflow.schemas import codec_for
from payeeflow.streams.deadletters import FEED, DeadLetters, dead_letter
from payeeflow.streams.delivery import Deliveries
from payeeflow.streams.sender import AsyncProducer
from payeeflow.streams.topics import CORRECTIONS as CORRECTIONS_TOPIC
from payeeflow.streams.topics import SUPPLIERS as SUPPLIERS_TOPIC

log = logging.getLogger(__name__)


class CompactedFeed:
    """Follows one compacted topic from its start; ``upsert`` and ``delete`` say what a message does."""

    base: str

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ready = asyncio.Event()
        self.topic = settings.topic(self.base)

    def decode(self, value: bytes) -> dict[str, Any]:
        """A message's record: Avro through the registry, as the topic's schema says."""
        return codec_for(self.base, self.settings).decode(value)

    def upsert(self, record: dict[str, Any]) -> None:
        raise NotImplementedError

    def delete(self, key: str) -> None:
        raise NotImplementedError

    def caught_up(self) -> None:
        """After each batch of messages: gauges."""

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        """Upsert or delete what a message says; ``RecordError`` for a message that is no record."""
        try:
            if value is None:
                if key is not None:
                    self.delete(key.decode())
                return
            self.upsert(self.decode(value))
        except RecordError:
            raise
        except (KeyError, InputError, ValueError) as exc:  # a key not UTF-8 is a ValueError too
            raise RecordError("invalid_record", f"{type(exc).__name__}: {exc}") from exc

    async def run(self) -> None:
        """Follow the topic forever; a failure is logged and the feed starts over."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s feed failed; restarting in 5s", self.base)
                await asyncio.sleep(5)

    async def _follow(self) -> None:
        # Without a group id, a subscription is assigned every partition: each worker reads all.
        consumer = AIOKafkaConsumer(
            self.topic,
            **client_options(self.settings),
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        producer = AsyncProducer(self.settings, linger_ms=5)
        letters = DeadLetters(self.settings, lambda t, k, v, h: producer.send(t, v, key=k, headers=h))
        deliveries = Deliveries()
        try:
            end: dict[TopicPartition, int] | None = None
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for messages in batches.values():
                    for message in messages:
                        try:
                            self.apply(message.key, message.value)
                        except RecordError as exc:
                            where = (message.topic, message.partition, message.offset)
                            letter = dead_letter(FEED, exc, *where, message.key, message.value, None)
                            await deliveries.add(await letters.send(letter), f"the dead letter of {where}")
                await deliveries.check()  # a refusal starts the feed over: the letter is sent again
                self.caught_up()
                tps = consumer.assignment()
                if self.ready.is_set() or not tps:
                    continue
                if end is None:
                    end = await consumer.end_offsets(list(tps))
                if all([await consumer.position(tp) >= end[tp] for tp in tps]):
                    log.info("%s feed ready", self.base)
                    self.ready.set()
        finally:
            await consumer.stop()
            await producer.stop()


class SupplierFeed(CompactedFeed):
    """The ``suppliers`` topic into a worker's supplier index."""

    base = SUPPLIERS_TOPIC

    def __init__(self, settings: Settings, index: SupplierIndex) -> None:
        super().__init__(settings)
        self.index = index

    def upsert(self, record: dict[str, Any]) -> None:
        self.index.upsert(Supplier.from_record(record))

    def delete(self, key: str) -> None:
        self.index.delete(key)

    def caught_up(self) -> None:
        SUPPLIERS.set(len(self.index))
        INDEX_ROWS.set(self.index.row_count)


class CorrectionFeed(CompactedFeed):
    """The ``payees.corrections`` topic into the corrections a stage applies."""

    base = CORRECTIONS_TOPIC

    def __init__(self, settings: Settings, corrections: Corrections) -> None:
        super().__init__(settings)
        self.corrections = corrections

    def upsert(self, record: dict[str, Any]) -> None:
        self.corrections.put(Correction.from_record(record))

    def delete(self, key: str) -> None:
        self.corrections.withdraw(key)

    def caught_up(self) -> None:
        CORRECTIONS.set(len(self.corrections))
