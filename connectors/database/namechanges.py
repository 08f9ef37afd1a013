"""The log of payee names stored or changed (``payee_name_changes``, migration 018).

API processes read it to keep every name in memory (``api.names``); the sink, which writes
almost all of it, deletes what every reader has read. A reader reads the changes below the xmin
of a fresh snapshot; the sink notes that horizon as time goes and deletes the changes below the
one it noted ``KEEP`` seconds ago. A reader that read within ``KEEP`` / 2 has them all (the
horizon only rises), and one that did not loads every name again.
"""

from __future__ import annotations

import logging
import time
from collections import deque

import psycopg

log = logging.getLogger(__name__)

KEEP = 300.0  # seconds: at 5,000 payees a second the log holds at most 1.5 million changes
# the horizon: every transaction below it has ended (an int to asyncpg, text to psycopg)
HORIZON = "SELECT pg_snapshot_xmin(pg_current_snapshot())"
# a reader's: the changes from its last horizon up to this one, a payee's later change last
CHANGES = """
SELECT payee_id, name FROM payee_name_changes WHERE xid >= $1 AND xid < $2 ORDER BY seq
"""


class Forgetting:
    """The sink's side: ``after_commit`` notes the horizon at most every ``KEEP`` / 60 seconds
    and deletes the changes below the one noted ``KEEP`` seconds ago."""

    def __init__(self) -> None:
        self._marks: deque[tuple[float, str]] = deque()  # (when, horizon as text)

    async def after_commit(self, conn: psycopg.AsyncConnection) -> None:
        now = time.monotonic()
        if self._marks and now - self._marks[-1][0] < KEEP / 60:
            return
        try:
            async with conn.transaction():
                found = await (await conn.execute(HORIZON)).fetchone()
                assert found is not None
                self._marks.append((now, found[0]))
                while len(self._marks) > 1 and now - self._marks[1][0] >= KEEP:
                    self._marks.popleft()
                if now - self._marks[0][0] >= KEEP:
                    await conn.execute(
                        "DELETE FROM payee_name_changes WHERE xid < %s::xid8", (self._marks[0][1],)
                    )
        except psycopg.Error as exc:  # the next flush retries the database; this can wait
            log.warning("payee name changes not deleted: %s", exc)
