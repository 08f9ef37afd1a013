"""``/payees``: one payee by id, and search by name, type and batch with keyset pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from payeeflow.api.deps import ConnDep
from payeeflow.api.models import ID_LENGTH, NO_NUL, Payee, PayeePage, PayeeType, Problem
from payeeflow.api.security import REFUSALS, require

router = APIRouter(prefix="/payees", tags=["payees"], dependencies=[require("read")], responses=REFUSALS)
Id = Annotated[str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL)]


@router.get("/{payee_id}", response_model=Payee, responses={404: {"model": Problem}})
async def get_payee(
    payee_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)], conn: ConnDep
) -> dict:
    cur = await conn.execute("SELECT * FROM payees WHERE payee_id = %s", (payee_id,))
    row = await cur.fetchone()
    if row is None:
        raise HTTPException(404, f"no payee {payee_id!r}")
    return row  # type: ignore[return-value]


@router.get("", response_model=PayeePage)
async def search_payees(
    conn: ConnDep,
    name: Annotated[
        str | None, Query(min_length=2, max_length=200, pattern=NO_NUL, description="Substring, any case")
    ] = None,
    payee_type: PayeeType | None = None,
    batch_id: Id = None,
    excluded: bool | None = None,
    cursor: Annotated[
        str | None,
        Query(max_length=ID_LENGTH, pattern=NO_NUL, description="next_cursor of the previous page"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    where: list[str] = []
    params: list[object] = []
    if name:
        where.append("name ILIKE %s")
        params.append("%" + name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    for column, value in (("payee_type", payee_type), ("excluded", excluded)):
        if value is not None:
            where.append(f"{column} = %s")
            params.append(value)
    if batch_id is not None:  # every batch that carried the payee, not only the latest
        where.append("payee_id IN (SELECT payee_id FROM batch_payees WHERE batch_id = %s)")
        params.append(batch_id)
    if cursor:
        where.append("payee_id > %s")
        params.append(cursor)
    sql = "SELECT * FROM payees"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY payee_id LIMIT %s"
    params.append(limit + 1)
    cur = await conn.execute(sql, params)  # type: ignore[arg-type]
    rows = await cur.fetchall()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": rows[-1]["payee_id"] if more else None}  # type: ignore[index]
