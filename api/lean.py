"""Routes that answer their plain requests without FastAPI's per-request machinery.

FastAPI solves a route's dependencies and validates each query parameter through pydantic on
every request: 195 µs of the 425 µs of CPU a 50-row page of ``/payees`` cost an API process.
A ``LeanRoute`` first offers the request to its endpoint's lean reader, which accepts only
parameters in their plain form (each at most once, values as the OpenAPI document gives them)
and answers them itself; anything else (a bad value, a repeated or unknown parameter, ``1`` for
``true``) it declines, and the route's FastAPI handler answers as it always does, with its 422.
The route, its OpenAPI entry, its middleware and its exception handlers are FastAPI's all along;
a reader does itself what the route's dependencies do (``security.authorize``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping, Set
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from payeeflow.api.models import ID_LENGTH
from payeeflow.api.security import KEY_HEADER, authorize

# A lean reader: the response, or None to hand the request to FastAPI's handler.
Reader = Callable[[Request], Awaitable[Response | None]]
_READERS: dict[Callable[..., Any], Reader] = {}


def reads(endpoint: Callable[..., Any]) -> Callable[[Reader], Reader]:
    """Make the decorated function the lean reader of ``endpoint``, whose route is a LeanRoute."""

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


class LeanRoute(APIRoute):
    """An APIRoute whose endpoint's lean reader, when it has one, answers first."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        checked = super().get_route_handler()
        endpoint = self.endpoint

        async def handle(request: Request) -> Response:
            # looked up here: the route is made as its endpoint is defined, before its reader
            reader = _READERS.get(endpoint)
            response = None if reader is None else await reader(request)
            return await checked(request) if response is None else response

        return handle


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
