"""``payeeflow ingest``: a payee file into ``payees.raw``, then the batch manifest.

Rows that cannot even be read, and rows giving a payee's id to another payee
(``connectors/files/identities.py``), go to ``payees.dlq`` (stage ``ingest``) with their line and their
original bytes, so every row of the file ends up somewhere a person can find it.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tqdm import tqdm

from payeeflow.config import Settings
from payeeflow.connectors.files.identities import CONFLICT, PayeeIds, Seen
from payeeflow.connectors.files.limits import FileLimits
from payeeflow.connectors.files.rows import open_rows, payee_id_for, to_record
from payeeflow.errors import RecordError
from payeeflow.schemas import codec_for
from payeeflow.streams.deadletters import DeadLetters, dead_letter
from payeeflow.streams.delivery import Deliveries
from payeeflow.streams.sender import AsyncProducer
from payeeflow.streams.topics import BATCHES, RAW

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    batch_id: str
    produced: int  # distinct payees
    rejected: int
    repeats: int
    versions: int  # later versions of a payee (moved, or a tax id added) produced after its first
    conflicting: int  # of the rejected, rows giving a payee's id to another payee
    encoding: str
    mapping: str  # the fields and the columns they were read from


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8]


async def ingest_file(
    settings: Settings,
    path: Path,
    batch_id: str | None = None,
    progress: bool = True,
    rate: float | None = None,
    encoding: str | None = None,
    source: str | None = None,
    maps: dict[str, str] | None = None,
    sheet: str | None = None,
) -> IngestResult:
    """Produce every distinct payee of ``path``; ``rate`` caps records per second (None: no cap).
    ``source`` names the file in the records and the manifest (default: the path's name).

    A payee repeated in the file (same ``payee_id``, same payee) is produced once per batch, so
    the batch's ``total`` counts distinct payees and each gets exactly one outcome; the same payee
    at another address is produced again as a later version, and a row giving its id to another
    payee is rejected (``connectors/files/identities.py``). Every send is checked: if the broker refuses
    a record, the command fails with ``DeliveryError`` and no manifest is sent.
    """
    opened = open_rows(path, encoding, maps, sheet, FileLimits.from_settings(settings))
    batch_id = batch_id or new_batch_id()
    source = source or path.name
    raw = codec_for(RAW, settings)
    topic = settings.topic(RAW)
    producer = AsyncProducer(settings, linger_ms=10)
    deliveries = Deliveries()
    deadletters = DeadLetters(settings, lambda t, k, v, h: producer.send(t, v, key=k, headers=h))
    started = datetime.now(UTC)
    clock = time.monotonic()
    produced = rejected = repeats = versions = conflicting = 0
    ids = PayeeIds()  # the payees of this batch by id (bounded by the file's distinct payees)
    bumped: dict[str, int] = {}  # payees given a later version in this file: its latest
    try:
        for line, row, original in tqdm(
            opened.rows, desc=f"ingest {source}", unit=" rows", disable=not progress
        ):
            try:
                if isinstance(row, RecordError):
                    raise row
                seen = ids.see(line, payee_id_for(row), row)
                record = to_record(row, batch_id, source, datetime.now(UTC), opened.mapping.consumed)
            except RecordError as exc:
                rejected += 1
                conflicting += exc.reason == CONFLICT
                letter = dead_letter("ingest", exc, source, 0, line, None, original, None)
                letter["batch_id"] = batch_id
                await deliveries.add(await deadletters.send(letter), f"the reject of line {line}")
                continue
            if seen is Seen.REPEAT:
                repeats += 1
                continue
            if seen is Seen.CHANGED:
                versions += 1
                if not row.get("version"):  # later in the file, later in time: never a tie
                    payee_id = record["payee_id"]
                    record["version"] = max(record["version"], bumped.get(payee_id, record["version"]) + 1)
                    bumped[payee_id] = record["version"]
            else:
                produced += 1
            future = await producer.send(topic, raw.encode(record), key=record["payee_id"].encode())
            await deliveries.add(future, f"the payee of line {line}")
            sent = produced + versions
            if rate and sent % 50 == 0 and (ahead := sent / rate - (time.monotonic() - clock)) > 0:
                await asyncio.sleep(ahead)
        await deliveries.check()
        manifest = {
            "batch_id": batch_id,
            "source": source,
            "total": produced,
            "rejected": rejected,
            "rows": produced + versions + repeats + rejected,
            "started_at": started,
            "finished_at": datetime.now(UTC),
        }
        await deliveries.add(
            await producer.send(
                settings.topic(BATCHES), codec_for(BATCHES, settings).encode(manifest), key=batch_id.encode()
            ),
            f"the manifest of batch {batch_id}",
        )
        await deliveries.check()
    finally:
        await producer.stop()
    log.info("ingested", extra={"batch_id": batch_id, "count": produced})
    return IngestResult(
        batch_id,
        produced,
        rejected,
        repeats,
        versions,
        conflicting,
        opened.encoding,
        opened.mapping.describe(),
    )
