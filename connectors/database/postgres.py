"""PostgreSQL access shared by the sink and the API: connections, migrations, error classes.

Errors are classified by SQLSTATE (``psycopg.errors``), never by message text.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from psycopg import sql

from payeeflow.errors import StackError, first_line

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


# SQLSTATE classes of errors caused by the data of a row: retrying the same row cannot succeed.
DATA_ERROR_CLASSES = ("22", "23", "54")


def is_data_error(exc: psycopg.Error) -> bool:
    """True when the rows written caused ``exc`` (SQLSTATE class 22, 23, 54), not the server.

    psycopg refuses a NUL in a text value itself, before the server sees it: a ``DataError`` with
    no SQLSTATE.
    """
    if exc.sqlstate:
        return exc.sqlstate[:2] in DATA_ERROR_CLASSES
    return isinstance(exc, psycopg.DataError)


def asyncpg_dsn(dsn: str) -> str:
    """``dsn``, a URL or libpq's ``key=value`` form, as the URL asyncpg reads: every parameter in
    its query string, where asyncpg takes libpq's names (``sslmode``, ``sslrootcert``, …)."""
    return "postgresql://?" + urlencode(psycopg.conninfo.conninfo_to_dict(dsn))


def wait_for_database(dsn: str, timeout: float | None = 30.0) -> None:
    """Block until PostgreSQL accepts connections (the pre-start step); ``None`` waits for ever."""
    deadline = None if timeout is None else time.monotonic() + timeout
    said = time.monotonic()
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=3) as conn:
                conn.execute("SELECT 1")
                return
        except psycopg.OperationalError as exc:
            if deadline is not None and time.monotonic() > deadline:
                first = first_line(exc)
                raise StackError(f"PostgreSQL did not answer within {timeout:.0f}s: {first}") from exc
            if time.monotonic() - said > 10:
                log.warning("waiting for PostgreSQL: %s", str(exc).strip()[:200])
                said = time.monotonic()
            time.sleep(0.5)


def fresh_database(dsn: str, name: str) -> str:
    """Database ``name`` on ``dsn``'s server, made anew and migrated; returns its DSN. Tests and
    benchmarks run in one of their own, never in the stack's data."""
    drop_database(dsn, name)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    own = psycopg.conninfo.make_conninfo(dsn, dbname=name)
    migrate(own)
    return own


def drop_database(dsn: str, name: str) -> None:
    """Drop database ``name`` if it is there, ending this role's own sessions in it first.

    Not ``WITH (FORCE)``: that also ends an autovacuum worker in it, which only a superuser may,
    while a plain drop cancels autovacuum by itself (and waits up to 5 s for the sessions to end).
    """
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def migrate(dsn: str) -> list[str]:
    """Apply the migrations not applied yet, each in its own transaction; returns their names."""
    applied: list[str] = []
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        conn.execute("SELECT pg_advisory_lock(714250)")  # one migrator at a time
        try:
            done = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
            conn.commit()
            for path in sorted(MIGRATIONS.glob("*.sql")):
                if path.name in done:
                    continue
                with conn.transaction():
                    conn.execute(sql.SQL(path.read_text()))  # type: ignore[arg-type]
                    conn.execute("INSERT INTO schema_migrations (name) VALUES (%s)", (path.name,))
                applied.append(path.name)
                log.info("applied migration %s", path.name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(714250)")
    return applied
