"""``/payees``: one payee by id, and search by name, type and batch with keyset pagination.

Each row's JSON is stored with it (``payees.doc``, written by a trigger), so a page is those
texts spliced into one body: nothing decoded and encoded again. These routes take a connection
from the pool for their query alone rather than through a dependency: FastAPI's ``yield``
dependencies cost more per request than the lookup itself.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from psycopg.rows import tuple_row

from payeeflow.api.deps import get_pool
from payeeflow.api.models import ID_LENGTH, NO_NUL, Payee, PayeePage, PayeeType, Problem
from payeeflow.api.namesearch import NameSearch
from payeeflow.api.security import REFUSALS, require

router = APIRouter(prefix="/payees", tags=["payees"], dependencies=[require("read")], responses=REFUSALS)
# the row, with the correction in force (or null) as an object of its own
PAYEE = """
SELECT p.doc, to_json(c)::text FROM payees p LEFT JOIN corrections c ON c.payee_id = p.payee_id
 WHERE p.payee_id = %s
"""
Id = Annotated[str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL)]


@router.get("/{payee_id}", response_model=Payee, responses={404: {"model": Problem}})
async def get_payee(
    payee_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)], request: Request
) -> Response:
    async with get_pool(request).connection() as conn:
        cur = conn.cursor(row_factory=tuple_row)
        await cur.execute(PAYEE, (payee_id,))
        row = await cur.fetchone()
    if row is None:
        raise HTTPException(404, f"no payee {payee_id!r}")
    doc, correction = row
    return Response(f'{doc[:-1]},"correction":{correction or "null"}}}', media_type="application/json")


@router.get("", response_model=PayeePage)
async def search_payees(
    request: Request,
    name: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=200,
            pattern=NO_NUL,
            description="Substring, any case. A search is kept a few seconds for its next pages: a "
            "payee stored in that time may be missing from it (`PAYEEFLOW_API_NAME_SEARCH_SECONDS`).",
        ),
    ] = None,
    payee_type: PayeeType | None = None,
    batch_id: Id = None,
    excluded: bool | None = None,
    needs_review: Annotated[bool | None, Query(description="true: the review queue")] = None,
    cursor: Annotated[
        str | None,
        Query(max_length=ID_LENGTH, pattern=NO_NUL, description="next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    where: list[str] = []
    params: list[object] = []
    if name:
        where.append("p.name ILIKE %s")
        params.append("%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    for column, value in (("payee_type", payee_type), ("excluded", excluded), ("needs_review", needs_review)):
        if value is not None:
            where.append(f"p.{column} = %s")
            params.append(value)
    async with get_pool(request).connection() as conn:
        if name and batch_id is None:
            names: NameSearch = request.app.state.name_search
            rows, next_cursor = await names.page(conn, " AND ".join(where), params, cursor, limit)
        else:  # walked in key order, the limit stops the walk
            source = "payees p"
            order = "p.payee_id"
            if batch_id is not None:  # every batch that carried the payee, not only the latest
                # the batch's members in key order, each looked up by key (OFFSET 0 keeps the
                # planner from merging with a walk of the whole payees index up to the batch's first id)
                source = (
                    "batch_payees m CROSS JOIN LATERAL"
                    " (SELECT * FROM payees WHERE payees.payee_id = m.payee_id OFFSET 0) p"
                )
                order = "m.payee_id"
                where.insert(0, "m.batch_id = %s")
                params.insert(0, batch_id)
            if cursor:
                where.append(f"{order} > %s")
                params.append(cursor)
            condition = " WHERE " + " AND ".join(where) if where else ""
            cur = conn.cursor(row_factory=tuple_row)
            await cur.execute(
                f"SELECT p.payee_id, p.doc FROM {source}{condition} ORDER BY {order} LIMIT %s",
                [*params, limit + 1],
            )
            rows = await cur.fetchall()
            next_cursor = rows[limit - 1][0] if len(rows) > limit else None
            rows = rows[:limit]
    items = ",".join(doc for _, doc in rows)
    return Response(
        f'{{"items":[{items}],"next_cursor":{json.dumps(next_cursor)}}}', media_type="application/json"
    )
