"""Plain reads answered without FastAPI's per-request machinery.

FastAPI solves a route's dependencies and validates each query parameter through pydantic on
every request: 195 µs of the 425 µs of CPU a 50-row page of ``/payees`` cost an API process,
and reaching a route through the router and its wrappers another 40 to 60 µs. ``LeanDoor``, a
middleware inside the request metrics, offers a GET on a route with a lean reader to that reader
first. A reader accepts only parameters in their plain form (each at most once, values as the
OpenAPI document gives them) and answers them itself; anything else (a bad value, a repeated or
unknown parameter, ``1`` for ``true``) it declines, and the route's FastAPI handler answers as it
always does, with its 422. The route, its OpenAPI entry, the metrics' route label and the
exception handlers are FastAPI's all along; a reader does itself what the route's dependencies
do (``security.authorize``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence, Set
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from payeeflow.api.models import ID_LENGTH
from payeeflow.api.security import KEY_HEADER, authorize

# A lean reader: the response, or None to hand the request to FastAPI's handler.
Reader = Callable[[Request], Awaitable[Response | None]]
_READERS: dict[Callable[..., Any], Reader] = {}


def reads(endpoint: Callable[..., Any]) -> Callable[[Reader], Reader]:
    """Make the decorated function the lean reader of ``endpoint``'s GET route."""

    def register(reader: Reader) -> Reader:
        _READERS[endpoint] = reader
        return reader

    return register


def reads_by_key(endpoint: Callable[..., Awaitable[Response]], name: str, scope: str) -> Reader:
    """A lean reader for ``endpoint``, a lookup by the path parameter ``name`` alone, for keys
    with ``scope``. It declines a request with a query string, or whose id is not plain text."""

    async def reader(request: Request) -> Response | None:
        key: str = request.path_params[name]
        if request.query_params or not plain_text(key, 1, ID_LENGTH):
            return None
        await authorize(request, request.headers.get(KEY_HEADER), scope)
        return await endpoint(request=request, **{name: key})

    return reads(endpoint)(reader)


class LeanDoor:
    """A plain GET on a route of ``routers`` with a lean reader is answered by the reader;
    anything else, and whatever a reader declines, goes on to FastAPI's routing. The routers
    are included without a prefix: their routes' paths are the app's."""

    def __init__(self, app: ASGIApp, routers: Sequence[APIRouter]) -> None:
        self.app = app
        self.routes = [
            (route, _READERS[route.endpoint])
            for router in routers
            for route in router.routes
            if isinstance(route, APIRoute) and route.endpoint in _READERS
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            for route, reader in self.routes:
                match, child = route.matches(scope)
                if match is Match.FULL:
                    scope.update(child)  # as the router would: the metrics name this route
                    request = Request(scope, receive)
                    try:
                        response = await reader(request)
                    except Exception as exc:
                        response = await _handled(request, exc)
                    if response is not None:
                        await response(scope, receive, send)
                        return
                    break
        await self.app(scope, receive, send)


async def _handled(request: Request, exc: Exception) -> Response:
    """``exc`` answered by the app's handler for it, as Starlette's ExceptionMiddleware would;
    one without a handler goes on up to the server-error middleware."""
    handlers = request.app.exception_handlers
    for kind in type(exc).__mro__:
        if kind in handlers:
            return await handlers[kind](request, exc)  # type: ignore[no-any-return]
    raise exc


def plain_query(request: Request, names: Set[str]) -> Mapping[str, str] | None:
    """The query's parameters by name when each is one of ``names`` and given once; else None."""
    items = request.query_params.multi_items()
    found = dict(items)
    if len(found) != len(items) or not found.keys() <= names:
        return None
    return found


def plain_text(value: str | None, shortest: int, longest: int) -> bool:
    """``value`` absent, or ``shortest``..``longest`` characters without NUL."""
    return value is None or (shortest <= len(value) <= longest and "\x00" not in value)


# a flag absent, or in its plain form
FLAGS: dict[str | None, bool | None] = {None: None, "true": True, "false": False}


def plain_int(value: str, lowest: int, highest: int) -> int | None:
    """Decimal digits without a leading zero, within ``lowest``..``highest``, as an int; anything
    else as None."""
    if not (value.isascii() and value.isdigit() and len(value) <= 6):
        return None
    number = int(value)
    return number if lowest <= number <= highest and value == str(number) else None
