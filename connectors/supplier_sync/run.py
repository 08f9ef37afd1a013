"""One run of ``payeeflow suppliers sync``: the topic's state read, the source streamed against
it, each new or changed supplier sent, then the tombstones within the guard; every send checked
(``Deliveries``) and every count kept in the run's ``counts`` (``job_runs`` records them)."""

from __future__ import annotations

import asyncio
import csv
import logging
from collections import Counter
from collections.abc import AsyncIterator, MutableMapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from payeeflow.agents.formulas import neutralise
from payeeflow.config import Settings
from payeeflow.connectors.supplier_sync.diff import Diff, Verdict
from payeeflow.connectors.supplier_sync.postgres import PostgresSource
from payeeflow.connectors.supplier_sync.records import digest, supplier_record
from payeeflow.connectors.supplier_sync.topic import read_state
from payeeflow.errors import InputError, RecordError
from payeeflow.schemas import codec_for
from payeeflow.schemas.limits import MAX_ID_LENGTH
from payeeflow.streams.delivery import Deliveries
from payeeflow.streams.sender import AsyncProducer
from payeeflow.streams.topics import SUPPLIERS

log = logging.getLogger(__name__)

JOB = "suppliers-sync"  # its rows in job_runs, its CronJob
COUNTS = ("read", "unchanged", "upserted", "deleted", "rejected")
LOGGED = 20  # rejected rows logged one by one; the rest are counted (and all go to --rejects)


class Source(Protocol):
    label: str

    def rows(self) -> AsyncIterator[tuple[Any, ...]]: ...


def source_for(settings: Settings, name: str) -> Source:
    """The source ``name`` (postgres or bigquery) as the settings configure it."""
    if name == "bigquery":
        if not settings.bigquery_enabled:
            raise InputError("BigQuery is off: set PAYEEFLOW_BIGQUERY_ENABLED=true, with its project")
        from payeeflow.connectors.supplier_sync.bigquery import BigQuerySource

        return BigQuerySource(settings)
    if settings.supplier_source_url is None:
        raise InputError("no supplier source: set PAYEEFLOW_SUPPLIER_SOURCE_URL (a PostgreSQL DSN)")
    return PostgresSource(settings.supplier_source_url.get_secret_value(), settings.supplier_source_query)


async def sync_suppliers(
    settings: Settings,
    source: Source,
    counts: MutableMapping[str, int],
    allow_deletes: bool = False,
    rejects: Path | None = None,
) -> None:
    """Make the topic hold what ``source`` holds; ``counts`` says how far it got, even when it
    fails (``TooManyDeletes`` from the guard, ``SourceError``, ``DeliveryError``)."""
    for name in COUNTS:
        counts.setdefault(name, 0)
    codec = codec_for(SUPPLIERS, settings)
    topic = settings.topic(SUPPLIERS)
    diff = Diff(await asyncio.to_thread(read_state, settings, codec))
    log.info("%s holds %d suppliers; reading %s", topic, diff.live, source.label)
    now = datetime.now(UTC)
    reasons: Counter[str] = Counter()
    producer = AsyncProducer(settings, linger_ms=20)
    deliveries = Deliveries()
    with ExitStack() as stack:
        writer = None
        if rejects is not None:
            writer = csv.writer(stack.enter_context(rejects.open("w", newline="", encoding="utf-8")))
            writer.writerow(["row", "supplier_id", "reason", "detail"])
        try:
            async for values in source.rows():
                counts["read"] += 1
                try:
                    record = supplier_record(values, settings.max_name_length)
                    verdict = diff.row(record["supplier_id"], digest(record))
                    if verdict is Verdict.DUPLICATE:
                        raise RecordError("duplicate_id", "an earlier row has this supplier_id; it stands")
                except RecordError as exc:
                    counts["rejected"] += 1
                    reasons[exc.reason] += 1
                    shown = "" if values[0] is None else str(values[0]).strip()[:MAX_ID_LENGTH]
                    if shown and exc.reason != "duplicate_id":
                        diff.keep(shown)  # a bad row is no reason to delete its supplier
                    if counts["rejected"] <= LOGGED:
                        log.warning("row %d (supplier %r) rejected: %s", counts["read"], shown, exc)
                    if writer is not None:
                        writer.writerow([counts["read"], neutralise(shown), exc.reason, exc.detail])
                    continue
                if verdict is Verdict.UNCHANGED:
                    counts["unchanged"] += 1
                    continue
                key = record["supplier_id"]
                future = await producer.send(topic, codec.encode({**record, "updated_at": now}), key.encode())
                await deliveries.add(future, f"supplier {key}")
                counts["upserted"] += 1
            await deliveries.check()  # the upserts are on the topic whatever the guard says
            for key in diff.deletes(settings.supplier_sync_max_delete_share, allow_deletes):
                await deliveries.add(await producer.send(topic, None, key.encode()), f"tombstone {key}")
                counts["deleted"] += 1
            await deliveries.check()
        finally:
            await producer.stop()
            if reasons:
                log.warning("%d rows rejected: %s", counts["rejected"], dict(reasons.most_common()))
