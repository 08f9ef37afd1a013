"""Every payee's name in this API process's memory, for searches by name.

The trigram index answers a name's first search in about 1 ms of the database, whatever the API
does, and on two cores that capped such searches near 1,200 a second. In memory (the compiled
``NameIndex``: the payees holding each three-byte window, in ``payee_id`` order) a search takes
~34 µs, and the page's rows are then read by key and rechecked by the database.

The process loads the names once (a binary COPY: 1,000,000 payees in ~2 s, 76 MB), then
reads ``payee_name_changes`` (``connectors.namechanges``) every ``api_name_index_seconds``: a
payee stored or renamed since is found after that long. A change is read once its transaction
is below the xmin of a fresh snapshot, so one that committed late is never skipped.
"""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
from prometheus_client import Gauge

from payeeflow._native import NameIndex
from payeeflow.connectors.database.namechanges import CHANGES, HORIZON, KEEP

log = logging.getLogger(__name__)

# names recorded since the bulk was built, at least MERGE_AT and a MERGE_SHARE-th of it: folded
# in, off the event loop (a million names take ~0.6 s)
MERGE_AT, MERGE_SHARE = 20_000, 20
NAMES = Gauge("payeeflow_api_names", "Payee names this API process searches in memory")


class Names:
    """The names, once loaded (``index`` is None before), and where their changes were read up to."""

    def __init__(self, dsn: str, every: float) -> None:
        self.index: NameIndex | None = None
        self._dsn = dsn
        self._every = every
        self._read_to = 0  # changes by transactions below this xid8 are in the index
        self._read_at = 0.0  # when changes were last read (monotonic)
        NAMES.set(0)

    def find(self, term: str, after: str, count: int) -> list[str] | None:
        """Up to ``count`` ids above ``after`` whose name holds ``term`` in any ASCII case, in
        order; None when not loaded or for a term without three characters' bytes in a row."""
        return None if self.index is None else self.index.find(term, after, count)

    async def load(self) -> None:
        """Loads every name, as of one snapshot, and where to read changes from."""
        started = time.perf_counter()
        conn = await asyncpg.connect(self._dsn, timeout=5.0)
        try:
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                read_to = await conn.fetchval(HORIZON)
                chunks: list[bytes] = []

                async def keep(chunk: bytes) -> None:
                    chunks.append(chunk)

                await conn.copy_from_query("SELECT payee_id, name FROM payees", output=keep, format="binary")
        finally:
            await conn.close()
        # built off the event loop: meanwhile requests are answered, their names searched in
        # the database
        index = self.index = await asyncio.to_thread(NameIndex.from_copy, b"".join(chunks))
        self._read_to, self._read_at = read_to, time.monotonic()
        NAMES.set(len(index))
        log.info("loaded %d payee names in %.2f s", len(index), time.perf_counter() - started)

    async def follow(self) -> None:
        """Reads the changes every ``every`` seconds, for as long as the app runs (a task); loads
        again when they were not read for half of ``KEEP`` (the sink may have deleted some)."""
        conn: asyncpg.Connection | None = None
        try:
            while True:
                await asyncio.sleep(self._every)
                try:
                    if self.index is None or time.monotonic() - self._read_at > KEEP / 2:
                        await self.load()
                        continue
                    if conn is None or conn.is_closed():
                        conn = await asyncpg.connect(self._dsn, timeout=5.0)
                    await self._read(conn, self.index)
                except Exception:  # the database away, or anything else: tried again next time
                    log.warning("payee names not refreshed", exc_info=True)
                    if conn is not None:
                        conn.terminate()
                        conn = None
        finally:  # cancelled with the app
            if conn is not None:
                conn.terminate()

    async def _read(self, conn: asyncpg.Connection, index: NameIndex) -> None:
        read_to = await conn.fetchval(HORIZON)
        for payee_id, name in await conn.fetch(CHANGES, self._read_to, read_to):
            index.put(payee_id, name)
        self._read_to, self._read_at = read_to, time.monotonic()
        if index.tail >= max(MERGE_AT, len(index) // MERGE_SHARE):
            index = self.index = await asyncio.to_thread(index.merged)  # searches go on meanwhile
        NAMES.set(len(index))
