"""Liveness, readiness (PostgreSQL and Kafka answer) and Prometheus metrics."""

from __future__ import annotations

import asyncio

from aiokafka.admin import AIOKafkaAdminClient
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from payeeflow.api.deps import SettingsDep, get_pool
from payeeflow.brokers import client_options
from payeeflow.config import Settings

router = APIRouter(tags=["health"])


@router.get("/health")
async def health() -> dict[str, str]:
    """Liveness: the process serves requests."""
    return {"status": "ok"}


async def _kafka_ok(settings: Settings) -> bool:
    admin = AIOKafkaAdminClient(**client_options(settings), request_timeout_ms=3000)
    try:
        await asyncio.wait_for(admin.start(), 5)
        await asyncio.wait_for(admin.describe_cluster(), 5)
        return True
    except Exception:  # any failure to reach the broker means not ready
        return False
    finally:
        await admin.close()


@router.get("/ready")
async def ready(request: Request, settings: SettingsDep) -> JSONResponse:
    """Readiness: PostgreSQL answers a query and the Kafka cluster answers metadata."""
    try:
        async with get_pool(request).connection(timeout=2) as conn:  # checked as handed out
            await conn.execute("SELECT 1")
        database = True
    except Exception:  # unreachable, restarting, or no connection within 2 s: not ready
        database = False
    kafka = await _kafka_ok(settings)
    ok = database and kafka
    return JSONResponse({"ready": ok, "postgres": database, "kafka": kafka}, status_code=200 if ok else 503)


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics() -> Response:
    """Prometheus metrics of this process, requests by route and status among them."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
