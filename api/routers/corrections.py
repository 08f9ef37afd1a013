"""Corrections (``review`` scope): a reviewer sets a payee's type, its supplier, or "not a
supplier"; read them back, and export them for retraining (``payeeflow model train --corrections``).

A correction is an event on the compacted topic ``payees.corrections`` (key: the payee id), which
the classification and matching stages follow and the sink stores; this router only produces it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import StreamingResponse
from psycopg.types.json import Jsonb

from payeeflow.agents.corrections import EXPORT_COLUMNS, Correction
from payeeflow.api import keys
from payeeflow.api.deps import ConnDep, get_export_pool
from payeeflow.api.exports import csv_lines
from payeeflow.api.models import (
    ID_LENGTH,
    NO_NUL,
    CorrectionOut,
    CorrectionPage,
    CorrectionRequest,
    CorrectionWithdrawn,
    Problem,
)
from payeeflow.api.security import REFUSALS, require
from payeeflow.config import Settings
from payeeflow.schemas import codec_for
from payeeflow.streams.topics import CORRECTIONS

router = APIRouter(tags=["corrections"], responses=REFUSALS)
ReviewKey = Annotated[keys.ApiKey, require("review")]
PayeeId = Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)]
_COLUMNS = ", ".join(EXPORT_COLUMNS)


@router.post(
    "/payees/{payee_id}/correction",
    status_code=202,
    response_model=CorrectionOut,
    responses={404: {"model": Problem}},
)
async def correct(
    payee_id: PayeeId, body: CorrectionRequest, request: Request, key: ReviewKey, conn: ConnDep
) -> dict[str, Any]:
    """Correct a stored payee, answered once the broker has the correction. Its stored row takes
    the answer when the sink reads it; later records of the payee and of its name get it from the
    stages."""
    cur = await conn.execute(
        "SELECT name, supplier_id, supplier_name, match_candidates FROM payees WHERE payee_id = %s",
        (payee_id,),
    )
    payee = await cur.fetchone()
    if payee is None:
        raise HTTPException(404, f"no payee {payee_id[:100]!r}")
    known = {c["supplier_id"]: c["supplier_name"] for c in payee["match_candidates"]}
    known[payee["supplier_id"]] = payee["supplier_name"]
    correction = Correction(
        payee_id=payee_id,
        name=payee["name"],
        reviewer=key.name,
        corrected_at=datetime.now(UTC).replace(microsecond=0),
        payee_type=body.payee_type,
        supplier_id=body.supplier_id,
        supplier_name=known.get(body.supplier_id) if body.supplier_id else None,
        not_supplier=body.not_supplier,
        note=body.note,
    )
    settings: Settings = request.app.state.settings
    record = correction.to_record()
    await _send(request, payee_id, codec_for(CORRECTIONS, settings).encode(record))
    detail = body.model_dump(exclude_defaults=True)
    await conn.execute(keys.AUDIT, (key.key_id, "correction.set", payee_id, Jsonb(detail)))
    return record


@router.delete(
    "/payees/{payee_id}/correction",
    status_code=202,
    response_model=CorrectionWithdrawn,
    responses={404: {"model": Problem}},
)
async def withdraw(payee_id: PayeeId, request: Request, key: ReviewKey, conn: ConnDep) -> dict[str, Any]:
    """Withdraw a payee's correction (a tombstone on the topic): later records get the stages'
    own answers again."""
    cur = await conn.execute("SELECT 1 FROM corrections WHERE payee_id = %s", (payee_id,))
    if await cur.fetchone() is None:
        raise HTTPException(404, f"no correction in force for payee {payee_id[:100]!r}")
    await _send(request, payee_id, None)
    await conn.execute(keys.AUDIT, (key.key_id, "correction.withdraw", payee_id, Jsonb({})))
    return {"payee_id": payee_id, "withdrawn": True}


async def _send(request: Request, payee_id: str, value: bytes | None) -> None:
    settings: Settings = request.app.state.settings
    producer = await request.app.state.producer()
    await (await producer.send(settings.topic(CORRECTIONS), value, key=payee_id.encode()))


@router.get("/corrections", response_model=CorrectionPage, dependencies=[require("read")])
async def list_corrections(
    conn: ConnDep,
    reviewer: Annotated[str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL)] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=ID_LENGTH, pattern=NO_NUL, description="next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    """The corrections in force, by payee id."""
    cur = await conn.execute(
        f"SELECT {_COLUMNS} FROM corrections"
        " WHERE (%(reviewer)s::text IS NULL OR reviewer = %(reviewer)s)"
        " AND (%(cursor)s::text IS NULL OR payee_id > %(cursor)s)"
        " ORDER BY payee_id LIMIT %(limit)s",
        {"reviewer": reviewer, "cursor": cursor, "limit": limit + 1},
    )
    rows = await cur.fetchall()
    more = len(rows) > limit
    return {"items": rows[:limit], "next_cursor": rows[limit - 1]["payee_id"] if more else None}


@router.get(
    "/corrections.csv",
    dependencies=[require("read")],
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Every correction in force"}},
)
async def export_corrections(request: Request) -> StreamingResponse:
    """Every correction in force, oldest first: what ``payeeflow model train --corrections`` reads."""
    sql = f"SELECT {_COLUMNS} FROM corrections ORDER BY corrected_at, payee_id"
    return StreamingResponse(
        csv_lines(get_export_pool(request), sql, (), EXPORT_COLUMNS),
        media_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="corrections.csv"'},
    )
