"""Dead letters: a record a stage cannot process goes to ``payees.dlq`` with why."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from payeeflow.config import Settings
from payeeflow.errors import RecordError
from payeeflow.metrics import RECORDS
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import DLQ

log = logging.getLogger(__name__)

Send = Callable[[str, bytes | None, bytes, list[tuple[str, bytes]]], Awaitable[Any]]


def dead_letter(
    stage: str,
    exc: BaseException,
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    payload: bytes | None,
    record: dict[str, Any] | None,
) -> dict[str, Any]:
    reason = exc.reason if isinstance(exc, RecordError) else "stage_error"
    return {
        "stage": stage,
        "reason": reason,
        "error": f"{type(exc).__name__}: {exc}"[:2000],
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "payee_id": (record or {}).get("payee_id"),
        "batch_id": (record or {}).get("batch_id"),
        "key": key,
        "payload": payload,
        "failed_at": datetime.now(UTC),
    }


class DeadLetters:
    """Encodes dead letters and hands them to a producer's send function."""

    def __init__(self, settings: Settings, send: Send) -> None:
        self.topic = settings.topic(DLQ)
        self._send = send
        self._codec = codec_for(DLQ, settings)

    async def send(self, letter: dict[str, Any]) -> Any:
        RECORDS.labels(letter["stage"], "dead_letter").inc()
        log.warning(
            "dead letter",
            extra={
                k: letter[k]
                for k in ("stage", "reason", "payee_id", "batch_id", "topic", "partition", "offset")
            },
        )
        headers = [("stage", letter["stage"].encode()), ("reason", letter["reason"].encode())]
        return await self._send(self.topic, letter["key"], self._codec.encode(letter), headers)
