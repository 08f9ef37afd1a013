"""Who may call what: the ``X-API-Key`` header, its key's scopes, and the key's rate limit.

Declared as an OpenAPI security scheme, so the docs page can send a key. A checked key is
trusted for ``api_key_cache_seconds`` (a bounded cache), so a lookup costs no extra query.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, cast

from cachetools import TTLCache
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from payeeflow.api import keys
from payeeflow.api.deps import Row, get_pool
from payeeflow.api.models import Problem
from payeeflow.api.ratelimit import RateLimiter

KEY_HEADER = "X-API-Key"
HEADER = APIKeyHeader(
    name=KEY_HEADER,
    auto_error=False,
    description="An API key from `payeeflow apikey create`; its scopes say what it may do.",
)
UNAUTHORIZED = {"WWW-Authenticate": "APIKey"}
_UNCHECKED: Any = object()
# What a secured route may answer besides its own responses, for its OpenAPI entry.
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Problem,
        "description": "A body that is not what the content type says (JSON that does not parse)",
    },
    401: {"model": Problem, "description": "No API key, or one unknown or revoked"},
    403: {"model": Problem, "description": "The key lacks the scope"},
    429: {"model": Problem, "description": "Over the key's rate limit; see Retry-After"},
}


class Guard:
    """Keys checked lately and each key's request window, for one API process."""

    def __init__(self, ttl: float) -> None:
        self.checked: TTLCache[str, tuple[keys.ApiKey, bytes] | None] = TTLCache(maxsize=10_000, ttl=ttl)
        self.limiter = RateLimiter()

    async def key(self, request: Request, presented: str) -> keys.ApiKey:
        parts = keys.split(presented)
        if parts is None:
            raise HTTPException(401, "the X-API-Key header does not hold a payeeflow key", UNAUTHORIZED)
        key_id, secret = parts
        found = self.checked.get(key_id, _UNCHECKED)
        if found is _UNCHECKED:
            found = self.checked[key_id] = await _lookup(request, key_id)
        if found is None or not keys.matches(secret, found[1]):
            raise HTTPException(401, "unknown or revoked API key", UNAUTHORIZED)
        return found[0]

    def admit(self, key: keys.ApiKey) -> None:
        """Count a request against the key's limit; 429 with ``Retry-After`` over it."""
        wait = self.limiter.wait(key.key_id, key.rate_limit)
        if wait:
            retry = str(max(1, math.ceil(wait)))
            raise HTTPException(429, f"over this key's limit of {key.rate_limit}", {"Retry-After": retry})


async def _lookup(request: Request, key_id: str) -> tuple[keys.ApiKey, bytes] | None:
    async with get_pool(request).connection() as conn:  # the pool's connections give dict rows
        cur = await conn.execute(
            "SELECT name, scopes, rate_limit, secret_sha256 FROM api_keys"
            " WHERE key_id = %s AND revoked_at IS NULL",
            (key_id,),
        )
        row = cast(Row | None, await cur.fetchone())
    if row is None:
        return None
    key = keys.ApiKey(key_id, row["name"], tuple(row["scopes"]), row["rate_limit"])
    return key, bytes(row["secret_sha256"])


def require(scope: str) -> Any:
    """A dependency admitting requests whose key has ``scope`` (or ``admin``): 401 without a
    valid key, 403 without the scope, 429 over the key's limit."""

    async def check(request: Request, presented: Annotated[str | None, Security(HEADER)]) -> keys.ApiKey:
        return await authorize(request, presented, scope)

    return Depends(check)


async def authorize(request: Request, presented: str | None, scope: str) -> keys.ApiKey:
    """The key ``presented`` (the ``X-API-Key`` header), if it has ``scope`` and is under its limit."""
    if not presented:
        raise HTTPException(401, "send an API key in the X-API-Key header", UNAUTHORIZED)
    guard: Guard = request.app.state.guard
    key = await guard.key(request, presented)
    if not key.allows(scope):
        raise HTTPException(403, f"this key lacks the '{scope}' scope")
    guard.admit(key)
    return key
