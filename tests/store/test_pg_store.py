"""The shared store on PostgreSQL, where it differs from a file: opening it from a URL, a server
that cannot be reached, a schema from another voipdesk, two writers at once. What both stores
do alike is in the BEHAVIOUR modules (tests/store/conftest.py), which run against both."""

from __future__ import annotations

import inspect
import threading
import time

import psycopg
import pytest

from tests.pg_support import TESTS_DB, database_name, schema_name
from voipdesk.core.models import Status
from voipdesk.store import Store, StoreError, StoreTooNew, StoreUnavailable, open_store
from voipdesk.store.pg import PgStore
from voipdesk.store.pg.schema import PG_MIGRATIONS, PG_SCHEMA_VERSION, VERSION_TABLE

from .conftest import OWN, PEER, inbound

# What only the shared store has: its change log (store/pg/changes.py) and the settings every
# voipdesk on it shares (store/pg/shared_settings.py).
PG_ONLY = {
    "changes_after",
    "last_change",
    "oldest_change",
    "prune_changes",
    "listen",
    "url",
    "shared_setting",
}


def public(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and callable(member)
    }


def test_both_stores_have_the_same_public_methods_with_the_same_parameters():
    sqlite, pg = public(Store), public(PgStore)
    assert set(sqlite) == set(pg) - PG_ONLY, "a method one store has and the other lacks"
    for name, signature in sqlite.items():
        assert list(signature.parameters) == list(pg[name].parameters), name
        defaults = [p.default for p in signature.parameters.values()]
        assert defaults == [p.default for p in pg[name].parameters.values()], name


def test_both_stores_say_where_they_are_and_how_they_were_opened(pg_url, tmp_path):
    with open_store(pg_url) as pg, open_store(tmp_path) as lite:
        for store in (pg, lite):
            assert (store.read_only, store.missed_journal) == (False, False)
            assert str(store.path)


def test_a_postgresql_url_opens_the_shared_store_and_keeps_what_it_stored(pg_url):
    with open_store(pg_url) as store:
        assert isinstance(store, PgStore)
        store.add_inbound(inbound("kept on the server"))
    with open_store(pg_url.replace("postgresql://", "postgres://")) as again:
        assert [m.body for m in again.all_messages()] == ["kept on the server"]


def test_an_unreachable_server_is_unavailable_in_a_sentence_without_the_password():
    url = "postgresql://bob:s3cret@127.0.0.1:1/voip"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    text = str(caught.value)
    assert "cannot reach the shared database" in text
    assert "postgresql://bob:***@127.0.0.1:1/voip" in text
    assert "s3cret" not in text and "s3cret" not in str(caught.value.path)
    assert "s3cret" not in caught.value.reason
    assert isinstance(caught.value, StoreError)


def test_a_missing_database_says_so(pg_url):
    with pytest.raises(StoreUnavailable, match="no such database"):
        open_store(pg_url.replace(f"/{database_name(pg_url)}?", "/missing_db?"))


def test_a_schema_from_a_newer_voipdesk_is_refused_in_a_sentence(pg_url):
    open_store(pg_url).close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE voipdesk_schema SET version = %s", (PG_SCHEMA_VERSION + 1,))
    for read_only in (False, True):
        with pytest.raises(StoreTooNew, match="newer voipdesk") as caught:
            open_store(pg_url, read_only=read_only)
        assert "Update voipdesk" in str(caught.value)


def test_a_database_set_up_by_the_first_shared_release_keeps_its_messages_when_updated(pg_url):
    with psycopg.connect(pg_url) as conn:  # as the first release left it
        conn.execute(VERSION_TABLE)
        conn.execute(PG_MIGRATIONS[0])
        conn.execute("INSERT INTO voipdesk_schema (version) VALUES (1)")
        cid = conn.execute(
            "INSERT INTO conversations (own_number, peer_number, unread_count)"
            " VALUES (%s, %s, 1) RETURNING id",
            (OWN, PEER),
        ).fetchone()[0]
        mid = conn.execute(
            "INSERT INTO messages (conversation_id, direction, body, status, created_at)"
            " VALUES (%s, 'in', 'kept', 'received', 1) RETURNING id",
            (cid,),
        ).fetchone()[0]
        conn.execute("UPDATE conversations SET last_message_id = %s WHERE id = %s", (mid, cid))
    with open_store(pg_url) as store:
        [conv] = store.conversations()
        assert (conv.last_body, conv.unread_count, conv.muted, conv.opted_out) == (
            "kept",
            1,
            False,
            False,
        )
        message = store.message(mid)
        assert (message.last_attempt_at, message.send_at) == (None, None)
        store.block(PEER)
        assert store.conversations() == [] and store.unread_total() == 0


