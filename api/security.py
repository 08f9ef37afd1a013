"""Who may call what: the ``X-API-Key`` header, its key's scopes, and the key's rate limit.

Declared as an OpenAPI security scheme, so the docs page can send a key. A checked key is
trusted for ``api_key_cache_seconds`` (a bounded cache), so a lookup costs no extra query.
A request without a key already known good (none, a made-up one, a wrong secret) is counted
against its client address's ``api_unauthenticated_rate_limit`` before anything is looked up,
and given back if its key proves good; a key id the database does not know is remembered as
unknown for ``api_unknown_key_seconds``, apart from the good keys, so a flood of made-up keys
neither reaches the database once a request nor pushes good keys out of their cache.
"""

from __future__ import annotations

import asyncio
import math
from typing import Annotated, Any, cast

from cachetools import TTLCache
from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader
from limits import parse

from payeeflow.api import keys
from payeeflow.api.deps import Row, get_pool
from payeeflow.api.models import Problem
from payeeflow.api.ratelimit import RateLimiter
from payeeflow.config import Settings

KEY_HEADER = "X-API-Key"
HEADER = APIKeyHeader(
    name=KEY_HEADER,
    auto_error=False,
    description="An API key from `payeeflow apikey create`; its scopes say what it may do.",
)
UNAUTHORIZED = {"WWW-Authenticate": "APIKey"}
Found = tuple[keys.ApiKey, bytes] | None  # a key and its secret's SHA-256, or nothing by that id
# What a secured route may answer besides its own responses, for its OpenAPI entry.
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Problem,
        "description": "A body that is not what the content type says (JSON that does not parse)",
    },
    401: {"model": Problem, "description": "No API key, or one unknown or revoked"},
    403: {"model": Problem, "description": "The key lacks the scope"},
    429: {
        "model": Problem,
        "description": "Over the key's rate limit, or too many requests without a valid key from this "
        "address; see Retry-After",
    },
}


class Guard:
    """Keys checked lately, key ids found unknown lately, each key's request window and each
    client address's window for requests without a valid key, for one API process."""

    def __init__(self, settings: Settings) -> None:
        self.checked: TTLCache[str, tuple[keys.ApiKey, bytes]] = TTLCache(
            maxsize=10_000, ttl=settings.api_key_cache_seconds
        )
        self.unknown: TTLCache[str, bool] = TTLCache(maxsize=100_000, ttl=settings.api_unknown_key_seconds)
        self.looking: dict[str, asyncio.Future[Found]] = {}  # one lookup of a key id at a time
        self.limiter = RateLimiter()
        self.strangers_limit = settings.api_unauthenticated_rate_limit
        period = parse(self.strangers_limit).get_expiry()  # an address quiet this long starts afresh
        self.strangers = RateLimiter(TTLCache(maxsize=100_000, ttl=period))

    async def key(self, request: Request, presented: str | None) -> keys.ApiKey:
        """The key ``presented`` holds; 401 without a valid one, 429 when its address has made too
        many requests without one."""
        parts = keys.split(presented) if presented else None
        if parts is not None and (known := self.checked.get(parts[0])) and keys.matches(parts[1], known[1]):
            return known[0]
        address = request.client.host if request.client else ""
        wait = self.strangers.wait(address, self.strangers_limit)
        if wait:
            retry = {"Retry-After": str(max(1, math.ceil(wait)))}
            raise HTTPException(429, "too many requests without a valid API key from this address", retry)
        if not presented:
            raise HTTPException(401, "send an API key in the X-API-Key header", UNAUTHORIZED)
        if parts is None:
            raise HTTPException(401, "the X-API-Key header does not hold a payeeflow key", UNAUTHORIZED)
        key_id, secret = parts
        found = None if key_id in self.unknown else await self._find(request, key_id)
        if found is None or not keys.matches(secret, found[1]):
            raise HTTPException(401, "unknown or revoked API key", UNAUTHORIZED)
        self.strangers.refund(address, self.strangers_limit)
        return found[0]

    async def _find(self, request: Request, key_id: str) -> Found:
        """The key by its id, from the cache or the database, which requests presenting the same
        id at once ask together."""
        if (found := self.checked.get(key_id)) is not None:
            return found
        if (looking := self.looking.get(key_id)) is None:
            looking = self.looking[key_id] = asyncio.ensure_future(_lookup(request, key_id))
            looking.add_done_callback(lambda _: self.looking.pop(key_id, None))
        found = await asyncio.shield(looking)  # a caller that hangs up leaves it to the others
        if found is None:
            self.unknown[key_id] = True
        else:
            self.checked[key_id] = found
        return found

    def admit(self, key: keys.ApiKey) -> None:
        """Count a request against the key's limit; 429 with ``Retry-After`` over it."""
        wait = self.limiter.wait(key.key_id, key.rate_limit)
        if wait:
            retry = str(max(1, math.ceil(wait)))
            raise HTTPException(429, f"over this key's limit of {key.rate_limit}", {"Retry-After": retry})


async def _lookup(request: Request, key_id: str) -> Found:
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
    guard: Guard = request.app.state.guard
    key = await guard.key(request, presented)
    if not key.allows(scope):
        raise HTTPException(403, f"this key lacks the '{scope}' scope")
    guard.admit(key)
    return key
