"""One JSON request to a paid provider's HTTP API, as every provider client makes it: 429, 5xx
and network errors retried with exponential backoff and jitter (honouring ``Retry-After``), each
attempt counted and timed on ``/metrics``; anything else, or a body that is not JSON, is a
``ProviderError`` the caller turns into "no answer" for the payees concerned.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import httpx

from payeeflow.errors import PayeeflowError
from payeeflow.metrics import PROVIDER_CALLS, PROVIDER_SECONDS

RETRIED = frozenset({408, 425, 429, 500, 502, 503, 504})


class ProviderError(PayeeflowError):
    """A provider's refusal or an answer not in its documented shape."""


async def request_json(
    http: httpx.AsyncClient,
    provider: str,
    call: str,
    method: str,
    url: str,
    content: str,
    headers: Callable[[], dict[str, str]],
    retries: int,
) -> Any:
    """The decoded answer to ``method url`` with body ``content``; ``headers`` is asked again for
    each attempt (a signature covers its own timestamp and nonce)."""
    delay = 0.5
    for attempt in range(retries + 1):
        started = time.perf_counter()
        try:
            response = await http.request(method, url, content=content or None, headers=headers())
        except httpx.HTTPError as exc:
            outcome, wait, error = "network_error", None, f"{type(exc).__name__}: {exc}"
        else:
            if response.status_code < 300:
                PROVIDER_SECONDS.labels(provider, call).observe(time.perf_counter() - started)
                PROVIDER_CALLS.labels(provider, call, "ok").inc()
                try:
                    return response.json()
                except ValueError as exc:
                    PROVIDER_CALLS.labels(provider, call, "malformed").inc()
                    raise ProviderError(f"{call}: the answer is not JSON: {response.text[:200]!r}") from exc
            outcome, error = str(response.status_code), f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code not in RETRIED:
                PROVIDER_CALLS.labels(provider, call, outcome).inc()
                raise ProviderError(f"{call}: {error}")
            wait = _retry_after(response)
        PROVIDER_CALLS.labels(provider, call, outcome).inc()
        if attempt == retries:
            raise ProviderError(f"{call}: {error} (after {attempt + 1} attempts)")
        await asyncio.sleep(wait if wait is not None else delay * random.uniform(0.5, 1.5))
        delay *= 2
    raise AssertionError("unreachable")


def as_text(value: Any) -> str | None:
    """A provider's string field as given; anything else (a number, a list) reads as no answer,
    rather than failing later where the answer is written to a topic."""
    return value if isinstance(value, str) and value.isprintable() else None


def as_flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return min(float(value), 60.0) if value.replace(".", "", 1).isdigit() else None
