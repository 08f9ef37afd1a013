"""Security headers on every answer: the page's strict content-security policy, and no framing,
no MIME sniffing and no referrer anywhere.

A plain ASGI middleware, as ``RequestMetrics`` is: the headers are fixed per path prefix and
appended as the response starts. The clerk's page (``/ui``) loads only its own script, style and
API (no inline script, style or handler: ``tests/integration/test_ui.py`` fails on any violation).
The API's own answers are data, so their policy allows nothing at all. The docs pages (Swagger UI,
ReDoc) start with an inline script, so they get only ``frame-ancestors 'none'``.
"""

from __future__ import annotations

from typing import Any

PAGE_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = "frame-ancestors 'none'"
_EVERYWHERE = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate it
]


def _headers(policy: str) -> list[tuple[bytes, bytes]]:
    return [(b"content-security-policy", policy.encode()), *_EVERYWHERE]


PAGE, API, DOCS = _headers(PAGE_POLICY), _headers(API_POLICY), _headers(DOCS_POLICY)
DOCS_PATHS = ("/docs", "/redoc", "/static-offline-docs")


class SecurityHeaders:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        added = PAGE if path.startswith("/ui") else DOCS if path.startswith(DOCS_PATHS) else API

        async def sending(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, sending)
