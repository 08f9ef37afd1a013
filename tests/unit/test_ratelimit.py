"""Each API key's rate limit (GCRA), on a clock the test moves."""

from __future__ import annotations

import pytest

from payeeflow.api import ratelimit
from payeeflow.api.ratelimit import RateLimiter


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic_ns", lambda: int(now[0] * 1e9))
    return now


def test_a_key_may_spend_a_period_at_once_then_one_request_an_interval(clock: list[float]) -> None:
    limiter = RateLimiter()
    assert [limiter.wait("k", "3/minute") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait("k", "3/minute") == pytest.approx(20.0)  # refused: not counted
    assert limiter.wait("other", "3/minute") == 0.0  # each key has its own allowance
    clock[0] += 5
    assert limiter.wait("k", "3/minute") == pytest.approx(15.0)
    clock[0] += 15
    assert limiter.wait("k", "3/minute") == 0.0
    assert limiter.wait("k", "3/minute") == pytest.approx(20.0)


def test_a_quiet_key_gets_its_whole_allowance_back_and_no_more(clock: list[float]) -> None:
    limiter = RateLimiter()
    assert all(limiter.wait("k", "100/second") == 0.0 for _ in range(100))
    assert limiter.wait("k", "100/second") > 0
    clock[0] += 3600
    assert all(limiter.wait("k", "100/second") == 0.0 for _ in range(100))
    assert limiter.wait("k", "100/second") == pytest.approx(0.01)


def test_limits_in_the_libraries_notation(clock: list[float]) -> None:
    limiter = RateLimiter()
    assert [limiter.wait("k", "2 per 10 seconds") for _ in range(3)][-1] == pytest.approx(5.0)


def test_a_refunded_request_gives_its_place_back(clock: list[float]) -> None:
    limiter = RateLimiter()
    assert [limiter.wait("10.0.0.1", "2/minute") for _ in range(2)] == [0.0, 0.0]
    limiter.refund("10.0.0.1", "2/minute")  # the request turned out not to count
    assert limiter.wait("10.0.0.1", "2/minute") == 0.0
    assert limiter.wait("10.0.0.1", "2/minute") == pytest.approx(30.0)
    limiter.refund("never-seen", "2/minute")  # nothing to give back
    assert limiter.wait("never-seen", "2/minute") == 0.0
