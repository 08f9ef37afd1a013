"""``/payees``: one payee by id, and search by name, type and batch with keyset pagination.

Each row's JSON is stored with it (``payees.doc``, written by a trigger), so a page is those
texts spliced into one body: nothing decoded and encoded again. These routes read through the
API's asyncpg pool (``deps.get_reader``): a page costs it 122 µs of CPU where psycopg took 202.
Their plain requests are answered by the lean readers at the end (``api.lean``).
"""

from __future__ import annotations

import json
from typing import Annotated, NamedTuple, get_args

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response

from payeeflow.api.deps import get_reader
from payeeflow.api.lean import FLAGS, plain_int, plain_query, plain_text, reads, reads_by_key
from payeeflow.api.models import ID_LENGTH, NO_NUL, Payee, PayeePage, PayeeType, Problem
from payeeflow.api.namesearch import NameSearch
from payeeflow.api.security import KEY_HEADER, REFUSALS, authorize, require

router = APIRouter(prefix="/payees", tags=["payees"], dependencies=[require("read")], responses=REFUSALS)
# the row, with the correction in force (or null) as an object of its own
PAYEE = """
SELECT p.doc, to_json(c)::text FROM payees p LEFT JOIN corrections c ON c.payee_id = p.payee_id
 WHERE p.payee_id = $1
"""
Id = Annotated[str | None, Query(max_length=ID_LENGTH, pattern=NO_NUL)]
# a name's length and a page's, said once for the schema and for the lean reader
NAME_SHORTEST, NAME_LONGEST = 2, 200
PAGE_LARGEST, PAGE_DEFAULT = 500, 50
TYPES: frozenset[str | None] = frozenset([None, *get_args(PayeeType)])  # a type absent, or one of them


@router.get("/{payee_id}", response_model=Payee, responses={404: {"model": Problem}})
async def get_payee(
    payee_id: Annotated[str, Path(max_length=ID_LENGTH, pattern=NO_NUL)], request: Request
) -> Response:
    async with get_reader(request).acquire() as conn:
        row = await conn.fetchrow(PAYEE, payee_id)
    if row is None:
        raise HTTPException(404, f"no payee {payee_id!r}")
    doc, correction = row
    return Response(f'{doc[:-1]},"correction":{correction or "null"}}}', media_type="application/json")


class Search(NamedTuple):
    """A search's parameters, validated."""

    name: str | None
    payee_type: str | None
    batch_id: str | None
    excluded: bool | None
    needs_review: bool | None
    cursor: str | None
    limit: int


@router.get("", response_model=PayeePage)
async def search_payees(
    request: Request,
    name: Annotated[
        str | None,
        Query(
            min_length=NAME_SHORTEST,
            max_length=NAME_LONGEST,
            pattern=NO_NUL,
            description="Substring, any case (of ASCII letters). A payee stored or renamed in the "
            "last second may be missing from a search (`PAYEEFLOW_API_NAME_INDEX_SECONDS`), and a "
            "search with other filters is kept a few seconds for its next pages "
            "(`PAYEEFLOW_API_NAME_SEARCH_SECONDS`).",
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
    limit: Annotated[int, Query(ge=1, le=PAGE_LARGEST)] = PAGE_DEFAULT,
) -> Response:
    return await _page(request, Search(name, payee_type, batch_id, excluded, needs_review, cursor, limit))


async def _page(request: Request, search: Search) -> Response:
    name, payee_type, batch_id, excluded, needs_review, cursor, limit = search
    where: list[str] = []
    params: list[object] = []

    def holds(condition: str, value: object) -> None:  # $2 on: $1 places the page (cursor, or ids)
        params.append(value)
        where.append(condition.replace("?", f"${len(params) + 1}"))

    if name:
        literal = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        holds("p.name ILIKE ?", f"%{literal}%")
    # A value from a closed set is written into the statement, not bound: the review queue's
    # "needs_review = true" can then use its partial index in a generic plan too.
    if payee_type is not None:
        if payee_type not in TYPES:  # never a value unchecked into the statement
            raise ValueError(f"not a payee type: {payee_type!r}")
        where.append(f"p.payee_type = '{payee_type}'")
    for column, value in (("excluded", excluded), ("needs_review", needs_review)):
        if value is not None:
            where.append(f"p.{column} = {'true' if value else 'false'}")
    async with get_reader(request).acquire() as conn:
        if name and batch_id is None:
            names: NameSearch = request.app.state.name_search
            rows, next_cursor = await names.page(
                conn, name, " AND ".join(where), params, cursor, limit, name_only=len(where) == 1
            )
        else:  # walked in key order from the cursor, the limit stops the walk
            source = "payees p"
            order = "p.payee_id"
            if batch_id is not None:  # every batch that carried the payee, not only the latest
                # the batch's members in key order, each looked up by key (OFFSET 0 keeps the
                # planner from merging with a walk of the whole payees index up to the batch's
                # first id); only the columns the page and the filters read: 10 % of the page's
                # database time went into projecting all of them
                source = (
                    "batch_payees m CROSS JOIN LATERAL (SELECT payee_id, doc, name, payee_type, excluded,"
                    " needs_review FROM payees WHERE payees.payee_id = m.payee_id OFFSET 0) p"
                )
                order = "m.payee_id"
                holds("m.batch_id = ?", batch_id)
            # The limit written in too: bound, it left the generic plan costed for a tenth of the
            # rows, so PostgreSQL planned every page afresh (100 µs of a 300 µs page).
            rows = await conn.fetch(
                f"SELECT p.payee_id, p.doc FROM {source} WHERE {order} > $1"
                + "".join(f" AND {condition}" for condition in where)
                + f" ORDER BY {order} LIMIT {int(limit) + 1}",
                cursor or "",
                *params,
            )
            next_cursor = rows[limit - 1][0] if len(rows) > limit else None
            rows = rows[:limit]
    items = ",".join(row[1] for row in rows)
    body = f'{{"items":[{items}],"next_cursor":{json.dumps(next_cursor)}}}'
    return Response(body, media_type="application/json")


SEARCHED = frozenset(Search._fields)


get_payee_lean = reads_by_key(get_payee, "payee_id", "read")


@reads(search_payees)
async def search_payees_lean(request: Request) -> Response | None:
    query = plain_query(request, SEARCHED)
    if query is None:
        return None
    get = query.get
    limit = plain_int(get("limit", str(PAGE_DEFAULT)), 1, PAGE_LARGEST)
    if (
        limit is None
        or not plain_text(get("name"), NAME_SHORTEST, NAME_LONGEST)
        or not plain_text(get("batch_id"), 0, ID_LENGTH)
        or not plain_text(get("cursor"), 0, ID_LENGTH)
        or get("payee_type") not in TYPES
        or get("excluded") not in FLAGS
        or get("needs_review") not in FLAGS
    ):
        return None
    await authorize(request, request.headers.get(KEY_HEADER), "read")
    search = Search(
        get("name"),
        get("payee_type"),
        get("batch_id"),
        FLAGS[get("excluded")],
        FLAGS[get("needs_review")],
        get("cursor"),
        limit,
    )
    return await _page(request, search)
