"""Bringing the shared database's schema to this voipdesk's version, once, whoever comes first."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors

from voipdesk.store.errors import StoreTooNew, StoreUnavailable
from voipdesk.store.pg.schema import (
    MIGRATE_LOCK,
    PG_MIGRATIONS,
    PG_SCHEMA_VERSION,
    VERSION_TABLE,
)


def too_new_sentence(where: str, version: int) -> str:
    return (
        f"The shared database {where} was set up by a newer voipdesk (schema {version}, this "
        f"version knows {PG_SCHEMA_VERSION}). Update voipdesk on this computer to use it."
    )


def schema_version(conn: psycopg.Connection) -> int:
    """The shared schema's version; 0 for a database voipdesk has not set up."""
    if conn.execute("SELECT to_regclass('voipdesk_schema')").fetchone() == (None,):
        return 0
    row = conn.execute("SELECT version FROM voipdesk_schema").fetchone()
    return row[0] if row else 0


def refuse_if_too_new(conn: psycopg.Connection, where: str) -> int:
    version = schema_version(conn)
    conn.rollback()
    if version > PG_SCHEMA_VERSION:
        raise StoreTooNew(where, too_new_sentence(where, version))
    return version


def migrate(conn: psycopg.Connection, where: str) -> int:
    """Bring the schema to PG_SCHEMA_VERSION in one transaction; return the version it had.
    Raises StoreTooNew for a newer schema, StoreUnavailable for an older one this role may not
    change."""
    if refuse_if_too_new(conn, where) == PG_SCHEMA_VERSION:
        return PG_SCHEMA_VERSION  # the usual case: no lock, no writes
    try:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATE_LOCK,))
            conn.execute(VERSION_TABLE)
            version = schema_version(conn)  # again, under the lock: another may have done it
            if version > PG_SCHEMA_VERSION:
                raise StoreTooNew(where, too_new_sentence(where, version))
            for step in range(version, PG_SCHEMA_VERSION):
                conn.execute(PG_MIGRATIONS[step])  # type: ignore[arg-type]
            conn.execute("DELETE FROM voipdesk_schema")
            conn.execute("INSERT INTO voipdesk_schema (version) VALUES (%s)", (PG_SCHEMA_VERSION,))
    except pg_errors.InsufficientPrivilege as exc:
        raise StoreUnavailable(
            where,
            str(exc).strip(),
            f"The shared database {where} needs its tables set up or updated (schema "
            f"{schema_version_or(conn)} → {PG_SCHEMA_VERSION}), and the role voipdesk signs in as "
            "may not do that. Start `voipdesk serve` (or this voipdesk) once with the "
            "database owner's role, then try again.",
        ) from exc
    return version


def schema_version_or(conn: psycopg.Connection) -> int | str:
    try:
        conn.rollback()
        return schema_version(conn)
    except psycopg.Error:
        return "?"
