"""``payeeflow dlq``: the dead letters the sink stored, listed, decoded, and replayed after a fix.

A replay sends a dead letter's original bytes, with its key, to the topic of the stage it failed at
(``exclusion`` reads ``payees.raw``, ``sink`` and ``feed`` the topic they were consuming…), checks
every send, and marks the letters ``replayed_at``. The replayed record is a new message: if it
fails again it becomes a new dead letter; if it is stored, its batch counts it stored. Ingest
rejects have no record to replay (the file row never became one): fix the file and ingest it
again. A letter sent cut (``payload_sha256`` set: too large for the broker) holds only the first
bytes of its record and is not replayed either; the original is the message at its topic,
partition and offset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from aiokafka import AIOKafkaProducer
from psycopg.rows import dict_row

from payeeflow.brokers import client_options
from payeeflow.config import Settings
from payeeflow.errors import InputError
from payeeflow.schemas import codec_for
from payeeflow.streams.deadletters import FEED
from payeeflow.streams.delivery import Deliveries
from payeeflow.streams.topics import CLASSIFIED, MATCHED, RAW, SCREENED

STAGE_SOURCES = {"exclusion": RAW, "classification": SCREENED, "matching": CLASSIFIED, "enrichment": MATCHED}


@dataclass(frozen=True)
class Filters:
    reason: str | None = None
    stage: str | None = None
    batch_id: str | None = None
    since: datetime | None = None
    include_replayed: bool = False

    def where(self) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("reason", self.reason), ("stage", self.stage), ("batch_id", self.batch_id)):
            if value is not None:
                clauses.append(f"{column} = %s")
                params.append(value)
        if self.since is not None:
            clauses.append("failed_at >= %s")
            params.append(self.since)
        if not self.include_replayed:
            clauses.append("replayed_at IS NULL")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def summary(dsn: str, filters: Filters) -> list[dict[str, Any]]:
    """Counts by stage and reason, with the newest failure of each."""
    where, params = filters.where()
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT stage, reason, count(*) AS count, max(failed_at) AS last_failed_at"
            f" FROM dead_letters{where} GROUP BY stage, reason ORDER BY count(*) DESC, stage, reason",
            params,
        ).fetchall()


def listing(dsn: str, filters: Filters, limit: int) -> list[dict[str, Any]]:
    where, params = filters.where()
    with psycopg.connect(dsn, row_factory=dict_row) as conn:
        return conn.execute(
            "SELECT id, failed_at, stage, reason, payee_id, batch_id, replayed_at"
            f" FROM dead_letters{where} ORDER BY id DESC LIMIT %s",
            [*params, limit],
        ).fetchall()


def source_topic(settings: Settings, letter: dict[str, Any]) -> str | None:
    """The topic a dead letter's bytes were read from, which a replay sends them back to."""
    if letter["stage"] in STAGE_SOURCES:
        return settings.topic(STAGE_SOURCES[letter["stage"]])
    if letter["stage"] in ("sink", FEED):
        return str(letter["topic"])
    return None  # ingest: a file row, not a record


def show(settings: Settings, letter_id: int) -> dict[str, Any]:
    """One dead letter with its payload decoded (Avro to JSON, a file row to text)."""
    with psycopg.connect(settings.dsn, row_factory=dict_row) as conn:
        letter = conn.execute("SELECT * FROM dead_letters WHERE id = %s", (letter_id,)).fetchone()
    if letter is None:
        raise InputError(f"no dead letter {letter_id}")
    return decoded(settings, letter)


def decoded(settings: Settings, letter: dict[str, Any]) -> dict[str, Any]:
    """A ``dead_letters`` row as readable JSON: its key as text, its payload decoded (Avro to
    JSON, a file row to text, bytes that do not decode as hex with the error)."""
    letter = dict(letter)
    payload: bytes | None = letter.pop("payload")
    key: bytes | None = letter.pop("key")
    letter["key"] = key.decode("utf-8", "backslashreplace") if key else None
    topic = source_topic(settings, letter)
    base = topic[len(settings.topic_prefix) :] if topic else None
    if payload is None:
        letter["payload"] = None
    elif base is None:
        letter["payload"] = payload.decode("utf-8", "backslashreplace")
    else:
        try:
            letter["payload"] = codec_for(base, settings).decode(payload)
        except Exception as exc:  # the reason it failed may be that it does not decode
            letter["payload"] = {"undecodable": str(exc), "bytes": payload.hex()}
    return json.loads(json.dumps(letter, default=str))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Replay:
    sent: dict[str, int]
    not_replayable: int


async def replay(settings: Settings, filters: Filters, dry_run: bool = False) -> Replay:
    """Send every matching, not yet replayed letter back to its stage's topic; mark it replayed."""
    if filters.include_replayed:
        raise InputError("a replay takes only letters not replayed yet")
    where, params = filters.where()
    with psycopg.connect(settings.dsn, row_factory=dict_row) as conn:
        letters = conn.execute(
            f"SELECT id, stage, topic, key, payload, payload_sha256 FROM dead_letters{where} ORDER BY id",
            params,
        ).fetchall()
    plan: dict[str, list[dict[str, Any]]] = {}
    skipped = 0
    for letter in letters:
        topic = source_topic(settings, letter)
        if topic is None or letter["payload"] is None or letter["payload_sha256"] is not None:
            skipped += 1
            continue
        plan.setdefault(topic, []).append(letter)
    sent = {topic: len(items) for topic, items in plan.items()}
    if dry_run or not plan:
        return Replay(sent, skipped)
    producer = AIOKafkaProducer(**client_options(settings), acks="all", enable_idempotence=True)
    await producer.start()
    deliveries = Deliveries()
    try:
        for topic, items in plan.items():
            for letter in items:
                future = await producer.send(topic, letter["payload"], key=letter["key"])
                await deliveries.add(future, f"dead letter {letter['id']}")
        await producer.flush()
        await deliveries.check()
    finally:
        await producer.stop()
    ids = [letter["id"] for items in plan.values() for letter in items]
    with psycopg.connect(settings.dsn) as conn:
        conn.execute("UPDATE dead_letters SET replayed_at = clock_timestamp() WHERE id = ANY(%s)", (ids,))
    return Replay(sent, skipped)
