"""Checked sends for the commands that produce (ingest, supplier load): no refusal goes unseen.

A producer's ``send()`` (aiokafka's, or ``streams.sender.AsyncProducer`` over librdkafka) returns
a future per record once it is queued; a record the broker refuses (too large, authorisation, a
topic gone) fails only that future. ``Deliveries`` keeps the futures of a bounded window, awaits
them as the window fills and at the end, and turns the first failure into a ``DeliveryError``
naming the record, so the command fails loudly instead of reporting success.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka.errors import KafkaError
from confluent_kafka import KafkaException

from payeeflow.errors import DeliveryError


class Deliveries:
    def __init__(self, window: int = 10_000) -> None:
        self.window = window
        self._pending: list[tuple[asyncio.Future[Any], str]] = []

    async def add(self, future: asyncio.Future[Any], what: str) -> None:
        """Track one send; ``what`` names the record in the error (an id, never a name)."""
        self._pending.append((future, what))
        if len(self._pending) >= self.window:
            await self.check()

    async def check(self) -> None:
        """Wait for every tracked send; raise ``DeliveryError`` for the first that failed."""
        pending, self._pending = self._pending, []
        waiting = [future for future, _ in pending if not future.done()]
        if waiting:  # most are settled by now: no gather over the whole window
            await asyncio.wait(waiting)
        for future, what in pending:
            error = future.exception()
            if isinstance(error, KafkaError | KafkaException | OSError | asyncio.TimeoutError):
                raise DeliveryError(f"Kafka did not take {what}: {type(error).__name__}: {error}")
            if error is not None:
                raise error
