"""``/payees``: one payee by id, and search by name, type and batch with keyset pagination."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Response

from payeeflow.api.deps import ConnDep
from payeeflow.api.models import ID_LENGTH, NO_NUL, Payee, PayeePage, PayeeType, Problem
from payeeflow.api.security import REFUSALS, require

router = APIRouter(prefix="/payees", tags=["payees"], dependencies=[require("read")], responses=REFUSALS)
# the row, with the correction in force (or null) as an object of its own
PAYEE = """
SELECT (to_jsonb(p) || jsonb_build_object('correction', to_jsonb(c)))::text AS doc
  FROM payees p LEFT JOIN corrections c ON c.payee_id = p.payee_id WHERE p.payee_id = %s
"""
Id = Annotated[str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL)]


@router.get("/{payee_id}", response_model=Payee, responses={404: {"model": Problem}})
async def get_payee(
    payee_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)], conn: ConnDep
) -> Response:
    cur = await conn.execute(PAYEE, (payee_id,))
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(404, f"no payee {payee_id!r}")
    return Response(row["doc"], media_type="application/json")


@router.get("", response_model=PayeePage)
async def search_payees(
    conn: ConnDep,
    name: Annotated[
        str | None, Query(min_length=2, max_length=200, pattern=NO_NUL, description="Substring, any case")
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
    source = "payees p"
    if batch_id is not None:  # every batch that carried the payee, not only the latest
        # the batch's members in key order, each looked up by key (OFFSET 0 keeps the planner from
        # merging with a walk of the whole payees index up to the batch's first id)
        source = (
            "batch_payees m CROSS JOIN LATERAL"
            " (SELECT * FROM payees WHERE payees.payee_id = m.payee_id OFFSET 0) p"
        )
        where.append("m.batch_id = %s")
        params.append(batch_id)
    if name:
        where.append("p.name ILIKE %s")
        params.append("%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    for column, value in (("payee_type", payee_type), ("excluded", excluded), ("needs_review", needs_review)):
        if value is not None:
            where.append(f"p.{column} = %s")
            params.append(value)
    order = "m.payee_id" if batch_id is not None else "p.payee_id"
    if cursor:
        where.append(f"{order} > %s")
        params.append(cursor)
    page = (
        f"FROM {source}" + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order} LIMIT %s"
    )
    params.append(limit + 1)
    if name and batch_id is None:
        # a name's trigram matches come in no order and are sorted: the page's ids first, then
        # each row by key written as JSON, not every match written before the sort keeps a page
        sql = (
            f"SELECT h.payee_id, to_json(p)::text AS doc FROM (SELECT p.payee_id {page}) h"
            " CROSS JOIN LATERAL (SELECT * FROM payees WHERE payees.payee_id = h.payee_id OFFSET 0) p"
            " ORDER BY h.payee_id"
        )
    else:  # walked in key order, the limit stops the walk
        sql = f"SELECT p.payee_id, to_json(p)::text AS doc {page}"
    cur = await conn.execute(sql, params)  # type: ignore[arg-type]
    rows = await cur.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    # the rows as PostgreSQL wrote them to JSON, spliced in: no decoding and re-encoding of 50 rows
    items = ",".join(row["doc"] for row in rows)
    next_cursor = json.dumps(rows[-1]["payee_id"] if more else None)
    return Response(f'{{"items":[{items}],"next_cursor":{next_cursor}}}', media_type="application/json")
