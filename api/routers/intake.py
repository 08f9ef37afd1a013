"""HTTP intake (``ingest`` scope): a file (CSV, JSONL or XLSX) as a batch, one payee event, and
one payee processed now.

The same validation, rejects and Avro as ``payeeflow ingest``: an upload is written to a file as
it arrives (never held in memory), checked as the command checks a file (a clear 422 when it has
no usable header), then ingested in the background while the answer gives the batch id at once.

A hostile file is refused, the rest of the API undisturbed: a body over ``api_upload_max_bytes``
(by its Content-Length, before a byte is read, or as it arrives), a row or cell over the field cap
or a workbook inflating past its cap are a 413; a workbook that is a zip bomb by ratio or declares
XML entities is a 422 (``connectors/files/limits.py``). An upload holds a place until it is ingested
(``api/uploads.py``): past ``api_uploads_at_once`` or ``api_upload_disk_bytes``, a 503.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, HTTPException, Query, Request
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

from payeeflow.agents.validation import validate_record
from payeeflow.api import keys
from payeeflow.api.deps import ConnDep, get_pool
from payeeflow.api.models import NO_NUL, PayeeAccepted, PayeeEvent, Processed, UploadAccepted
from payeeflow.api.security import REFUSALS, require
from payeeflow.api.uploads import Place
from payeeflow.config import Settings
from payeeflow.connectors.files.columns import parse_maps
from payeeflow.connectors.files.ingest import ingest_file, new_batch_id
from payeeflow.connectors.files.limits import FileLimits
from payeeflow.connectors.files.rows import JSONL_SUFFIXES, XLSX_SUFFIXES, open_rows, to_record
from payeeflow.errors import InputError, RecordError, TooLarge
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import RAW

log = logging.getLogger(__name__)
router = APIRouter(tags=["intake"], responses=REFUSALS)
IngestKey = Annotated[keys.ApiKey, require("ingest")]
UPLOAD_HEARTBEAT = 10.0  # seconds between an ingesting upload's signs of life
UPLOAD_ORPHANED_AFTER = 60  # seconds without one: its API process ended, the batch failed
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_BODY = {
    "required": True,
    "content": {
        media: {"schema": {"type": "string", "format": "binary"}}
        for media in ("text/csv", "application/x-ndjson", XLSX_MEDIA, "application/octet-stream")
    },
}


def _invalid(message: str, kind: str = "value_error") -> HTTPException:
    """A 422 in FastAPI's validation shape, as the OpenAPI document says a 422 is."""
    return HTTPException(422, [{"loc": ["body"], "msg": message, "type": kind}])


@router.post(
    "/batches",
    status_code=202,
    response_model=UploadAccepted,
    responses={
        413: {
            "description": "Larger than api_upload_max_bytes, a row or cell over file_max_field_bytes, "
            "or a workbook inflating past file_max_inflated_bytes"
        },
        503: {"description": "api_uploads_at_once uploads held, or api_upload_disk_bytes full: retry"},
    },
    openapi_extra={"requestBody": UPLOAD_BODY},
)
async def upload(
    request: Request,
    key: IngestKey,
    source: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            pattern=NO_NUL,
            description="The file's name: `.xlsx` is read as an Excel workbook (its first sheet),"
            " `.jsonl`/`.ndjson` as JSON lines, anything else as CSV",
        ),
    ] = "upload.csv",
    columns: Annotated[
        list[str] | None,
        Query(
            alias="map",
            max_length=20,
            description="FIELD=COLUMN (payee_id, name, address, city, state, zip, tax_id; COLUMN+COLUMN "
            "joins two), as `payeeflow ingest --map`; without it the usual header names are recognised",
        ),
    ] = None,
    sheet: Annotated[
        str | None, Query(max_length=200, pattern=NO_NUL, description="An .xlsx workbook's sheet")
    ] = None,
) -> dict[str, str]:
    """A CSV, JSONL or XLSX payee file as a new batch: answered at once, ingested in the background."""
    settings: Settings = request.app.state.settings
    suffix = Path(source).suffix.lower()
    suffix = suffix if suffix in JSONL_SUFFIXES + XLSX_SUFFIXES else ".csv"
    try:
        maps = parse_maps(columns or [])
    except InputError as exc:
        raise _invalid(str(exc)) from exc
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.api_upload_max_bytes:
        raise _too_large(settings.api_upload_max_bytes)  # before a byte of it is read
    place = request.app.state.uploads.take()
    handle, name = tempfile.mkstemp(prefix="payeeflow-upload-", suffix=suffix)
    os.close(handle)
    path = Path(name)
    limits = FileLimits.from_settings(settings)
    try:
        size = await _receive(request, path, settings.api_upload_max_bytes, place)
        try:
            # a workbook's shared strings are parsed when it opens: not on the loop's thread
            await asyncio.to_thread(lambda: open_rows(path, None, maps, sheet, limits).rows.close())  # type: ignore[attr-defined]
        except TooLarge as exc:
            raise HTTPException(413, str(exc).replace(str(path), source)) from exc
        except InputError as exc:
            raise _invalid(str(exc).replace(str(path), source)) from exc
        batch_id = new_batch_id()
        async with get_pool(request).connection() as conn, conn.transaction():  # not held while receiving
            await conn.execute(
                "INSERT INTO uploads (batch_id, key_id, source, bytes) VALUES (%s, %s, %s, %s)",
                (batch_id, key.key_id, source, size),
            )
            await _audit(conn, key, "batch.upload", batch_id, {"source": source, "bytes": size})
    except BaseException:
        path.unlink(missing_ok=True)
        place.release()
        raise
    task = asyncio.create_task(
        _ingest(settings, get_pool(request), path, batch_id, source, maps, sheet, place)
    )
    request.app.state.ingests.add(task)
    task.add_done_callback(request.app.state.ingests.discard)
    return {"batch_id": batch_id, "status_url": f"/batches/{batch_id}"}


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"the upload is larger than {limit:,} bytes (PAYEEFLOW_API_UPLOAD_MAX_BYTES)")


