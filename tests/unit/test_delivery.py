"""Checked sends: every delivery report reaches its future, a refusal fails the command."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from confluent_kafka import KafkaError

from payeeflow.config import Settings
from payeeflow.errors import DeliveryError
from payeeflow.streams import sender
from payeeflow.streams.delivery import Deliveries


class FakeLibrdkafka:
    """librdkafka's producer as ``AsyncProducer`` uses it: reports are served by ``poll`` and
    ``flush``, from whichever thread calls them; a key in ``refused`` is refused."""

    def __init__(self, refused: set[bytes]) -> None:
        self.refused = refused
        self._queued: list[tuple[bytes | None, Any]] = []
        self._lock = threading.Lock()
        self.closed = False

    def produce(self, topic: str, value: bytes | None, key: bytes | None, **kwargs: Any) -> None:
        with self._lock:
            self._queued.append((key, kwargs["on_delivery"]))

    def poll(self, timeout: float) -> int:
        with self._lock:
            queued, self._queued = self._queued[:50], self._queued[50:]
        for key, report in queued:
            report(KafkaError(KafkaError.MSG_SIZE_TOO_LARGE) if key in self.refused else None, None)
        return len(queued)

    def flush(self, timeout: float | None = None) -> int:
        while self.poll(0):
            pass
        return 0

    def close(self) -> bool:
        self.closed = not self._queued
        return True


async def _send_all(refused: set[bytes], count: int, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLibrdkafka(refused)
    monkeypatch.setattr(sender, "_producer", lambda settings, linger_ms: fake)
    producer = sender.AsyncProducer(Settings(), linger_ms=5)
    deliveries = Deliveries(window=100)
    try:
        for n in range(count):
            await deliveries.add(
                await producer.send("t", b"v", key=str(n).encode()), f"the payee of line {n}"
            )
        await asyncio.wait_for(deliveries.check(), 10)  # a report lost would hang here
    finally:
        await producer.stop()
        assert fake.closed  # closed once all was delivered: no client lingers until collected


def test_every_send_is_settled_however_the_reports_are_served(monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_send_all(set(), 1_234, monkeypatch))


def test_a_refused_record_fails_the_command_and_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DeliveryError, match="the payee of line 777: KafkaException"):
        asyncio.run(_send_all({b"777"}, 1_000, monkeypatch))
