"""The FastAPI application: ``uvicorn payeeflow.api.main:app`` or ``payeeflow api``."""

from __future__ import annotations

import asyncio
import gc
import logging
import select
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from psycopg.pq import ConnStatus
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool, PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from payeeflow import __version__
from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.enrichment import Enricher
from payeeflow.agents.exclusion import Screener
from payeeflow.agents.matching import Matcher
from payeeflow.agents.pipeline import Pipeline
from payeeflow.api.headers import SecurityHeaders
from payeeflow.api.lean import LeanDoor
from payeeflow.api.metrics import RequestMetrics
from payeeflow.api.names import Names
from payeeflow.api.namesearch import NameSearch
from payeeflow.api.routers import batches, classify, corrections, deadletters, health, intake, payees, reports
from payeeflow.api.security import Guard
from payeeflow.api.uploads import Uploads
from payeeflow.config import Settings, get_settings
from payeeflow.connectors.database.postgres import asyncpg_dsn, migrate, wait_for_database
from payeeflow.logs import setup_logging
from payeeflow.streams.sender import AsyncProducer

log = logging.getLogger(__name__)
UI = Path(__file__).parent / "ui"
# The database unreachable or restarting, seen by psycopg or asyncpg: a 503 to retry, not a 500.
# (asyncpg's pool replaces a connection the server closed before handing it out; a connect left
# unanswered raises TimeoutError after 5 s, and only the database's pools raise that here.)
DATABASE_AWAY: tuple[type[Exception], ...] = (
    psycopg.OperationalError,
    PoolTimeout,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # shutting down, or not yet accepting connections
    ConnectionError,
    TimeoutError,
)
# Exports hold a connection for as long as their client reads: they have a pool of their own, so
# they never take the requests' few connections.
EXPORTS = 4


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not logging.getLogger().handlers:  # a worker process uvicorn spawned: no CLI set it up
            setup_logging(settings.log_level, settings.log_json)
        wait_for_database(settings.dsn)  # pre-start: the database answers and is migrated
        migrate(settings.dsn)
        app.state.settings = settings
        names = Names(asyncpg_dsn(settings.dsn), settings.api_name_index_seconds)
        if settings.api_name_index_seconds:
            try:
                await names.load()
            except (OSError, asyncpg.PostgresError) as error:  # searched in the database meanwhile
                log.warning("payee names not loaded: %s", error)
        app.state.name_search = NameSearch(settings.api_name_search_seconds, names)
        app.state.batch_counts = batches.counted_lately()
        screener = Screener.from_file(settings.exclusion_keywords_file, settings.exclusion_allowlist_file)
        classifier = Classifier.load()
        app.state.pipeline = Pipeline(screener, classifier, max_name_length=settings.max_name_length)
        matcher = Matcher.from_csv(settings.network_file) if settings.network_file else None
        app.state.full_pipeline = Pipeline(
            screener, classifier, matcher, Enricher(), settings.max_name_length
        )
        app.state.ingests = set()  # uploads being ingested: finished before the API stops
        app.state.uploads = Uploads(settings)  # their places, counted against the caps
        producer: list[AsyncProducer] = []  # made on first use: a reader that never sends needs none

        async def get_producer() -> AsyncProducer:
            if not producer:
                producer.append(AsyncProducer(settings, linger_ms=5))
            return producer[0]

        app.state.producer = get_producer
        connections = settings.api_database_connections
        async with (
            _pool(settings, connections, connections) as pool,
            _pool(settings, 0, EXPORTS) as exports,
            asyncpg.create_pool(
                asyncpg_dsn(settings.dsn),
                min_size=connections,
                max_size=connections,
                reset=_keep_session,
                timeout=5.0,  # to connect, while the database is away
            ) as reader,
        ):
            app.state.pool = pool
            app.state.exports = exports
            app.state.reader = reader
            # What startup loaded (the classifier, the screener, the network) lives as long as the
            # process: frozen, a full collection no longer walks its ~200,000 objects, which took
            # 120 ms, a pause of every request in flight.
            gc.collect()
            gc.freeze()
            following = asyncio.create_task(names.follow()) if settings.api_name_index_seconds else None
            yield
            if following:
                following.cancel()
                with suppress(asyncio.CancelledError):
                    await following  # its connection closed
            await asyncio.gather(*app.state.ingests)
            if producer:
                await producer[0].stop()
            gc.unfreeze()  # a process that outlives the app (a test run) collects its garbage again

    app = FastAPIOffline(  # the docs pages' assets come from this server, not a CDN
        title="payeeflow",
        version=__version__,
        description="Lookups, search and batch progress over the payees the pipeline stored. Data "
        "endpoints take an API key (`payeeflow apikey create`) in the `X-API-Key` header; health, "
        "readiness and metrics are open.",
        lifespan=lifespan,
    )
    app.state.guard = Guard(settings)  # before the lifespan: a request without a key is counted too
    app.add_middleware(LeanDoor, routers=[payees.router, batches.router])
    app.add_middleware(RequestMetrics)  # outside the door: its answers are counted too
    app.add_middleware(SecurityHeaders)  # outside both: on every answer they give
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _refused)
    for away in DATABASE_AWAY:
        app.add_exception_handler(away, _database_away)
    app.mount("/ui", StaticFiles(directory=UI, html=True), name="ui")  # the clerk's page
    routers = (payees, corrections, batches, deadletters, reports, intake, classify, health)
    for router in (module.router for module in routers):
        app.include_router(router)
    return app


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, but with each offending input cut short: never echo a 100k-character id."""
    assert isinstance(exc, RequestValidationError)
    errors = [{**e, "input": _short(e.get("input"))} for e in exc.errors()]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def _refused(request: Request, exc: Exception) -> Response:
    """FastAPI's answer to an HTTP error, but a 405's ``Allow`` lists the methods of every route on
    the path (``GET /payees`` and ``POST /payees`` are two routes; Starlette names only the first)."""
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code != 405:
        return await http_exception_handler(request, exc)
    path = request.url.path
    routes = [r for r in request.app.routes if isinstance(r, APIRoute) and r.path_regex.match(path)]
    methods = {method for route in routes for method in route.methods or ()}
    return JSONResponse({"detail": exc.detail}, 405, headers={"Allow": ", ".join(sorted(methods))})


def _pool(settings: Settings, min_size: int, max_size: int) -> AsyncConnectionPool:
    return AsyncConnectionPool(
        # autocommit: a lookup is one round trip, not BEGIN, SELECT and the pool's ROLLBACK
        settings.dsn,
        min_size=min_size,
        max_size=max_size,
        open=False,
        # a connection is checked as it is handed out: after a database restart the stale ones
        # are replaced before a request meets them, not after one request each has failed
        check=_still_connected,
        timeout=5.0,  # a request waits this long for a connection while the database is away
        kwargs={"row_factory": dict_row, "autocommit": True},
    )


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What asyncpg's pool runs as a connection comes back, instead of its reset: these reads
    change no session state, and the reset's round trip cost more than a lookup. (The pool still
    rolls back an open transaction.)"""


async def _still_connected(conn: psycopg.AsyncConnection[Any]) -> None:
    """Raise when the server has closed ``conn`` (a restart), with no round trip: an idle
    connection has nothing to read unless the server said goodbye or hung up. (``check_connection``'s
    empty query cut the lookups from 3,080 to 1,978/s; this keeps 3,003.)"""
    readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    if readable or conn.pgconn.status != ConnStatus.OK:
        await conn.close()  # closed, the pool drops it and opens another
        raise psycopg.OperationalError("the server closed the connection")


async def _database_away(request: Request, exc: Exception) -> JSONResponse:
    """PostgreSQL unreachable or restarting: a 503 to retry, not a 500."""
    return JSONResponse(
        {"detail": "the database is unavailable; retry shortly"}, 503, headers={"Retry-After": "2"}
    )


def _short(value: Any) -> Any:
    return value[:100] + "…" if isinstance(value, str) and len(value) > 100 else value


app = create_app()
