"""Search by name: a substring in any case, answered in ``payee_id`` order.

A search by name alone finds its page's ids in the process's memory (``api.names``) and reads
those rows by key, rechecked: a payee renamed since is left out, one stored in the last
``api_name_index_seconds`` may be missing. Searches with other filters, and any while the names
are not loaded, go to the database's trigram index as below.

The trigram index yields a name's matches in no order, so the first page of a common word sorts
all of them: ``miller`` rechecks 887 rows of a million for 21 (3.5 ms of the database). An API
process therefore keeps the sorted ids of a search it ran, up to ``KEPT`` of them, for
``api_name_search_seconds``; its next pages and its repeats then read only their own rows, by
key. Those rows are read fresh and returned only if they still match, so a kept search may miss
a payee stored since, but never returns one that does not match.

The matches are found through the trigram index whenever the term holds a trigram, never by
walking the primary key and testing each row: the planner prefers that walk when it expects
more matches than a page, and a word with fewer (``carmen``: 663 of a million, expected
more) then read the whole table, 820 ms. Through the index, the first search of 300 words drawn
from real names took 2.0 ms on average where it took 8.5, the worst 115 ms (``ding``, 20,611
matches), and the benchmark's first-time words went from 200 to about 1,000 searches a second.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

import asyncpg
from cachetools import TTLCache

from payeeflow.api.names import Names

KEPT = 1000  # ids kept a search: 50 pages of 20; later pages are searched from their cursor
SEARCHES = 256  # searches kept a process: at most ~15 MB of ids
# pg_trgm makes trigrams of a pattern's runs of letters and digits; a term without a run of three
# (``in``, ``a b``) has none, its index scan would read every row, and the walk is then the way
TRIGRAM = re.compile(r"[^\W_]{3}")


class NameSearch:
    """The searches by name of one API process, each kept for ``seconds`` (0: none kept)."""

    def __init__(self, seconds: float, names: Names) -> None:
        self._names = names
        self._kept: TTLCache[tuple[object, ...], list[str]] | None = (
            TTLCache(maxsize=SEARCHES, ttl=seconds) if seconds > 0 else None
        )

    async def page(
        self,
        conn: asyncpg.Connection,
        term: str,
        where: str,
        params: Sequence[object],
        cursor: str | None,
        limit: int,
        *,
        name_only: bool,
    ) -> tuple[list[asyncpg.Record], str | None]:
        """The page after ``cursor`` of the payees ``p`` whose name holds ``term`` and for which
        ``where`` holds (its parameters ``$2`` on, the name's test among them; ``name_only`` when
        that is all it tests): (payee_id, doc) rows, and the next page's cursor, or ``None``
        after the last."""
        ids = self._names.find(term, cursor or "", limit + 1) if name_only else None
        if ids is None:
            find = _FOUND_BY_TRIGRAMS if TRIGRAM.search(term) else _WALKED
            ids = await self._ids(
                conn, find.format(where=where, limit=len(params) + 2), params, cursor, limit + 1
            )
        page = ids[:limit]
        if not page:
            return [], None
        rows = await conn.fetch(
            f"SELECT p.payee_id, p.doc FROM payees p WHERE p.payee_id = ANY($1) AND {where}"
            " ORDER BY p.payee_id",
            page,
            *params,
        )
        return rows, (page[-1] if len(ids) > limit else None)

    async def _ids(
        self, conn: asyncpg.Connection, find: str, params: Sequence[object], cursor: str | None, count: int
    ) -> list[str]:
        """Up to ``count`` matching ids after ``cursor``, in order, by the query ``find``: from the
        kept search when it holds them, else from the database."""
        if self._kept is not None:
            key = (find, *params)
            kept = self._kept.get(key)
            if kept is None:
                kept = self._kept[key] = await _matches(conn, find, params, "", KEPT + 1)
            start = bisect_right(kept, cursor) if cursor else 0
            if len(kept) <= KEPT or start + count <= len(kept):  # all matches kept, or enough of them
                return kept[start : start + count]
        return await _matches(conn, find, params, cursor or "", count)


# Up to $n matching ids above $1 ('' is below every id), in order. MATERIALIZED keeps the
# planner from walking the primary key for the order: the matches come from the trigram index.
_FOUND_BY_TRIGRAMS = """
WITH found AS MATERIALIZED (SELECT p.payee_id FROM payees p WHERE p.payee_id > $1 AND {where})
SELECT payee_id FROM found ORDER BY payee_id LIMIT ${limit}
"""
_WALKED = (
    "SELECT p.payee_id FROM payees p WHERE p.payee_id > $1 AND {where} ORDER BY p.payee_id LIMIT ${limit}"
)


async def _matches(
    conn: asyncpg.Connection, find: str, params: Sequence[object], after: str, count: int
) -> list[str]:
    return [row[0] for row in await conn.fetch(find, after, *params, count)]
