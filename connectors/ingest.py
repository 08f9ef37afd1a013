"""``payeeflow ingest``: a payee file into ``payees.raw``, then the batch manifest.

Rows that cannot even be read go to ``payees.dlq`` (stage ``ingest``) with their line, so every
row of the file ends up somewhere a person can find it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaProducer
from tqdm import tqdm

from connectors.files import open_rows, to_record
from payeeflow.config import Settings
from payeeflow.errors import RecordError
from schemas import codec_for
from streams.deadletters import DeadLetters, dead_letter
from streams.topics import BATCHES, DLQ, RAW

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    batch_id: str
    produced: int
    rejected: int


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8]


async def ingest_file(
    settings: Settings,
    path: Path,
    batch_id: str | None = None,
    progress: bool = True,
    rate: float | None = None,
) -> IngestResult:
    """Produce every row of ``path``; ``rate`` caps records per second (None: as fast as possible)."""
    _, rows = open_rows(path)
    batch_id = batch_id or new_batch_id()
    raw = codec_for(RAW)
    topic = settings.topic(RAW)
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        linger_ms=10,
        max_batch_size=256 * 1024,
        enable_idempotence=True,
    )
    await producer.start()
    deadletters = DeadLetters(settings.topic(DLQ), lambda t, k, v, h: producer.send(t, v, key=k, headers=h))
    started = datetime.now(UTC)
    clock = time.monotonic()
    produced = rejected = 0
    try:
        for line, row in tqdm(rows, desc=f"ingest {path.name}", unit=" rows", disable=not progress):
            if isinstance(row, RecordError):
                rejected += 1
                letter = dead_letter("ingest", row, str(path), 0, line, None, None, None)
                letter["batch_id"] = batch_id
                await deadletters.send(letter)
                continue
            record = to_record(row, batch_id, path.name, datetime.now(UTC))
            await producer.send(topic, raw.encode(record), key=record["payee_id"].encode())
            produced += 1
            if rate and produced % 50 == 0 and (ahead := produced / rate - (time.monotonic() - clock)) > 0:
                await asyncio.sleep(ahead)
        await producer.flush()
        manifest = {
            "batch_id": batch_id,
            "source": path.name,
            "total": produced,
            "rejected": rejected,
            "started_at": started,
            "finished_at": datetime.now(UTC),
        }
        await producer.send_and_wait(
            settings.topic(BATCHES), codec_for(BATCHES).encode(manifest), key=batch_id.encode()
        )
    finally:
        await producer.stop()
    log.info("ingested", extra={"batch_id": batch_id, "count": produced})
    return IngestResult(batch_id, produced, rejected)
