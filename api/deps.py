"""Dependencies shared by the routers: settings, and the PostgreSQL pools (requests, exports,
and the asyncpg reader of ``/payees``) with a pooled connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, cast

import asyncpg
from fastapi import Depends, Request
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from payeeflow.config import Settings


# The dependencies are ``async``: FastAPI runs a plain ``def`` one in a worker thread, a thread
# hop that cost more than the lookup it served.
async def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_pool(request: Request) -> AsyncConnectionPool:
    return request.app.state.pool  # type: ignore[no-any-return]


def get_reader(request: Request) -> asyncpg.Pool:
    """The asyncpg pool of the lookups and searches of ``/payees``, the API's busiest reads."""
    return request.app.state.reader  # type: ignore[no-any-return]


def get_export_pool(request: Request) -> AsyncConnectionPool:
    """The pool of the streamed exports, which hold a connection while their client reads."""
    return request.app.state.exports  # type: ignore[no-any-return]


Row = dict[str, Any]


async def get_conn(request: Request) -> AsyncIterator[AsyncConnection[Row]]:
    async with get_pool(request).connection() as conn:  # the pool's connections give dict rows
        yield cast(AsyncConnection[Row], conn)


SettingsDep = Annotated[Settings, Depends(get_settings)]
ConnDep = Annotated[AsyncConnection[Row], Depends(get_conn)]
