"""Streamed exports: a query's rows as CSV or JSON lines, from a server-side cursor, so an export
of any size holds one chunk of rows in memory. CSV cells that a spreadsheet would run as formulas
are neutralised (``agents/formulas.py``); JSON lines carry every value exactly."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from psycopg.rows import tuple_row
from psycopg_pool import AsyncConnectionPool

from payeeflow.agents.formulas import neutralise
from payeeflow.agents.rows import cell

EXPORT_ROWS = 2000  # rows fetched from the server-side cursor at a time


async def _rows(
    pool: AsyncConnectionPool, sql: str, params: Sequence[Any]
) -> AsyncIterator[list[tuple[Any, ...]]]:
    # tuples, not the pool's dict rows: a CSV row is the values in column order
    async with (
        pool.connection() as conn,
        conn.transaction(),
        conn.cursor(name="export", row_factory=tuple_row) as cur,
    ):
        await cur.execute(sql, params)
        while rows := await cur.fetchmany(EXPORT_ROWS):
            yield rows


async def csv_lines(
    pool: AsyncConnectionPool, sql: str, params: Sequence[Any], columns: Sequence[str]
) -> AsyncIterator[str]:
    """A header of ``columns``, then each row's cells as the file commands write them, none of
    them a spreadsheet formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    async for rows in _rows(pool, sql, params):
        writer.writerows([neutralise(cell(v)) for v in row] for row in rows)
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


async def json_lines(
    pool: AsyncConnectionPool, sql: str, params: Sequence[Any], columns: Sequence[str]
) -> AsyncIterator[str]:
    """One JSON object a row, keyed by ``columns``."""
    async for rows in _rows(pool, sql, params):
        yield "".join(json.dumps(dict(zip(columns, row, strict=True)), default=str) + "\n" for row in rows)
