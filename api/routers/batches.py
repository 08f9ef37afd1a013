"""``/batches/{batch_id}``: how far a batch has come, per stage and outcome.

Progress is counted from ``batch_payees``: one outcome (stored or dead-lettered) per payee the
batch carried, with the payee's answers as this batch stored them, so counts and exports stay
as they were when a later batch (or a correction) changes the payee. ``total`` is the number of
distinct payees ingest produced, so ``stored + dead_lettered + pending == total``; rows ingest
could not read at all are ``rejected_at_source``.

``payeeflow retention`` deletes a finished batch's members after some days and keeps their counts
on its manifest: the batch then answers the same counts, with ``results_deleted_at``, and its
results export is a 410.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal, cast

from cachetools import TTLCache
from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.responses import StreamingResponse
from psycopg_pool import AsyncConnectionPool

from payeeflow.agents.rows import (
    CLASSIFICATION_COLUMNS,
    ENRICHMENT_COLUMNS,
    MATCH_COLUMNS,
    REVIEW_COLUMNS,
    SCREENING_COLUMNS,
)
from payeeflow.api.deps import Row, get_export_pool, get_pool
from payeeflow.api.exports import csv_lines, json_lines
from payeeflow.api.lean import reads_by_key
from payeeflow.api.models import ID_LENGTH, NO_NUL, BatchStatus, Problem
from payeeflow.api.routers.intake import UPLOAD_ORPHANED_AFTER
from payeeflow.api.security import REFUSALS, require
from payeeflow.connectors.database.batchcounts import MEMBER_COUNTS

router = APIRouter(prefix="/batches", tags=["batches"], dependencies=[require("read")], responses=REFUSALS)

COUNTS = f"""
SELECT
  (SELECT row_to_json(b) FROM batches b WHERE b.batch_id = %(id)s) AS manifest,
  (SELECT row_to_json(u) FROM (SELECT source, error, ingested_at IS NULL
                                       AND alive_at < now() - make_interval(secs => %(orphaned)s) AS orphaned
                                  FROM uploads WHERE batch_id = %(id)s) u) AS upload,
  ({MEMBER_COUNTS}) AS counts
"""


def counted_lately() -> TTLCache[str, asyncio.Future[bytes]]:
    """Batches' counts, kept a second: clients poll progress, and counting a 10,000-payee batch
    for every poll would make the polls the database's main work. What is kept is the count
    itself, running or done, so the polls that find it expired wait for one count, not one each."""
    return TTLCache(maxsize=1024, ttl=1.0)


@router.get("/{batch_id}", response_model=BatchStatus, responses={404: {"model": Problem}})
async def get_batch(
    request: Request, batch_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)]
) -> Response:
    """How far a batch has come (counted at most a second ago)."""
    recent: TTLCache[str, asyncio.Future[bytes]] = request.app.state.batch_counts
    if (counting := recent.get(batch_id)) is None:
        counting = recent[batch_id] = asyncio.ensure_future(_count(batch_id, get_pool(request)))

        def forget_failure(done: asyncio.Future[bytes]) -> None:
            """Only counts are kept: the next poll of an unknown batch, or after an error, asks again."""
            if (done.cancelled() or done.exception() is not None) and recent.get(batch_id) is done:
                recent.pop(batch_id, None)

        counting.add_done_callback(forget_failure)
    # shielded: a poll that hangs up leaves the count to the others
    return Response(await asyncio.shield(counting), media_type="application/json")


get_batch_lean = reads_by_key(get_batch, "batch_id", "read")  # progress, which clients poll


async def _count(batch_id: str, pool: AsyncConnectionPool) -> bytes:
    """The batch's progress as its JSON."""
    async with pool.connection() as conn:
        cur = await conn.execute(COUNTS, {"id": batch_id, "orphaned": UPLOAD_ORPHANED_AFTER})
        row = cast(Row | None, await cur.fetchone())
    assert row is not None
    manifest, upload = row["manifest"], row["upload"]
    closed = manifest is not None and manifest["final_counts"] is not None
    # once retention deleted its members, the counts they gave then
    counts: dict[str, Any] = manifest["final_counts"] if closed else row["counts"]
    stored, dead = counts["stored"], counts["dead_lettered"]
    if manifest is None and upload is None and not (stored or dead or counts["dead_letters_by_stage"]):
        raise HTTPException(404, f"no batch {batch_id!r}")
    error = upload["error"] if upload else None
    total = manifest["total"] if manifest else None
    if total is None and upload and upload["orphaned"] and not error:
        error = "the API process ingesting this upload ended before it was read; upload the file again"
    rejected = manifest["rejected"] if manifest else 0
    pending = max(total - stored - dead, 0) if total is not None else None
    if error and total is None:
        status = "failed"
    elif total is None:
        status = "receiving"
    elif pending:
        status = "processing"
    else:
        status = "complete_with_errors" if dead or rejected else "complete"
    progress = BatchStatus(
        batch_id=batch_id,
        status=status,
        error=error,
        source=manifest["source"] if manifest else upload["source"] if upload else None,
        total=total,
        rejected_at_source=rejected,
        rows=manifest["rows"] if manifest else None,
        pending=pending,
        **counts,
        started_at=manifest["started_at"] if manifest else None,
        finished_at=manifest["finished_at"] if manifest else None,
        results_deleted_at=manifest["results_deleted_at"] if manifest else None,
    )
    return progress.model_dump_json().encode()


