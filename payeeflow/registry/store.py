"""Subjects, versions, global ids and compatibility levels, in PostgreSQL (migration 006).

Compatibility is ``payeeflow.schemas.compatibility``, the levels as Confluent's registry defines them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

import avro.schema
from psycopg import Connection
from psycopg_pool import ConnectionPool

from payeeflow.schemas.compatibility import problems

LEVELS = frozenset(
    f"{base}{suffix}" for base in ("BACKWARD", "FORWARD", "FULL") for suffix in ("", "_TRANSITIVE")
) | {"NONE"}
GLOBAL = ""  # the registry_config row of the global level


class RegistryError(Exception):
    """An answer the REST API gives as ``{"error_code", "message"}`` with an HTTP status."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Registered:
    subject: str
    version: int
    id: int
    schema: str


def parse(schema: str) -> tuple[Any, str]:
    """(the Avro schema, its JSON with sorted keys, which names it once); 42201 when invalid."""
    try:
        parsed = avro.schema.parse(schema)
        normalized = json.dumps(json.loads(schema), sort_keys=True, separators=(",", ":"))
    except Exception as exc:  # avro raises several types for a bad schema
        raise RegistryError(422, 42201, f"Invalid schema: {exc}") from exc
    return parsed, normalized


class SchemaStore:
    """The registry's state; every method is one transaction."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool

    def schema(self, schema_id: int) -> str:
        with self.pool.connection() as conn:
            row = conn.execute("SELECT schema FROM registry_schemas WHERE id = %s", (schema_id,)).fetchone()
        if row is None:
            raise RegistryError(404, 40403, f"Schema {schema_id} not found")
        return str(row[0])

    def subjects(self) -> list[str]:
        with self.pool.connection() as conn:
            rows = conn.execute("SELECT DISTINCT subject FROM registry_versions ORDER BY subject").fetchall()
        return [row[0] for row in rows]

    def versions(self, subject: str) -> list[int]:
        with self.pool.connection() as conn:
            return [v.version for v in _existing(conn, subject)]

    def version(self, subject: str, version: str) -> Registered:
        with self.pool.connection() as conn:
            history = _existing(conn, subject)
        wanted = _version_number(version, history)
        for v in history:
            if v.version == wanted:
                return Registered(subject, v.version, v.id, v.schema)
        raise RegistryError(404, 40402, f"Version {version} not found.")

    def lookup(self, subject: str, schema: str) -> Registered:
        """The version of ``subject`` that holds ``schema``."""
        _, normalized = parse(schema)
        with self.pool.connection() as conn:
            history = _existing(conn, subject)
        for v in history:
            if v.normalized == normalized:
                return Registered(subject, v.version, v.id, v.schema)
        raise RegistryError(404, 40403, "Schema not found")

    def register(self, subject: str, schema: str) -> int:
        """The schema's id under ``subject``: its own if registered there, else a new version,
        refused (409) when it breaks the subject's compatibility level."""
        parsed, normalized = parse(schema)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (subject,))  # one writer a subject
            history = _history(conn, subject)
            for v in history:
                if v.normalized == normalized:
                    return v.id
            level = _effective_level(conn, subject)
            found = problems(parsed, [avro.schema.parse(v.schema) for v in history], level)
            if found:
                raise RegistryError(
                    409,
                    409,
                    f"Schema being registered is incompatible with an earlier schema for subject "
                    f"{subject!r} ({level}): " + "; ".join(found),
                )
            schema_id = _schema_id(conn, normalized, schema)
            conn.execute(
                "INSERT INTO registry_versions (subject, version, schema_id) VALUES (%s, %s, %s)",
                (subject, len(history) + 1, schema_id),
            )
        return schema_id

    def compatible(self, subject: str, schema: str, version: str | None = None) -> list[str]:
        """What keeps ``schema`` from following ``subject`` at its level; against one ``version``
        only when given (the level's direction, not its transitivity), as Confluent's registry does."""
        parsed, _ = parse(schema)
        with self.pool.connection() as conn:
            history = _existing(conn, subject)
            level = _effective_level(conn, subject)
        if version is not None:
            wanted = _version_number(version, history)
            history = [v for v in history if v.version == wanted]
            level = level.removesuffix("_TRANSITIVE")
        return problems(parsed, [avro.schema.parse(v.schema) for v in history], level)

    def level(self, subject: str = GLOBAL, default_to_global: bool = False) -> str:
        with self.pool.connection() as conn:
            level = _level(conn, subject)
            if level is None and (default_to_global or subject == GLOBAL):
                level = _effective_level(conn, GLOBAL)
        if level is None:
            raise RegistryError(
                404, 40408, f"Subject '{subject}' does not have subject-level compatibility configured"
            )
        return level

    def set_level(self, level: str, subject: str = GLOBAL) -> str:
        if level not in LEVELS:
            raise RegistryError(422, 42203, f"Invalid compatibility level {level!r}")
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO registry_config (subject, compatibility) VALUES (%s, %s)"
                " ON CONFLICT (subject) DO UPDATE SET compatibility = excluded.compatibility",
                (subject, level),
            )
        return level


class _Version(NamedTuple):
    version: int
    id: int
    normalized: str
    schema: str


def _history(conn: Connection[Any], subject: str) -> list[_Version]:
    """Every version of ``subject``, oldest first (a subject holds a handful)."""
    rows = conn.execute(
        "SELECT v.version, s.id, s.normalized, s.schema FROM registry_versions v"
        " JOIN registry_schemas s ON s.id = v.schema_id WHERE v.subject = %s ORDER BY v.version",
        (subject,),
    ).fetchall()
    return [_Version(*row) for row in rows]


def _existing(conn: Connection[Any], subject: str) -> list[_Version]:
    """``_history`` of a subject that must exist (40401 otherwise)."""
    history = _history(conn, subject)
    if not history:
        raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
    return history


def _version_number(version: str, history: list[_Version]) -> int:
    if version in ("latest", "-1"):
        return history[-1].version
    if not version.isdigit() or not 1 <= int(version) <= 2**31 - 1:
        raise RegistryError(422, 42202, f"The specified version '{version}' is not a valid version id.")
    return int(version)


def _effective_level(conn: Connection[Any], subject: str) -> str:
    """The subject's level, else the global one, else Confluent's default."""
    return _level(conn, subject) or _level(conn, GLOBAL) or "BACKWARD"


def _level(conn: Connection[Any], subject: str) -> str | None:
    row = conn.execute("SELECT compatibility FROM registry_config WHERE subject = %s", (subject,)).fetchone()
    return None if row is None else str(row[0])


def _schema_id(conn: Connection[Any], normalized: str, schema: str) -> int:
    """The global id of a schema, the same under every subject."""
    row = conn.execute(
        "INSERT INTO registry_schemas (normalized, schema) VALUES (%s, %s)"
        " ON CONFLICT (digest) DO NOTHING RETURNING id",
        (normalized, schema),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM registry_schemas WHERE digest = registry_digest(%s)", (normalized,)
        ).fetchone()
    assert row is not None
    return int(row[0])
