"""Dead letters: a record a stage cannot process goes to ``payees.dlq`` with why.

A dead letter carries the bytes that failed, so it may be larger than the broker takes (a record
near the limit, plus the letter's own fields and the key twice). Such a letter is sent cut to fit
``kafka_max_message_bytes``: its payload's first bytes, with ``payload_size`` and
``payload_sha256`` of the whole; ``topic``, ``partition`` and ``offset`` point at the message whose
processing failed, which holds the original. A letter too large would otherwise never be sent.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from payeeflow.config import Settings
from payeeflow.errors import RecordError
from payeeflow.metrics import DEAD_LETTERS, RECORDS
from payeeflow.schemas import codec_for
from payeeflow.schemas.limits import MAX_ID_LENGTH
from payeeflow.streams.topics import DLQ

log = logging.getLogger(__name__)

Send = Callable[[str, bytes | None, bytes, list[tuple[str, bytes]]], Awaitable[Any]]
# What a Kafka message adds to its key and value (batch and record headers, the letter's two
# headers), with room to spare: a letter's key and value must fit the limit less this.
MESSAGE_OVERHEAD = 1024
KEY_ROOM = 1024  # a cut letter's key: a key longer than this is itself poison
FEED = "feed"  # the stage of the letters of a compacted topic's feed (``agents/feeds.py``)


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
        "payload_size": None,
        "payload_sha256": None,
        "failed_at": datetime.now(UTC),
    }


def storable_id(value: str | None) -> str | None:
    """An id a dead letter can be stored and indexed under: no NUL, at most ``MAX_ID_LENGTH``.

    An id too long or holding NUL is cut and given a hash of the whole, so it stays distinct.
    """
    if value is None or (len(value) <= MAX_ID_LENGTH and "\x00" not in value):
        return value
    digest = hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=6).hexdigest()
    return value[: MAX_ID_LENGTH - 20].replace("\x00", "\ufffd") + f"…#{digest}"


class DeadLetters:
    """Encodes dead letters, cut to fit the broker, and hands them to a producer's send function."""

    def __init__(self, settings: Settings, send: Send) -> None:
        self.topic = settings.topic(DLQ)
        self.room = settings.kafka_max_message_bytes - MESSAGE_OVERHEAD
        self._send = send
        self._codec = codec_for(DLQ, settings)

    def encoded(self, letter: dict[str, Any]) -> tuple[bytes | None, bytes]:
        """The letter's key and value as sent: whole when they fit, else cut (``cut``)."""
        value = self._codec.encode(letter)
        if len(value) + len(letter["key"] or b"") <= self.room:
            return letter["key"], value
        letter = self.cut(letter)
        return letter["key"], self._codec.encode(letter)

    def cut(self, letter: dict[str, Any]) -> dict[str, Any]:
        """``letter`` with its payload's first bytes only (and its key and ids bounded), with the
        size and SHA-256 of the whole payload, fitting ``room`` once encoded with its key."""
        payload = letter["payload"] or b""
        key = letter["key"]
        cut = {
            **letter,
            "key": None if key is None else key[:KEY_ROOM],
            "payee_id": storable_id(letter["payee_id"]),
            "batch_id": storable_id(letter["batch_id"]),
            "error": letter["error"][:2000],
            "payload": b"",
            "payload_size": letter.get("payload_size") or len(payload),
            "payload_sha256": letter.get("payload_sha256") or hashlib.sha256(payload).hexdigest(),
        }
        rest = len(self._codec.encode(cut)) + len(cut["key"] or b"") + 8  # 8: the length grows
        cut["payload"] = payload[: max(0, self.room - rest)]
        return cut

    async def send(self, letter: dict[str, Any]) -> Any:
        RECORDS.labels(letter["stage"], "dead_letter").inc()
        DEAD_LETTERS.labels(letter["stage"], letter["reason"]).inc()
        log.warning(
            "dead letter",
            extra={
                k: letter[k]
                for k in ("stage", "reason", "payee_id", "batch_id", "topic", "partition", "offset")
            },
        )
        headers = [("stage", letter["stage"].encode()), ("reason", letter["reason"].encode())]
        key, value = self.encoded(letter)
        return await self._send(self.topic, key, value, headers)
