"""The Confluent Schema Registry REST API, the part clients call: ``payeeflow registry``.

Only Avro schemas without references; answers and errors in the registry's own shapes
(``{"error_code": 40401, "message": …}``), so confluent-kafka's ``SchemaRegistryClient`` and the Java
serializers read them as they read Confluent's. Writes need the admin key (``registry/auth.py``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, ConfigDict, Field

from payeeflow.config import Settings, get_settings
from payeeflow.connectors.database.postgres import migrate, wait_for_database
from payeeflow.registry.auth import AdminOnly, admin_key
from payeeflow.registry.store import GLOBAL, Registered, RegistryError, SchemaStore

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"


class SchemaBody(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_: str = Field(alias="schema")
    schema_type: str = Field("AVRO", alias="schemaType")
    references: list[Any] = Field(default_factory=list)

    def avro(self) -> str:
        if self.schema_type.upper() != "AVRO" or self.references:
            raise RegistryError(422, 42201, "Invalid schema: only Avro schemas without references here")
        return self.schema_


class LevelBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    compatibility: str


class RegistryResponse(JSONResponse):
    media_type = MEDIA_TYPE


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        wait_for_database(settings.dsn, None)
        migrate(settings.dsn)
        with ConnectionPool(settings.dsn, min_size=1, max_size=4, open=True) as pool:
            app.state.store = SchemaStore(pool)
            yield

    app = FastAPI(
        title="payeeflow schema registry",
        description=__doc__,
        lifespan=lifespan,
        default_response_class=RegistryResponse,
    )
    app.state.admin_key = admin_key(settings).encode()

    @app.exception_handler(RegistryError)
    async def registry_error(_: Request, exc: RegistryError) -> JSONResponse:
        return RegistryResponse({"error_code": exc.code, "message": exc.message}, status_code=exc.status)

    def store(request: Request) -> SchemaStore:
        return request.app.state.store  # type: ignore[no-any-return]

    @app.get("/")
    def root() -> dict[str, Any]:
        return {}

    @app.get("/schemas/ids/{schema_id}")
    def schema_by_id(schema_id: int, request: Request) -> dict[str, Any]:
        return {"schema": store(request).schema(schema_id)}

    @app.get("/subjects")
    def subjects(request: Request) -> list[str]:
        return store(request).subjects()

    @app.get("/subjects/{subject}/versions")
    def versions(subject: str, request: Request) -> list[int]:
        return store(request).versions(subject)

    @app.get("/subjects/{subject}/versions/{version}")
    def version(subject: str, version: str, request: Request) -> dict[str, Any]:
        return _registered(store(request).version(subject, version))

    @app.post("/subjects/{subject}/versions", dependencies=[AdminOnly])
    def register(subject: str, body: SchemaBody, request: Request) -> dict[str, Any]:
        return {"id": store(request).register(subject, body.avro())}

    @app.post("/subjects/{subject}")
    def lookup(subject: str, body: SchemaBody, request: Request) -> dict[str, Any]:
        return _registered(store(request).lookup(subject, body.avro()))

    @app.post("/compatibility/subjects/{subject}/versions/{version}")
    def compatibility(
        subject: str, version: str, body: SchemaBody, request: Request, verbose: bool = False
    ) -> dict[str, Any]:
        found = store(request).compatible(subject, body.avro(), version)
        return {"is_compatible": not found, **({"messages": found} if verbose else {})}

    @app.post("/compatibility/subjects/{subject}/versions")
    def compatibility_with_all(
        subject: str, body: SchemaBody, request: Request, verbose: bool = False
    ) -> dict[str, Any]:
        found = store(request).compatible(subject, body.avro())
        return {"is_compatible": not found, **({"messages": found} if verbose else {})}

    @app.get("/config")
    def global_level(request: Request) -> dict[str, Any]:
        return {"compatibilityLevel": store(request).level()}

    @app.put("/config", dependencies=[AdminOnly])
    def set_global_level(body: LevelBody, request: Request) -> dict[str, Any]:
        return {"compatibility": store(request).set_level(body.compatibility.upper())}

    @app.get("/config/{subject}")
    def subject_level(
        subject: str, request: Request, default_to_global: bool = Query(False, alias="defaultToGlobal")
    ) -> dict[str, Any]:
        return {"compatibilityLevel": store(request).level(subject, default_to_global)}

    @app.put("/config/{subject}", dependencies=[AdminOnly])
    def set_subject_level(subject: str, body: LevelBody, request: Request) -> dict[str, Any]:
        if subject == GLOBAL:
            raise RegistryError(404, 40401, "Subject '' not found.")
        return {"compatibility": store(request).set_level(body.compatibility.upper(), subject)}

    return app


def _registered(found: Registered) -> dict[str, Any]:
    return {"subject": found.subject, "version": found.version, "id": found.id, "schema": found.schema}
