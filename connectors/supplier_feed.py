"""Keeps a worker's supplier index current from the compacted ``suppliers`` topic.

Every match worker reads the whole topic itself (manual assignment, no consumer group), so each
holds the full network whatever payee partitions it owns. It reads up to the end offsets it saw
at start, then reports ready and keeps applying upserts and tombstones as they arrive.
"""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaConsumer, TopicPartition

from payeeflow.agents.matching.index import Supplier, SupplierIndex
from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.errors import DecodeError
from payeeflow.metrics import INDEX_ROWS, SUPPLIERS
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import SUPPLIERS as SUPPLIERS_TOPIC

log = logging.getLogger(__name__)


class SupplierFeed:
    def __init__(self, settings: Settings, index: SupplierIndex, ready: asyncio.Event) -> None:
        self.settings = settings
        self.index = index
        self.ready = ready
        self.topic = settings.topic(SUPPLIERS_TOPIC)
        self._codec = codec_for(SUPPLIERS_TOPIC, settings)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:
            if key is not None:
                self.index.delete(key.decode())
            return
        try:
            self.index.upsert(Supplier.from_record(self._codec.decode(value)))
        except (DecodeError, KeyError) as exc:
            log.warning("skipped a bad supplier record: %s", exc)

    async def run(self) -> None:
        """Follow the topic forever; a failure is logged and the feed starts over."""
        while True:
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("supplier feed failed; restarting in 5s")
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
        try:
            end: dict[TopicPartition, int] | None = None
            while True:
                batches = await consumer.getmany(timeout_ms=500, max_records=5000)
                for messages in batches.values():
                    for message in messages:
                        self.apply(message.key, message.value)
                SUPPLIERS.set(len(self.index))
                INDEX_ROWS.set(self.index.row_count)
                tps = consumer.assignment()
                if self.ready.is_set() or not tps:
                    continue
                if end is None:
                    end = await consumer.end_offsets(list(tps))
                if all([await consumer.position(tp) >= end[tp] for tp in tps]):
                    log.info("supplier index ready", extra={"count": len(self.index)})
                    self.ready.set()
        finally:
            await consumer.stop()
