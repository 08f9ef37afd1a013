"""API keys with scopes: made and revoked by ``payeeflow apikey``, checked on every data request.

A key reads ``pf_<key id>_<secret>``. Only the secret's SHA-256 is stored: the secret is 256
random bits, so a slow password hash would add nothing but latency (GitHub's tokens are kept
so too). Every change to keys is written to ``audit_log``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from limits import parse
from psycopg.types.json import Jsonb

SCOPES = ("read", "ingest", "review", "admin")  # admin may do everything
AUDIT = "INSERT INTO audit_log (actor, action, target, detail) VALUES (%s, %s, %s, %s)"
PREFIX = "pf_"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    scopes: tuple[str, ...]
    rate_limit: str
    created_at: datetime | None = None
    revoked_at: datetime | None = None

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def split(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a presented key, or ``None`` when it is not shaped like one."""
    if not presented.startswith(PREFIX) or len(presented) > 200:
        return None
    key_id, _, secret = presented[len(PREFIX) :].partition("_")
    return (key_id, secret) if key_id and secret else None


def matches(secret: str, stored_sha256: bytes) -> bool:
    return hmac.compare_digest(_digest(secret), stored_sha256)


def create(dsn: str, name: str, scopes: list[str], rate_limit: str, actor: str = "cli") -> tuple[ApiKey, str]:
    """A new key and its full text, which is shown once and never stored."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}; got {', '.join(unknown) or 'none'}")
    scopes = sorted(set(scopes))
    parse(rate_limit)  # a clear error now rather than at the key's first request
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "INSERT INTO api_keys (key_id, name, scopes, secret_sha256, rate_limit)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING created_at",
            (key_id, name, scopes, _digest(secret), rate_limit),
        ).fetchone()
        audit(conn, actor, "apikey.create", key_id, {"name": name, "scopes": scopes})
    assert row is not None
    key = ApiKey(key_id, name, tuple(scopes), rate_limit, row[0])
    return key, f"{PREFIX}{key_id}_{secret}"


def list_keys(dsn: str) -> list[ApiKey]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT key_id, name, scopes, rate_limit, created_at, revoked_at"
            " FROM api_keys ORDER BY created_at"
        ).fetchall()
    return [ApiKey(r[0], r[1], tuple(r[2]), r[3], r[4], r[5]) for r in rows]


def revoke(dsn: str, key_id: str, actor: str = "cli") -> bool:
    """Revoke a key; false when there is no such live key. The API stops taking it within
    ``api_key_cache_seconds``."""
    with psycopg.connect(dsn) as conn:
        cur = conn.execute(
            "UPDATE api_keys SET revoked_at = now() WHERE key_id = %s AND revoked_at IS NULL", (key_id,)
        )
        if cur.rowcount:
            audit(conn, actor, "apikey.revoke", key_id)
        return bool(cur.rowcount)


def audit(
    conn: psycopg.Connection[Any], actor: str, action: str, target: str | None, detail: Any = None
) -> None:
    """Record a write in ``audit_log``, in the caller's transaction."""
    conn.execute(AUDIT, (actor, action, target, Jsonb(detail or {})))
