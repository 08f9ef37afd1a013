"""What stands between the stages and each paid provider (the LLM, the card network, address
validation): a circuit breaker that stops asking a failing service for a while, a daily budget,
a request rate and a concurrency limit, and a bounded TTL cache of answers. A provider that is
down or over budget leaves the offline answer in place, with a reason, and nothing waits for it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from aiolimiter import AsyncLimiter
from cachetools import TTLCache

from payeeflow.config import Settings
from payeeflow.metrics import PROVIDER_BREAKER, PROVIDER_REFUSED, PROVIDER_SPENT


class CircuitBreaker:
    """Opens after ``failures`` consecutive failures; lets one trial through after ``reset`` s."""

    def __init__(self, failures: int, reset: float) -> None:
        self.failures, self.reset = failures, reset
        self.count = 0
        self.opened_at: float | None = None

    def allow(self) -> bool:
        if self.opened_at is None:
            return True
        return time.monotonic() - self.opened_at >= self.reset  # half-open: one trial

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.allow() else "open"

    def success(self) -> None:
        self.count, self.opened_at = 0, None

    def failure(self) -> None:
        self.count += 1
        if self.count >= self.failures:
            self.opened_at = time.monotonic()


class DailyBudget:
    """At most ``limit`` units (queries, payees) a UTC day."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.day = datetime.now(UTC).date()
        self.spent = 0

    def take(self, units: int) -> bool:
        """Spend ``units`` if today's budget holds them all."""
        today = datetime.now(UTC).date()
        if today != self.day:
            self.day, self.spent = today, 0
        if self.spent + units > self.limit:
            return False
        self.spent += units
        return True

    def spent_out(self) -> bool:
        """Whether nothing is left of today's budget (nothing taken)."""
        return self.day == datetime.now(UTC).date() and self.spent >= self.limit


class Guard:
    """One provider's limits, read from its settings (``{name}_concurrency``, ``_rate``,
    ``_daily_budget``, ``_cache_size``, ``_cache_ttl``, ``_breaker_failures``, ``_breaker_reset``),
    and its metrics."""

    def __init__(self, name: str, settings: Settings) -> None:
        def setting(key: str) -> Any:
            return getattr(settings, f"{name}_{key}")

        self.name = name
        self.breaker = CircuitBreaker(setting("breaker_failures"), setting("breaker_reset"))
        self.budget = DailyBudget(setting("daily_budget"))
        self.in_flight = asyncio.Semaphore(setting("concurrency"))
        self.rate = AsyncLimiter(setting("rate"), 1.0)
        self.cache: TTLCache[str, Any] = TTLCache(max(setting("cache_size"), 1), setting("cache_ttl"))

    def refusal(self, units: int = 1) -> str | None:
        """Why the provider may not be asked now (``circuit_open``, ``over_budget``), or None with
        ``units`` of today's budget spent."""
        if not self.breaker.allow():
            reason = "circuit_open"
        elif not self.budget.take(units):
            reason = "over_budget"
        else:
            PROVIDER_SPENT.labels(self.name).inc(units)
            return None
        PROVIDER_REFUSED.labels(self.name, reason).inc(units)
        return reason

    def shut(self) -> str | None:
        """Why a payee is not even left waiting for the provider (its circuit open, nothing left of
        today's budget), counted; None while it may be asked. Spends nothing."""
        reason = self.closed()
        if reason is not None:
            PROVIDER_REFUSED.labels(self.name, reason).inc()
        return reason

    def closed(self) -> str | None:
        """``shut``'s reason, not counted."""
        if self.breaker.state == "open":
            return "circuit_open"
        if self.budget.spent_out():
            return "over_budget"
        return None

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A request's turn: within the concurrency limit and the rate."""
        async with self.in_flight, self.rate:
            yield

    def succeeded(self) -> None:
        self.breaker.success()
        PROVIDER_BREAKER.labels(self.name).set(0)

    def failed(self) -> None:
        self.breaker.failure()
        PROVIDER_BREAKER.labels(self.name).set(1 if self.breaker.state == "open" else 0)
