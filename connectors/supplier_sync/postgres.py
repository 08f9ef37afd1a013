"""Supplier rows from a PostgreSQL query, streamed through a server-side cursor: the database hands
them over ``ITERSIZE`` at a time, so a network of any size never sits in this process's memory.
The session is read-only: a query that would write fails instead."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg import sql

from payeeflow.connectors.supplier_sync.errors import SourceError
from payeeflow.connectors.supplier_sync.records import pick, positions
from payeeflow.errors import first_line

ITERSIZE = 5000


class PostgresSource:
    label = "PostgreSQL"

    def __init__(self, url: str, query: str) -> None:
        self.url = url
        self.query = query

    async def rows(self) -> AsyncIterator[tuple[Any, ...]]:
        """Each row's values in ``records.COLUMNS`` order; ``SourceError`` when the database
        cannot be reached or the query fails (a row that is bad is the sync's to reject)."""
        try:
            async with await psycopg.AsyncConnection.connect(self.url) as conn:
                await conn.set_read_only(True)
                async with conn.cursor(name="payeeflow_suppliers_sync") as cursor:
                    cursor.itersize = ITERSIZE
                    await cursor.execute(sql.SQL(self.query))  # type: ignore[arg-type]
                    at = positions([column.name for column in cursor.description or []])
                    async for row in cursor:
                        yield pick(row, at)
        except psycopg.Error as exc:
            raise SourceError(f"supplier source (PostgreSQL): {first_line(exc)}") from exc
