"""What every paid provider (the LLM, the card network) is guarded by: a circuit breaker that
stops asking a failing service for a while, and a daily budget. A provider that is down or over
budget leaves the offline answer in place, with a reason."""

from __future__ import annotations

import time
from datetime import UTC, datetime


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
