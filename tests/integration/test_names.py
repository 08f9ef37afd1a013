"""The payee names an API process searches in memory: loaded once, then kept up with the table."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator

import asyncpg
import psycopg
import pytest

from payeeflow.api import names as names_module
from payeeflow.api.names import Names
from payeeflow.config import Settings
from payeeflow.connectors.database import namechanges
from payeeflow.connectors.database.postgres import asyncpg_dsn

pytestmark = pytest.mark.integration

STORE = """
INSERT INTO payees (payee_id, batch_id, source, version, source_ts, name, excluded, payee_type,
                    confidence, reason, match_type)
VALUES (%s, 'names-test', 'test', 1, now(), %s, false, 'BUSINESS', 1, 'test', 'none')
"""


def execute(settings: Settings, sql: str, *params: object) -> None:
    with psycopg.connect(settings.dsn) as conn:
        conn.execute(sql, params)  # type: ignore[arg-type]


@pytest.fixture
def ids(settings: Settings) -> Iterator[str]:
    """A prefix for this test's payees, deleted afterwards."""
    prefix = f"names-{uuid.uuid4().hex[:8]}-"
    yield prefix
    execute(settings, "DELETE FROM payees WHERE payee_id LIKE %s", prefix + "%")


async def read_until(names: Names, conn: asyncpg.Connection, term: str, want: list[str]) -> list[str]:
    """Reads changes until ``term`` finds ``want`` (a transaction elsewhere in the cluster may hold
    the horizon back a moment), or 10 s; returns what it finds last."""
    deadline = time.monotonic() + 10
    while True:
        assert names.index is not None
        await names._read(conn, names.index)
        found = names.find(term, "", 10)
        if found == want or time.monotonic() > deadline:
            return found or []
        await asyncio.sleep(0.05)


def test_a_stored_or_renamed_payee_is_found_once_read_and_a_late_commit_is_never_skipped(
    settings: Settings, ids: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b, c = (ids + letter for letter in "abc")

    async def scenario() -> None:
        execute(settings, STORE, a, "Quillfeather Anvil Works")
        names = Names(asyncpg_dsn(settings.dsn), every=1.0)
        await names.load()
        assert names.find("QUILLFEATHER", "", 10) == [a]
        assert names.find("qu", "", 10) is None  # no three bytes in a row: the database's to search
        conn = await asyncpg.connect(asyncpg_dsn(settings.dsn))
        late = await asyncpg.connect(asyncpg_dsn(settings.dsn))
        try:
            writing = late.transaction()
            await writing.start()
            await late.execute(
                STORE.replace("%s", "$1", 1).replace("%s", "$2", 1), b, "Quillfeather Late LLC"
            )
            execute(settings, STORE, c, "Quillfeather Early Inc")  # began later, committed first
            execute(settings, "UPDATE payees SET name = 'Ostrowind Anvil Works' WHERE payee_id = %s", a)
            await names._read(conn, names.index)  # type: ignore[arg-type]
            # the open transaction holds the horizon: what committed after it began waits
            assert names.find("quillfeather", "", 10) == [a]
            await writing.commit()
            assert await read_until(names, conn, "quillfeather", [b, c]) == [b, c]
            assert names.find("ostrowind", "", 10) == [a]
            assert names.find("anvil", "", 10) == [a]
            assert names.find("quillfeather", b, 10) == [c]

            monkeypatch.setattr(names_module, "MERGE_AT", 1)  # the next change folds the tail in
            monkeypatch.setattr(names_module, "MERGE_SHARE", 1 << 40)
            execute(settings, "UPDATE payees SET name = 'Quillfeather Again' WHERE payee_id = %s", a)
            assert await read_until(names, conn, "quillfeather", [a, b, c]) == [a, b, c]
            assert names.index is not None and names.index.tail == 0
            assert names.find("ostrowind", "", 10) == []
        finally:
            await conn.close()
            await late.close()

    asyncio.run(scenario())


def test_the_sink_deletes_the_changes_every_reader_has_read_and_the_names_stay_right(
    settings: Settings, ids: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(namechanges, "KEEP", 0.6)  # a horizon noted every 10 ms, changes kept 0.6 s

    async def scenario() -> None:
        names = Names(asyncpg_dsn(settings.dsn), every=1.0)
        await names.load()
        conn = await asyncpg.connect(asyncpg_dsn(settings.dsn))
        sink = await psycopg.AsyncConnection.connect(settings.dsn, autocommit=True)
        forgetting = namechanges.Forgetting()
        try:
            execute(settings, STORE, ids + "a", "Vexlander Forge")
            assert await read_until(names, conn, "vexlander", [ids + "a"]) == [ids + "a"]
            count = "SELECT count(*) FROM payee_name_changes WHERE payee_id = $1"
            assert await conn.fetchval(count, ids + "a") == 1
            await forgetting.after_commit(sink)  # the first horizon noted: nothing old enough yet
            assert await conn.fetchval(count, ids + "a") == 1
            for _ in range(8):  # commits 0.1 s apart: after 0.6 s, what was below the first goes
                await asyncio.sleep(0.1)  # the age of the changes is what is tested, not a wait
                await forgetting.after_commit(sink)
            assert await conn.fetchval(count, ids + "a") == 0
            assert names.find("vexlander", "", 10) == [ids + "a"]
        finally:
            await conn.close()
            await sink.close()

    asyncio.run(scenario())
