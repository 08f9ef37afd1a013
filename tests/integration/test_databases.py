"""Databases of a test's or a benchmark's own: made anew, migrated, dropped however they were left."""

from __future__ import annotations

import uuid

import psycopg

from payeeflow.config import Settings
from payeeflow.connectors.database.postgres import drop_database, fresh_database


def databases(settings: Settings) -> set[str]:
    with psycopg.connect(settings.dsn) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_a_fresh_database_is_migrated_and_dropped_while_a_session_still_holds_it(
    stack_settings: Settings,
) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    dsn = fresh_database(stack_settings.dsn, name)
    left_open = psycopg.connect(dsn)  # a session a failed test left behind
    try:
        assert left_open.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] > 0  # type: ignore[index]
        left_open.commit()
        drop_database(stack_settings.dsn, name)
        assert name not in databases(stack_settings)
        drop_database(stack_settings.dsn, name)  # gone already: nothing to do, no error
    finally:
        left_open.close()


def test_a_database_made_again_starts_empty(stack_settings: Settings) -> None:
    name = f"fresh_{uuid.uuid4().hex[:8]}"
    dsn = fresh_database(stack_settings.dsn, name)
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE leftover (n integer)")
    dsn = fresh_database(stack_settings.dsn, name)
    with psycopg.connect(dsn) as conn:
        tables = {
            row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
    drop_database(stack_settings.dsn, name)
    assert "leftover" not in tables and "schema_migrations" in tables
