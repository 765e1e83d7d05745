"""On the shared store a send attempt is owned by a token under a session-level advisory lock,
not a process id (store/pg/owner.py): a desktop starting while a server has a send in flight
leaves it alone, and a send whose owner is gone (closed, killed, its connection cut) becomes
UNKNOWN at the next recovery, never resent by itself. Two PgStores in one test are two owners,
as two machines would be."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psycopg
import pytest

from voipdesk.core.models import Status
from voipdesk.store import StoreUnavailable, open_store

from .conftest import OWN, PEER

pytestmark = pytest.mark.usefixtures("pg_cluster")


def _owner_of(url: str, message_id: int) -> int | None:
    """The token written into a message's row."""
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT owner_token FROM messages WHERE id = %s", (message_id,)
        ).fetchone()[0]


def _lock_holder(url: str, token: int) -> int | None:
    """The server process holding the advisory lock on `token` (a bigint key shows in pg_locks
    as its high and low 32 bits), or None when nobody holds it."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = %s AND objid = %s AND objsubid = 1",
            (token >> 32, token & 0xFFFFFFFF),
        ).fetchone()
    return row[0] if row else None


def _recover_until(store, wanted: int, seconds: float = 15.0) -> list:
    """recover_interrupted until it returns message `wanted` (the server ends a killed
    client's session, and so its lock, a moment after the client's socket closes)."""
    deadline = time.monotonic() + seconds
    while True:
        recovered = store.recover_interrupted()
        if recovered or time.monotonic() > deadline:
            assert [m.id for m in recovered] == [wanted]
            return recovered
        time.sleep(0.05)


def test_a_desk_starting_while_a_server_sends_leaves_the_send_alone(pg_url):
    with open_store(pg_url) as server:
        in_flight = server.add_outgoing(OWN, PEER, "the server's request is out")
        with open_store(pg_url) as desk:  # starts, recovers what crashed
            assert desk.recover_interrupted() == []
            assert desk.message(in_flight.id).status is Status.SENDING
            assert desk.due_pending(float("inf")) == []  # nor resent by the desk
        token = _owner_of(pg_url, in_flight.id)
        assert token is not None and _lock_holder(pg_url, token) is not None
        # The server's own recovery leaves its own send alone too.
        assert server.recover_interrupted() == []
        with open_store(pg_url) as desk:
            assert desk.recover_interrupted() == []
    # The server stopped with the send unresolved: now its owner is gone.
    with open_store(pg_url) as desk:
        [recovered] = desk.recover_interrupted()
        assert (recovered.id, recovered.status) == (in_flight.id, Status.UNKNOWN)
        assert recovered.error_code == "INTERRUPTED"
        assert desk.due_pending(float("inf")) == []  # never resent by itself
        assert _lock_holder(pg_url, token) is None  # the check gave the lock back


def test_an_owner_whose_lock_connection_is_killed_is_gone_and_takes_its_lock_again(pg_url):
    with open_store(pg_url) as a, open_store(pg_url) as b:
        first = a.add_outgoing(OWN, PEER, "in flight when a's connection is cut")
        token = _owner_of(pg_url, first.id)
        holder = _lock_holder(pg_url, token)
        assert holder is not None
        with psycopg.connect(pg_url) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (holder,))
        [recovered] = _recover_until(b, first.id)
        assert recovered.status is Status.UNKNOWN

        # a claims nothing without its lock: the next claim takes it again first, so the row
        # it claims is owned by a lock that is held, and b leaves that send alone.
        second = a.add_outgoing(OWN, PEER, "after the cut")
        assert _lock_holder(pg_url, _owner_of(pg_url, second.id)) not in (None, holder)
        a.update_outgoing(second.id, status=Status.PENDING)
        assert a.claim(second.id, (Status.PENDING,)) is not None
        assert _lock_holder(pg_url, _owner_of(pg_url, second.id)) is not None
        assert b.recover_interrupted() == []
        assert b.message(second.id).status is Status.SENDING


_CLAIMER = """
import sys, time
from voipdesk.core.models import Status
from voipdesk.store import StoreUnavailable, open_store
store = open_store(sys.argv[1])
message = store.add_outgoing("{own}", "{peer}", "claimed, then killed")
store.update_outgoing(message.id, status=Status.PENDING)
assert store.claim(message.id, (Status.PENDING,)) is not None
print(message.id, flush=True)
time.sleep(60)
"""


def test_a_claimer_killed_mid_send_leaves_an_unknown_message(pg_url):
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLAIMER.format(own=OWN, peer=PEER), pg_url],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        message_id = int(proc.stdout.readline())
        with open_store(pg_url) as desk:
            assert desk.recover_interrupted() == []  # alive: its send is left alone
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            [recovered] = _recover_until(desk, message_id)
            assert (recovered.status, recovered.attempts) == (Status.UNKNOWN, 2)
            assert desk.due_pending(float("inf")) == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_two_claimers_racing_for_the_same_due_rows_claim_each_once(pg_url):
    with open_store(pg_url) as a, open_store(pg_url) as b:
        ids = []
        for i in range(60):
            msg = a.add_outgoing(OWN, PEER, f"m{i}")
            a.update_outgoing(msg.id, status=Status.PENDING, next_attempt_at=1.0)
            ids.append(msg.id)
        claimed: list[tuple[str, int]] = []
        start = threading.Barrier(4)

        def drain(name: str, store) -> None:  # as the outbox's retry round does
            start.wait()
            for message in store.due_pending(2.0):
                if store.claim(message.id, (Status.PENDING,)) is not None:
                    claimed.append((name, message.id))

        threads = [
            threading.Thread(target=drain, args=(name, store))
            for name, store in (("a1", a), ("a2", a), ("b1", b), ("b2", b))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(mid for _, mid in claimed) == ids  # each row claimed exactly once
        assert {m.attempts for m in a.all_messages()} == {2}
        tokens = {a._owner.token, b._owner.token}
        assert {_owner_of(pg_url, mid) for _, mid in claimed} <= tokens


def test_nothing_is_claimed_while_the_lock_cannot_be_taken_again(pg_cluster):
    from tests.pg_support import database_name

    url = pg_cluster.new_database()
    name = database_name(url)
    try:
        with open_store(url) as a:
            msg = a.add_outgoing(OWN, PEER, "waits")
            a.update_outgoing(msg.id, status=Status.PENDING)
            holder = _lock_holder(url, _owner_of(url, msg.id))
            # The lock connection is cut and no new connection is let in (connections already
            # open, the pool's, still work).
            pg_cluster.admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS false")
            pg_cluster.admin(f"SELECT pg_terminate_backend({holder})")
            with pytest.raises(StoreUnavailable):
                a.claim(msg.id, (Status.PENDING,))
            assert a.message(msg.id).status is Status.PENDING  # not claimed without a lock
            pg_cluster.admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
            claimed = a.claim(msg.id, (Status.PENDING,))
            assert claimed is not None and claimed.status is Status.SENDING
            assert _lock_holder(url, _owner_of(url, msg.id)) is not None
    finally:
        pg_cluster.admin(f"ALTER DATABASE {name} ALLOW_CONNECTIONS true")
        pg_cluster.drop_database(url)


def test_a_store_opened_for_reads_alone_holds_no_lock_and_claims_nothing(pg_url):
    """The window's store (sends=False) reads what the desk's other store sends: it holds no
    send-owner session, and a claim through it is refused rather than written without an owner
    (which every other voipdesk would take for an abandoned send and mark unknown)."""
    with open_store(pg_url) as sender, open_store(pg_url, sends=False) as reader:
        assert reader._owner is None
        message = sender.add_outgoing(OWN, PEER, "sent by the services' store")
        assert [m.body for m in reader.outbox()] == ["sent by the services' store"]
        with pytest.raises(RuntimeError, match="without a send owner"):
            reader.add_outgoing(OWN, PEER, "never written")
        assert reader.recover_interrupted() == []  # the sender's send is in flight, not gone
        assert [m.id for m in sender.outbox()] == [message.id]
