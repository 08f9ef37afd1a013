"""Request limits by GCRA (the generic cell rate algorithm), one time a key: each API key's,
and each client address's for requests without a valid key.

A key's limit is written in the ``limits`` library's notation (``100/second``) and parsed by it;
the counting is not the library's, because its in-memory storage sweeps expired windows from a
``threading.Timer`` that it starts again every 10 ms while requests arrive, a hundred threads a
second in each API process (16 % of a worker's samples under load). GCRA needs no sweeping: a key
holds the time at which its allowance would be used up, so a whole period's requests may come
at once, and after them one each ``period / amount``.
"""

from __future__ import annotations

import time
from collections.abc import MutableMapping

from limits import parse


class RateLimiter:
    """Limits for one API process. Memory is one integer per key that made a request: only keys
    checked against the database count in the default store; addresses, which anyone can make more
    of, are counted in a bounded one (``used_up``)."""

    def __init__(self, used_up: MutableMapping[str, int] | None = None) -> None:
        self._spaces: dict[str, tuple[int, int]] = {}  # limit text -> (interval, period) in ns
        self._used_up = {} if used_up is None else used_up  # key -> when its allowance is used up, in ns

    def wait(self, key_id: str, limit: str) -> float:
        """Admit a request of ``key_id`` under ``limit``: 0.0, or the seconds to wait if refused."""
        space = self._spaces.get(limit)
        if space is None:
            item = parse(limit)
            period = item.get_expiry() * 1_000_000_000  # whole nanoseconds: no rounding drift
            space = self._spaces[limit] = (period // item.amount, period)
        interval, period = space
        now = time.monotonic_ns()
        used_up = max(self._used_up.get(key_id, now), now) + interval
        if used_up - now > period:
            return (used_up - period - now) / 1e9
        self._used_up[key_id] = used_up
        return 0.0

    def refund(self, key_id: str, limit: str) -> None:
        """Give back a request ``wait`` admitted under ``limit``: it turned out not to count."""
        if (used_up := self._used_up.get(key_id)) is not None:
            self._used_up[key_id] = used_up - self._spaces[limit][0]
