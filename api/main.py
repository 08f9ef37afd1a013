"""The FastAPI application: ``uvicorn payeeflow.api.main:app`` or ``payeeflow api``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from psycopg_pool import AsyncConnectionPool

from payeeflow import __version__
from payeeflow.agents.classification.logic import Classifier
from payeeflow.agents.exclusion import Screener
from payeeflow.agents.pipeline import Pipeline
from payeeflow.api.routers import batches, classify, health, payees
from payeeflow.config import Settings, get_settings
from payeeflow.connectors.database import migrate, wait_for_database


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wait_for_database(settings.dsn)  # pre-start: the database answers and is migrated
        migrate(settings.dsn)
        app.state.settings = settings
        app.state.pipeline = Pipeline(
            Screener.from_file(settings.exclusion_keywords_file, settings.exclusion_allowlist_file),
            Classifier.load(),
            max_name_length=settings.max_name_length,
        )
        async with AsyncConnectionPool(settings.dsn, min_size=1, max_size=10, open=False) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(
        title="payeeflow",
        version=__version__,
        description="Lookups, search and batch progress over the payees the pipeline stored.",
        lifespan=lifespan,
    )
    for router in (payees.router, batches.router, classify.router, health.router):
        app.include_router(router)
    return app


app = create_app()