EXPORT_COLUMNS = [
    *("payee_id", "outcome", "name", "address", "city", "state", "zip"),
    *SCREENING_COLUMNS,
    *CLASSIFICATION_COLUMNS,
    *MATCH_COLUMNS,
    *ENRICHMENT_COLUMNS,
    *REVIEW_COLUMNS,
    "dead_letter_reason",
]
_SNAPSHOT = ", ".join(f"m.{c}" for c in EXPORT_COLUMNS[2:-1])
EXPORT = f"""
SELECT m.payee_id, m.outcome, {_SNAPSHOT}, dl.reason AS dead_letter_reason
  FROM batch_payees m
  LEFT JOIN LATERAL (SELECT reason FROM dead_letters d
                      WHERE d.batch_id = m.batch_id AND d.payee_id = m.payee_id
                      ORDER BY d.id DESC LIMIT 1) dl ON m.outcome = 'dead_letter'
 WHERE m.batch_id = %s
 ORDER BY m.payee_id
"""
FOUND = """
SELECT (SELECT results_deleted_at FROM batches WHERE batch_id = %(id)s) AS deleted_at,
       EXISTS (SELECT FROM batch_payees WHERE batch_id = %(id)s) AS members
"""


@router.get(
    "/{batch_id}/results.{fmt}",
    responses={
        200: {
            "content": {"text/csv": {}, "application/x-ndjson": {}},
            "description": "Every payee of the batch",
        },
        404: {"model": Problem},
        410: {"model": Problem, "description": "The batch's results were deleted by retention"},
    },
    response_class=StreamingResponse,
)
async def export(
    request: Request,
    batch_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)],
    fmt: Literal["csv", "jsonl"],
) -> StreamingResponse:
    """Every payee the batch carried, in the file commands' column order: a stored payee's
    answers, or the reason it was dead-lettered. Streamed from a server-side cursor."""
    async with get_pool(request).connection() as conn:
        cur = await conn.execute(FOUND, {"id": batch_id})
        found = cast(Row, await cur.fetchone())
    if found["deleted_at"] is not None:
        raise HTTPException(
            410,
            f"the per-payee results of batch {batch_id!r} were deleted by retention on "
            f"{found['deleted_at']:%Y-%m-%d}; its counts remain at /batches/{batch_id}",
        )
    if not found["members"]:
        raise HTTPException(404, f"no payees in batch {batch_id!r}")
    lines = csv_lines if fmt == "csv" else json_lines
    media = "text/csv" if fmt == "csv" else "application/x-ndjson"
    name = f"{batch_id}.{fmt}".replace('"', "")
    return StreamingResponse(
        lines(get_export_pool(request), EXPORT, (batch_id,), EXPORT_COLUMNS),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