def test_a_role_that_may_not_set_the_schema_up_is_told_what_to_do(pg_url, pg_cluster):
    pg_cluster.admin("DROP ROLE IF EXISTS desk_only")
    pg_cluster.admin("CREATE ROLE desk_only LOGIN")  # may connect, may not create tables
    pg_cluster.admin(f"GRANT USAGE ON SCHEMA {schema_name(pg_url)} TO desk_only", TESTS_DB)
    desk = pg_url.replace(f"{pg_cluster.user}@", "desk_only@")
    try:
        with pytest.raises(StoreUnavailable, match="database owner's role"):
            open_store(desk)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("REASSIGN OWNED BY desk_only TO CURRENT_USER")
            conn.execute("DROP OWNED BY desk_only")
        pg_cluster.admin("DROP ROLE desk_only")


def test_two_processes_opening_a_new_database_at_once_set_it_up_once(pg_url):
    opened: list[PgStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            opened.append(open_store(pg_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(opened) == 4
    for store in opened:
        store.close()
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT version FROM voipdesk_schema").fetchall() == [
            (PG_SCHEMA_VERSION,)
        ]


def test_two_writers_taking_the_same_redelivered_webhooks_store_each_once(pg_url):
    with open_store(pg_url) as a, open_store(pg_url) as b:
        items = [inbound(f"m{i}", mdr_id=f"redelivered-{i}") for i in range(60)]
        new: dict[str, int] = {"a": 0, "b": 0}
        barrier = threading.Barrier(2, timeout=60)
        errors: list[BaseException] = []

        def deliver(name: str, store: PgStore) -> None:
            try:
                for start in range(0, len(items), 5):
                    barrier.wait()
                    results = store.record_webhooks(items[start : start + 5])
                    new[name] += sum(changed for _, changed in results)
                    assert all(m is not None and m.body.startswith("m") for m, _ in results)
            except BaseException as exc:  # the other writer must not wait for it forever
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=deliver, args=(n, s)) for n, s in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not [e for e in errors if not isinstance(e, threading.BrokenBarrierError)], errors
        assert new["a"] + new["b"] == 60
        assert a.message_count() == 60
        assert a.conversation_for(OWN, PEER).unread_count == 60


def test_a_store_is_safe_from_many_threads(pg_url):
    with open_store(pg_url) as store:
        failures: list[BaseException] = []

        def work(n: int) -> None:
            try:
                for i in range(10):
                    out = store.add_outgoing(OWN, PEER, f"t{n}-{i}")
                    store.update_outgoing(out.id, status=Status.QUEUED)
                    store.messages(out.conversation_id, limit=5)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert store.message_count() == 60
        assert store.conversations()[0].last_message_id == max(m.id for m in store.all_messages())


def _connections(pg_url: str, allow: bool | None = None) -> None:
    """End every other connection to the test's database (as a server restart or a router
    would), and allow or forbid new ones."""
    name = database_name(pg_url)
    admin = pg_url.replace(f"/{name}?", "/postgres?")
    with psycopg.connect(admin, autocommit=True) as conn:
        if allow is not None:
            conn.execute(f"ALTER DATABASE {name} ALLOW_CONNECTIONS {str(allow).lower()}")
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


@pytest.fixture
def own_database(pg_cluster):
    """A database of this test's own (it ends every connection to it, and locks it)."""
    url = pg_cluster.new_database()
    yield url
    pg_cluster.drop_database(url)


def test_connections_the_server_dropped_are_replaced_without_a_failure(own_database):
    pg_url = own_database
    with open_store(pg_url) as store:
        store.add_inbound(inbound("before"))
        _connections(pg_url)
        store.add_inbound(inbound("after"))
        assert [m.body for m in store.all_messages()] == ["before", "after"]


def test_a_server_that_goes_away_is_unavailable_in_a_sentence_then_used_again(
    own_database, monkeypatch
):
    pg_url = own_database
    monkeypatch.setattr("voipdesk.store.pg.connection.WAIT_FOR_CONNECTION", 1.0)
    with open_store(pg_url) as store:
        store.add_inbound(inbound("before"))
        _connections(pg_url, allow=False)
        try:
            with pytest.raises(StoreUnavailable, match="cannot reach the shared database"):
                store.add_inbound(inbound("while away"))
            with pytest.raises(StoreUnavailable):
                store.conversations()
        finally:
            _connections(pg_url, allow=True)
        # Used again once the pool has reconnected (it backs off between tries: a few seconds
        # at most; each call here waits 1 s for a connection).
        deadline = time.monotonic() + 15
        while True:
            try:
                store.add_inbound(inbound("back"))
                break
            except StoreUnavailable:
                if time.monotonic() > deadline:
                    raise
        assert [m.body for m in store.all_messages()] == ["before", "back"]


def test_a_password_given_as_a_url_parameter_is_not_said_either():
    url = "postgresql://bob@127.0.0.1:1/voip?sslmode=disable&password=s3cret"
    with pytest.raises(StoreUnavailable) as caught:
        open_store(url)
    assert "s3cret" not in str(caught.value) and "s3cret" not in str(caught.value.path)
    assert "postgresql://bob@127.0.0.1:1/voip?sslmode=disable&password=***" in str(caught.value)


# How the store finds the newest matches (store/pg/search.py): WALK_MS and ASK_PLANNER.
PLANS = {
    "walk": (10_000, False),  # the walk newest first, whatever the planner thinks
    "index": (0, True),  # every hit through the index
    "chosen": (50, True),  # PostgreSQL's choice, as the store runs
    "walk out of time": (50, False),  # the index answers (the walk is made slow below)
}


def test_every_search_plan_finds_the_same_messages_newest_first(pg_url, monkeypatch):
    from voipdesk.store.pg import search

    with open_store(pg_url) as store:
        for i in range(30):
            store.add_inbound(inbound(f"lunch {i}" if i % 3 else f"rare lunch {i}"))
        found = {}
        for name, (ms, ask) in PLANS.items():
            monkeypatch.setattr("voipdesk.store.pg.search.WALK_MS", ms)
            monkeypatch.setattr("voipdesk.store.pg.search.ASK_PLANNER", ask)
            if name == "walk out of time":  # 0.1 s a message tested: never within 50 ms
                slow = search._WALK.replace(" WHERE ", " WHERE pg_sleep(0.1) IS NOT NULL AND ")
                monkeypatch.setattr(search, "_WALK", slow)
            first = store.search("lun", limit=7)
            found[name] = (
                [m.body for m in first],
                [m.body for m in store.search("lunch", limit=50, before_id=first[-1].id)],
                [m.body for m in store.search("rare lun")],
                store.search("nothing"),
            )
        assert found["walk"] == found["index"] == found["chosen"] == found["walk out of time"]
        assert found["index"][0] == [
            f"lunch {i}" if i % 3 else f"rare lunch {i}" for i in range(29, 22, -1)
        ]
        assert found["index"][2] == [f"rare lunch {i}" for i in range(27, -1, -3)]


def test_a_rare_word_is_looked_up_in_the_index_without_walking_the_messages_first(
    pg_url, monkeypatch
):
    """A word in few messages is found through the index straight away: walking the newest
    messages first would test every message (or wait out the walk's time limit) for it. A
    common word is still found by the walk, which stops at the 50th match."""
    from voipdesk.store.pg import connection, search

    with open_store(pg_url) as store:
        store.record_webhooks(
            [inbound(f"lunch at {i}", mdr_id=f"m-{i}") for i in range(3000)]
            + [inbound("rhubarb crumble", mdr_id="rare")]
        )
        store._write(lambda t: t.execute("ANALYZE messages"))  # as autovacuum does
        ran: list[str] = []
        execute = connection.Tx.execute

        def noting(self, sql, args=()):
            ran.append(sql)
            return execute(self, sql, args)

        monkeypatch.setattr(connection.Tx, "execute", noting)
        assert [m.body for m in store.search("rhubarb")] == ["rhubarb crumble"]
        assert search._WALK not in ran and search._EVERY_HIT in ran
        ran.clear()
        assert len(store.search("lunch")) == 50
        assert search._WALK in ran and search._EVERY_HIT not in ran


def test_a_shared_setting_is_decided_by_the_first_to_ask_and_kept(pg_url):
    with open_store(pg_url) as first, open_store(pg_url) as second:
        assert first.shared_setting("webhook_secret", "one") == "one"
        assert second.shared_setting("webhook_secret", "two") == "one"
    with open_store(pg_url) as again:
        assert again.shared_setting("webhook_secret", "three") == "one"


def test_a_round_trip_unanswered_past_its_deadline_is_cut_and_others_are_left_alone(pg_url):
    from voipdesk.store.pg.deadline import within

    with psycopg.connect(pg_url, autocommit=True) as waiting, psycopg.connect(pg_url) as quick:
        slow = threading.Thread(  # a far deadline pending meanwhile: a nearer one still counts
            target=lambda: within(quick, 20, lambda: quick.execute("SELECT pg_sleep(0.5)"))
        )
        slow.start()
        with pytest.raises(psycopg.OperationalError):
            within(waiting, 0.2, lambda: waiting.execute("SELECT pg_sleep(30)"))
        slow.join()
        assert waiting.closed or waiting.broken
        for _ in range(200):  # answered in time: never cut
            assert within(quick, 3, lambda: quick.execute("SELECT 1").fetchone()) == (1,)
