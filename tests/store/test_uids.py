"""Every message has a stable unique id (messages.uid) in both stores, which `voipdesk migrate`
recognises a copied message by: made when a message is stored, and given to the messages of a
store set up before it existed when that store is updated."""

from __future__ import annotations

import re
import sqlite3
import time

import psycopg

from voipdesk.store import database_path, open_store, schema
from voipdesk.store.pg.schema import PG_MIGRATIONS, VERSION_TABLE

from .conftest import OWN, PEER, inbound

UID = re.compile(r"[0-9a-f]{32}")


def _step(migrations: tuple[str, ...]) -> int:
    """The index of the migration that adds messages.uid (others may come after it)."""
    return next(i for i, m in enumerate(migrations) if "ADD COLUMN uid" in m)


def uids(store) -> list[str]:
    sql = "SELECT uid FROM messages ORDER BY id"
    return [r[0] for r in store._read(sql)]


def test_each_message_gets_its_own_uid_in_either_store(pg_url, tmp_path):
    for location in (tmp_path, pg_url):
        with open_store(location) as store:
            store.add_inbound(inbound("in"))
            store.add_outgoing(OWN, PEER, "out")
            store.schedule(OWN, PEER, "later", 1.0)
            store.take_scheduled(store.scheduled_in(store.conversation_for(OWN, PEER).id)[0].id)
            found = uids(store)
        assert len(found) == len(set(found)) == 3
        assert all(UID.fullmatch(u) for u in found)


def test_new_uids_go_at_the_end_of_the_uid_index_in_either_store(pg_url, tmp_path):
    """Time first (milliseconds), then random: a new message's uid sorts after those stored
    before it, so storing one touches the last page of the uid index, not a random one (at a
    million messages a random uid made each stored message ~15 % dearer)."""
    for location in (tmp_path, pg_url):
        with open_store(location) as store:
            for n in range(3):
                store.record_webhooks(
                    [inbound(f"in {n}.{i}", mdr_id=f"m{n}.{i}") for i in range(5)]
                )
                time.sleep(0.002)  # (within one millisecond the random part orders them)
                store.add_outgoing(OWN, PEER, f"out {n}")
                time.sleep(0.002)
            found = uids(store)
        assert len(found) == len(set(found)) == 18 and all(UID.fullmatch(u) for u in found)
        stamps = [u[:12] for u in found]  # in id order: the order they were stored in
        assert stamps == sorted(stamps) and len(set(stamps)) >= 6, found


def test_a_local_file_from_before_uids_gives_its_messages_one_each(tmp_path, monkeypatch):
    path = database_path(tmp_path)
    conn = sqlite3.connect(path, isolation_level=None)
    step = _step(schema.MIGRATIONS)
    with monkeypatch.context() as m:  # as the release before uids left it
        m.setattr(schema, "MIGRATIONS", schema.MIGRATIONS[:step])
        m.setattr(schema, "SCHEMA_VERSION", step)
        schema.migrate(conn)
    conn.execute("INSERT INTO conversations (own_number, peer_number) VALUES (?, ?)", (OWN, PEER))
    for body in ("one", "two"):
        conn.execute(
            "INSERT INTO messages (conversation_id, direction, body, status, created_at)"
            " VALUES (1, 'in', ?, 'received', 1)",
            (body,),
        )
    conn.close()
    with open_store(tmp_path) as store:
        found = uids(store)
    assert len(set(found)) == 2 and all(UID.fullmatch(u) for u in found)


def test_a_shared_database_from_before_uids_gives_its_messages_one_each(pg_url):
    with psycopg.connect(pg_url) as conn:  # as the release before uids left it
        conn.execute(VERSION_TABLE)
        for step in PG_MIGRATIONS[: _step(PG_MIGRATIONS)]:
            conn.execute(step)
        conn.execute("INSERT INTO voipdesk_schema (version) VALUES (%s)", (_step(PG_MIGRATIONS),))
        cid = conn.execute(
            "INSERT INTO conversations (own_number, peer_number) VALUES (%s, %s) RETURNING id",
            (OWN, PEER),
        ).fetchone()[0]
        for body in ("one", "two"):
            conn.execute(
                "INSERT INTO messages (conversation_id, direction, body, status, created_at)"
                " VALUES (%s, 'in', %s, 'received', 1)",
                (cid, body),
            )
    with open_store(pg_url) as store:
        changes_before = store._read("SELECT count(*) FROM changes")[0][0]
        found = uids(store)
        assert len(set(found)) == 2 and all(UID.fullmatch(u) for u in found)
        # Giving them a uid is nothing a desk shows: no change for the desks to read.
        assert store._read("SELECT count(*) FROM changes")[0][0] == changes_before
