"""Request metrics on ``/metrics``: count and latency by route, method and status.

A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` costs more per request than a lookup.
The route label is the route's template (``/payees/{payee_id}``), never the path a client sent.
"""

from __future__ import annotations

import time
from typing import Any

from prometheus_client import Histogram

REQUESTS = Histogram(
    "payeeflow_api_request_seconds",
    "API requests by route template, method and status, and how long they took",
    ["route", "method", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)


class RequestMetrics:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception that escapes answers 500

        async def sending(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            REQUESTS.labels(template, scope["method"], str(status)).observe(time.perf_counter() - started)
