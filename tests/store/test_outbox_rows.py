"""Outgoing rows: added as sending, claimed atomically, retried when due, recovered.

Who owns an attempt is the backend's: a process id in SQLite, a token under an advisory lock
on the shared store (store/pg/owner.py; tests/store/test_pg_owner.py has its own tests). The
helpers below speak of "this store", "a dead owner" and "a live other owner" for both."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

from voipdesk.core.models import Direction, Status
from voipdesk.store import Store, open_store
from voipdesk.store.pg.owner import new_token

from .conftest import OWN, PEER, peek


def _shared(store: Store) -> bool:
    return type(store).__name__ == "PgStore"


def _owner_column(store: Store) -> str:
    return "owner_token" if _shared(store) else "owner_pid"


def _this_owner(store: Store) -> int:
    return store._owner.token if _shared(store) else os.getpid()  # type: ignore[attr-defined]


def _dead_owner(store: Store) -> dict[str, int]:
    """Row columns naming an owner that is gone: a reaped pid, or a token nobody holds."""
    return {_owner_column(store): new_token() if _shared(store) else _dead_pid()}


def test_add_outgoing_is_sending_and_claimed_by_this_process(store):
    msg = store.add_outgoing(OWN, PEER, "hello")
    assert (msg.direction, msg.status, msg.attempts) == (Direction.OUT, Status.SENDING, 1)
    column = _owner_column(store)
    owner = peek(store, f"SELECT {column} FROM messages WHERE id = ?", (msg.id,))[0][0]
    assert owner == _this_owner(store)
    assert store.outbox() == [msg]


def test_claim_only_from_the_given_statuses(store):
    msg = store.add_outgoing(OWN, PEER, "hello")
    assert store.claim(msg.id, (Status.PENDING,)) is None  # it is SENDING
    store.update_outgoing(msg.id, status=Status.PENDING, next_attempt_at=123.0)
    claimed = store.claim(msg.id, (Status.PENDING,))
    assert (claimed.status, claimed.attempts, claimed.next_attempt_at) == (Status.SENDING, 2, None)


def test_claim_is_atomic_across_two_connections(location):
    with open_store(location) as a, open_store(location) as b:
        ids = []
        for i in range(40):
            msg = a.add_outgoing(OWN, PEER, f"m{i}")
            a.update_outgoing(msg.id, status=Status.PENDING)
            ids.append(msg.id)
        wins: dict[str, list[int]] = {"a": [], "b": []}

        def race(name: str, store: Store, barrier: threading.Barrier) -> None:
            for mid in ids:
                barrier.wait()
                if store.claim(mid, (Status.PENDING,)) is not None:
                    wins[name].append(mid)

        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=race, args=(n, s, barrier)) for n, s in (("a", a), ("b", b))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(wins["a"] + wins["b"]) == ids  # each message claimed exactly once
        assert {m.attempts for m in a.all_messages()} == {2}


def test_due_pending_and_next_retry(store):
    a = store.add_outgoing(OWN, PEER, "a")
    b = store.add_outgoing(OWN, PEER, "b")
    c = store.add_outgoing(OWN, PEER, "c")
    store.update_outgoing(a.id, status=Status.PENDING, next_attempt_at=100.0)
    store.update_outgoing(b.id, status=Status.PENDING, next_attempt_at=200.0)
    store.update_outgoing(c.id, status=Status.UNKNOWN)
    assert [m.id for m in store.due_pending(150.0)] == [a.id]
    assert [m.id for m in store.due_pending(200.0)] == [a.id, b.id]
    assert store.next_retry_at() == 100.0
    assert [m.id for m in store.outbox()] == [a.id, b.id, c.id]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid names no process now
    return proc.pid


def test_recover_marks_sending_from_a_dead_process_unknown(store):
    msg = store.add_outgoing(OWN, PEER, "in flight when the process died")
    store.update_outgoing(msg.id, **_dead_owner(store))
    [recovered] = store.recover_interrupted()
    assert recovered.id == msg.id
    assert (recovered.status, recovered.error_code) == (Status.UNKNOWN, "INTERRUPTED")
    assert "may or may not have been sent" in recovered.error_text
    assert store.recover_interrupted() == []
    assert store.due_pending(float("inf")) == []  # never picked up by a retry


def test_recover_leaves_a_send_of_a_live_other_process_alone(store, location):
    if _shared(store):  # another owner: another store, holding its token's lock
        other = open_store(location)
        live_owner, end = other._owner.token, other.close  # type: ignore[attr-defined]
    else:
        live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
        live_owner = live.pid

        def end() -> None:
            live.kill()
            live.wait()

    try:
        msg = store.add_outgoing(OWN, PEER, "another voipdesk is sending this")
        store.update_outgoing(msg.id, **{_owner_column(store): live_owner})
        assert store.recover_interrupted() == []
        assert store.message(msg.id).status is Status.SENDING
    finally:
        end()
    [recovered] = store.recover_interrupted()
    assert recovered.status is Status.UNKNOWN


def test_recover_leaves_other_statuses_alone(store):
    dead = _dead_owner(store)
    statuses = [Status.PENDING, Status.QUEUED, Status.FAILED, Status.UNKNOWN]
    for status in statuses:
        msg = store.add_outgoing(OWN, PEER, status.value)
        store.update_outgoing(msg.id, status=status, **dead)
    assert store.recover_interrupted() == []
    assert [m.status for m in store.all_messages()] == statuses
