"""Subjects, versions, global ids and compatibility levels, in PostgreSQL (migration 006).

Compatibility is ``payeeflow.schemas.compatibility``, the levels as Confluent's registry defines them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
            return _versions(conn, subject)

    def version(self, subject: str, version: str) -> Registered:
        with self.pool.connection() as conn:
            numbers = _versions(conn, subject)
            wanted = _version_number(version, numbers)
            row = conn.execute(
                "SELECT v.schema_id, s.schema FROM registry_versions v"
                " JOIN registry_schemas s ON s.id = v.schema_id WHERE v.subject = %s AND v.version = %s",
                (subject, wanted),
            ).fetchone()
        if row is None:
            raise RegistryError(404, 40402, f"Version {version} not found.")
        return Registered(subject, wanted, row[0], row[1])

    def lookup(self, subject: str, schema: str) -> Registered:
        """The version of ``subject`` that holds ``schema``."""
        _, normalized = parse(schema)
        with self.pool.connection() as conn:
            _versions(conn, subject)
            row = conn.execute(
                "SELECT v.version, s.id, s.schema FROM registry_versions v"
                " JOIN registry_schemas s ON s.id = v.schema_id WHERE v.subject = %s AND s.normalized = %s",
                (subject, normalized),
            ).fetchone()
        if row is None:
            raise RegistryError(404, 40403, "Schema not found")
        return Registered(subject, row[0], row[1], row[2])

    def register(self, subject: str, schema: str) -> int:
        """The schema's id under ``subject``: its own if registered there, else a new version,
        refused (409) when it breaks the subject's compatibility level."""
        parsed, normalized = parse(schema)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (subject,))  # one writer a subject
            rows = conn.execute(
                "SELECT s.id, s.normalized, s.schema FROM registry_versions v"
                " JOIN registry_schemas s ON s.id = v.schema_id WHERE v.subject = %s ORDER BY v.version",
                (subject,),
            ).fetchall()
            for schema_id, known, _ in rows:
                if known == normalized:
                    return int(schema_id)
            level = _level(conn, subject) or _level(conn, GLOBAL) or "BACKWARD"
            found = problems(parsed, [avro.schema.parse(text) for _, _, text in rows], level)
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
                (subject, len(rows) + 1, schema_id),
            )
        return schema_id

    def compatible(self, subject: str, schema: str, version: str | None = None) -> list[str]:
        """What keeps ``schema`` from following ``subject`` at its level; against one ``version``
        only when given (the level's direction, not its transitivity), as Confluent's registry does."""
        parsed, _ = parse(schema)
        with self.pool.connection() as conn:
            numbers = _versions(conn, subject)
            level = _level(conn, subject) or _level(conn, GLOBAL) or "BACKWARD"
            wanted = numbers if version is None else [_version_number(version, numbers)]
            texts = conn.execute(
                "SELECT s.schema FROM registry_versions v JOIN registry_schemas s ON s.id = v.schema_id"
                " WHERE v.subject = %s AND v.version = ANY(%s) ORDER BY v.version",
                (subject, wanted),
            ).fetchall()
        if version is not None:
            level = level.removesuffix("_TRANSITIVE")
        return problems(parsed, [avro.schema.parse(text) for (text,) in texts], level)

    def level(self, subject: str = GLOBAL, default_to_global: bool = False) -> str:
        with self.pool.connection() as conn:
            level = _level(conn, subject)
            if level is None and (default_to_global or subject == GLOBAL):
                level = _level(conn, GLOBAL) or "BACKWARD"
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


def _versions(conn: Connection[Any], subject: str) -> list[int]:
    rows = conn.execute(
        "SELECT version FROM registry_versions WHERE subject = %s ORDER BY version", (subject,)
    ).fetchall()
    if not rows:
        raise RegistryError(404, 40401, f"Subject '{subject}' not found.")
    return [row[0] for row in rows]


def _version_number(version: str, numbers: list[int]) -> int:
    if version in ("latest", "-1"):
        return numbers[-1]
    if not version.isdigit() or not 1 <= int(version) <= 2**31 - 1:
        raise RegistryError(422, 42202, f"The specified version '{version}' is not a valid version id.")
    return int(version)


def _level(conn: Connection[Any], subject: str) -> str | None:
    row = conn.execute("SELECT compatibility FROM registry_config WHERE subject = %s", (subject,)).fetchone()
    return None if row is None else str(row[0])


def _schema_id(conn: Connection[Any], normalized: str, schema: str) -> int:
    """The global id of a schema, the same under every subject."""
    row = conn.execute(
        "INSERT INTO registry_schemas (normalized, schema) VALUES (%s, %s)"
        " ON CONFLICT (normalized) DO NOTHING RETURNING id",
        (normalized, schema),
    ).fetchone()
    if row is None:
        row = conn.execute("SELECT id FROM registry_schemas WHERE normalized = %s", (normalized,)).fetchone()
    assert row is not None
    return int(row[0])
