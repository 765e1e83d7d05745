"""Schema version, forward migrations and the pragmas that make every write durable."""

from __future__ import annotations

import sqlite3

import pytest

from voipdesk.store import SCHEMA_VERSION, SchemaTooNewError, Store, database_path, schema

from .conftest import OWN, PEER, inbound


def user_version(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def tables(path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    finally:
        conn.close()


def test_a_new_file_gets_the_current_schema(tmp_path):
    path = database_path(tmp_path)
    assert not path.exists()
    with Store(path):
        pass
    assert user_version(path) == SCHEMA_VERSION >= 1
    assert {"conversations", "messages", "messages_fts", "contacts"} <= tables(path)


def test_an_empty_existing_file_is_migrated(tmp_path):
    path = database_path(tmp_path)
    path.write_bytes(b"")
    with Store(path) as s:
        s.add_inbound(inbound("first"))
    assert user_version(path) == SCHEMA_VERSION


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path):
    path = database_path(tmp_path)
    with Store(path) as s:
        s.add_inbound(inbound("kept", mdr_id="m-1"))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        assert schema.migrate(conn) == SCHEMA_VERSION  # the version it already had
    finally:
        conn.close()
    with Store(path) as s:
        [msg] = s.messages(s.conversation_for(OWN, PEER).id)
        assert (msg.body, msg.provider_id) == ("kept", "m-1")
        assert s.search("kept")[0].id == msg.id  # the FTS index survived too


def test_a_new_migration_step_runs_forward_on_an_old_file(tmp_path, monkeypatch):
    path = database_path(tmp_path)
    with Store(path) as s:
        s.add_inbound(inbound("before the upgrade"))
    step = (
        "ALTER TABLE contacts ADD COLUMN colour TEXT;\n"
        "CREATE INDEX contacts_colour ON contacts (colour);"
    )
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, step))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with Store(path) as s:
        assert s.message_count() == 1
    assert user_version(path) == SCHEMA_VERSION + 1
    assert "contacts_colour" in tables(path)


def test_a_failing_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = database_path(tmp_path)
    Store(path).close()
    step = "CREATE TABLE half_done (x);\nTHIS IS NOT SQL;"
    monkeypatch.setattr(schema, "MIGRATIONS", (*schema.MIGRATIONS, step))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        Store(path)
    assert user_version(path) == SCHEMA_VERSION
    assert "half_done" not in tables(path)


def test_a_file_from_a_newer_voipdesk_is_refused_with_a_sentence(tmp_path):
    path = database_path(tmp_path)
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNewError, match="Update voipdesk"):
        Store(path)


def test_wal_and_synchronous_full_are_set(store):
    conn = store._conn  # the pragmas are per connection: read them back on the store's own
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_wal_is_a_property_of_the_file(tmp_path):
    path = database_path(tmp_path)
    Store(path).close()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()