async def _receive(request: Request, path: Path, limit: int, place: Place) -> int:
    size = 0
    with path.open("wb") as fh:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            place.grow(len(chunk))
            fh.write(chunk)
    if not size:
        raise _invalid("the upload is empty")
    return size


async def _ingest(
    settings: Settings,
    pool: AsyncConnectionPool,
    path: Path,
    batch_id: str,
    source: str,
    maps: dict[str, str],
    sheet: str | None,
    place: Place,
) -> None:
    """Ingest an upload in a thread of its own (its parsing would stall this loop's requests),
    then record how it ended; the file and its place go either way."""
    error = None
    alive = asyncio.create_task(_heartbeat(pool, batch_id))
    try:
        await asyncio.to_thread(
            asyncio.run,
            ingest_file(settings, path, batch_id, progress=False, source=source, maps=maps, sheet=sheet),
        )
    except Exception as exc:  # whatever stopped it, the batch must say so
        error = str(exc).replace(str(path), source)[:500] or type(exc).__name__
        # its type alone: the message, kept for the batch's owner, may quote a row's name
        log.error("upload ingest failed", extra={"batch_id": batch_id, "reason": type(exc).__name__})
    finally:
        alive.cancel()
        path.unlink(missing_ok=True)
        place.release()
    async with pool.connection() as conn:  # the pool outlives every ingest (the API awaits them)
        await conn.execute(
            "UPDATE uploads SET ingested_at = now(), error = %s WHERE batch_id = %s", (error, batch_id)
        )


async def _heartbeat(pool: AsyncConnectionPool, batch_id: str) -> None:
    """Say the upload is still being ingested, so that one whose API process ended reads failed."""
    while True:
        await asyncio.sleep(UPLOAD_HEARTBEAT)
        try:
            async with pool.connection() as conn:
                await conn.execute("UPDATE uploads SET alive_at = now() WHERE batch_id = %s", (batch_id,))
        except psycopg.Error as exc:  # the database is away: the ingest goes on without it
            log.warning("upload heartbeat failed: %s", exc, extra={"batch_id": batch_id})


@router.post("/payees", status_code=202, response_model=PayeeAccepted)
async def send_payee(event: PayeeEvent, request: Request, key: IngestKey, conn: ConnDep) -> dict[str, Any]:
    """One payee event into ``payees.raw``, answered once the broker has it."""
    settings: Settings = request.app.state.settings
    record = record_from(event.row(), event.batch_id, "api", settings)
    producer = await request.app.state.producer()
    future = await producer.send(
        settings.topic(RAW), codec_for(RAW, settings).encode(record), key=record["payee_id"].encode()
    )
    await future
    async with conn.transaction():
        await _audit(conn, key, "payee.send", record["payee_id"], {"batch_id": record["batch_id"]})
    return {"payee_id": record["payee_id"], "batch_id": record["batch_id"], "version": record["version"]}


@router.post("/process", response_model=Processed, dependencies=[require("read")])
async def process(event: PayeeEvent, request: Request) -> dict[str, Any]:
    """One payee through every stage in this process, without Kafka, for interactive use."""
    settings: Settings = request.app.state.settings
    record = request.app.state.full_pipeline.process(
        record_from(event.row(), event.batch_id, "api-process", settings)
    )
    return {
        "payee_id": record["payee_id"],
        **{s: record.get(s) for s in Processed.model_fields if s != "payee_id"},
    }


def record_from(row: dict[str, str], batch_id: str, source: str, settings: Settings) -> dict[str, Any]:
    """The ``payees.raw`` record of a row sent over HTTP, validated as ingest validates a file's
    row; a refusal is a 422 in FastAPI's validation shape, as the OpenAPI document says."""
    try:
        record = to_record(row, batch_id, source, datetime.now(UTC))
        validate_record(record, settings.max_name_length)
    except RecordError as exc:
        raise _invalid(exc.detail or exc.reason, exc.reason) from exc
    return record


async def _audit(conn: Any, key: keys.ApiKey, action: str, target: str, detail: dict[str, Any]) -> None:
    await conn.execute(keys.AUDIT, (key.key_id, action, target, Jsonb(detail)))
