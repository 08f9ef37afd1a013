"""``/dead-letters`` and ``/batches/{id}/rejects``: what did not become a stored payee, and why,
decoded to readable JSON (``payeeflow dlq show`` for many, with filters)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BeforeValidator

from payeeflow.api.deps import ConnDep
from payeeflow.api.models import ID_LENGTH, NO_NUL, DeadLetterPage
from payeeflow.api.security import REFUSALS, require
from payeeflow.connectors.database.dlq import Filters, decoded

router = APIRouter(tags=["dead letters"], dependencies=[require("read")], responses=REFUSALS)
Text = Annotated[str | None, Query(max_length=100, pattern=NO_NUL)]
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[int | None, Query(ge=1, description="next_cursor of the previous page")]


def _not_a_number(value: Any) -> Any:
    """A date-time, not seconds since 1970 (which pydantic would take and the schema does not)."""
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*", value):
        raise ValueError("a date-time such as 2026-11-29T08:00:00Z")
    return value


Since = Annotated[datetime | None, BeforeValidator(_not_a_number), Query(description="Failed at or after")]


async def _page(
    request: Request, conn: ConnDep, filters: Filters, cursor: int | None, limit: int
) -> dict[str, Any]:
    """Newest first, keyset-paged by id."""
    where, params = filters.where()
    if cursor is not None:
        where += (" AND " if where else " WHERE ") + "id < %s"
        params.append(cursor)
    cur = await conn.execute(
        f"SELECT * FROM dead_letters{where} ORDER BY id DESC LIMIT %s",  # type: ignore[arg-type]
        [*params, limit + 1],
    )
    rows = await cur.fetchall()
    settings = request.app.state.settings
    items = [decoded(settings, row) for row in rows[:limit]]
    return {"items": items, "next_cursor": rows[limit - 1]["id"] if len(rows) > limit else None}


@router.get("/dead-letters", response_model=DeadLetterPage)
async def dead_letters(
    request: Request,
    conn: ConnDep,
    reason: Text = None,
    stage: Text = None,
    batch_id: Annotated[str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL)] = None,
    since: Since = None,
    include_replayed: bool = False,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """Dead letters of every stage, newest first; replayed ones only when asked."""
    filters = Filters(reason, stage, batch_id, since, include_replayed)
    return await _page(request, conn, filters, cursor, limit)


@router.get("/batches/{batch_id}/rejects", response_model=DeadLetterPage)
async def rejects(
    request: Request,
    conn: ConnDep,
    batch_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)],
    reason: Text = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> dict[str, Any]:
    """The rows of a batch's file that could not be read as payees, with their line and text."""
    return await _page(
        request, conn, Filters(reason, "ingest", batch_id, include_replayed=True), cursor, limit
    )
