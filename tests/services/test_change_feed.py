"""A desk follows the shared store (services/change_feed.py) on a real PostgreSQL server: what
another desk or the server commits reaches it in order, each change once, also across a LISTEN
connection the server dropped, and after the desk was away."""

from __future__ import annotations

import asyncio
import time

import psycopg
import pytest

from tests.store.conftest import OWN, PEER, PEER2, inbound
from voipdesk.core.models import Status
from voipdesk.services.change_feed import ChangeBatch, ChangeFeed
from voipdesk.store import open_store


@pytest.fixture
def desks(pg_url):
    """Two desks on one shared store: `a` writes (as the server or another desk would), `b`
    follows."""
    with open_store(pg_url) as a, open_store(pg_url) as b:
        yield a, b


class Seen:
    def __init__(self) -> None:
        self.batches: list[ChangeBatch] = []
        self.states: list[str | None] = []

    @property
    def bodies(self) -> list[str]:
        return [m.body for b in self.batches for m in b.messages]


async def until(what: str, check, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def write(fn, *args, **kwargs):
    return await asyncio.to_thread(fn, *args, **kwargs)


def follow(store, seen: Seen, **kwargs) -> ChangeFeed:
    return ChangeFeed(store, seen.batches.append, seen.states.append, **kwargs)


def test_a_desk_hears_what_another_desk_commits_in_commit_order(desks):
    a, b = desks
    seen = Seen()

    async def scenario() -> None:
        feed = follow(b, seen)
        task = asyncio.create_task(feed.run())
        await until("the feed to start", lambda: feed.last is not None)
        first, _ = await write(a.add_inbound, inbound("hello from Ana"))
        await until("the text", lambda: seen.bodies == ["hello from Ana"])
        cid = first.conversation_id
        assert cid in seen.batches[-1].conversations  # its last message and unread count

        await write(a.mark_read, cid)
        await until("the read mark", lambda: seen.batches[-1].conversations == [cid])
        await write(a.set_contact, PEER, "Ana")
        await until("the name", lambda: seen.batches[-1].contacts == [PEER])
        out = await write(a.add_outgoing, OWN, PEER, "answer from desk A")
        await write(a.update_outgoing, out.id, status=Status.QUEUED, provider_id="p-1")
        await until("the answer, sent", lambda: seen.batches[-1].messages[-1:] != [])
        await until(
            "the answer's status",
            lambda: (
                [m.status for b in seen.batches for m in b.messages if m.id == out.id][-1:]
                == [Status.QUEUED]
            ),
        )
        await write(a.delete_message, out.id)
        await until("the deletion", lambda: [g.id for g in seen.batches[-1].removed] == [out.id])
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        first = seen.batches[0]  # what the desk showed was read before the feed listened:
        assert (first.reload, first.messages) == (True, [])  # it reads it again, once
        assert not any(batch.reload for batch in seen.batches[1:])
        numbers = [batch.last for batch in seen.batches]
        assert numbers == sorted(set(numbers))  # in order, none twice
        assert feed.last == a.last_change()

    asyncio.run(scenario())
    assert seen.states == []  # never offline


def test_a_desk_that_was_away_reads_everything_after_its_last_number(desks):
    a, b = desks
    a.add_inbound(inbound("before", mdr_id="m-0"))
    last = a.last_change()
    for n in range(1, 4):
        a.add_inbound(inbound(f"while away {n}", frm=PEER2, mdr_id=f"m-{n}"))
    seen = Seen()

    async def scenario() -> None:
        feed = follow(b, seen, after=last)
        task = asyncio.create_task(feed.run())
        await until("what came while away", lambda: len(seen.bodies) == 3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert seen.bodies == ["while away 1", "while away 2", "while away 3"]


def test_a_message_changed_several_times_is_handed_on_once_as_it_is_now(desks):
    a, b = desks
    out = a.add_outgoing(OWN, PEER, "hi")
    a.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-9")
    a.update_outgoing(out.id, status=Status.DELIVERED)
    seen = Seen()

    async def scenario() -> None:
        task = asyncio.create_task(follow(b, seen, after=0).run())
        await until("the batch", lambda: seen.batches)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    [batch] = seen.batches
    assert [(m.id, m.status) for m in batch.messages] == [(out.id, Status.DELIVERED)]


class Watched:
    """The follower's store, with the LISTEN connections it opens kept for the test to cut."""

    def __init__(self, store) -> None:
        self._store = store
        self.listeners: list = []

    def listen(self):
        listener = self._store.listen()
        self.listeners.append(listener)
        return listener

    def __getattr__(self, name: str):
        return getattr(self._store, name)


def test_a_dropped_listen_connection_is_said_and_nothing_is_missed_or_told_twice(desks, pg_url):
    a, b = desks
    watched = Watched(b)
    seen = Seen()

    async def scenario() -> None:
        feed = follow(watched, seen, wait_s=0.5, retry_s=(0.3,))
        task = asyncio.create_task(feed.run())
        await until("the feed to listen", lambda: feed.last is not None)
        await write(a.add_inbound, inbound("before the cut", mdr_id="c-0"))
        await until("the first text", lambda: seen.bodies == ["before the cut"])
        pid = watched.listeners[-1]._conn.info.backend_pid
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for n in range(1, 4):  # committed while the desk is not listening
            await write(a.add_inbound, inbound(f"during the cut {n}", mdr_id=f"c-{n}"))
        await until("the feed to say so and come back", lambda: len(seen.states) == 2)
        await until("every text", lambda: len(seen.bodies) == 4)
        await write(a.add_inbound, inbound("after", mdr_id="c-9"))
        await until("the text after", lambda: len(seen.bodies) == 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert seen.bodies == [
        "before the cut",
        "during the cut 1",
        "during the cut 2",
        "during the cut 3",
        "after",
    ]
    offline, back = seen.states
    assert "cannot" in offline.lower() or "could not" in offline.lower(), offline
    assert "password" not in offline.lower()
    assert back is None
    assert len(watched.listeners) == 2  # one reconnect


def test_a_stopped_feed_lets_go_of_its_listen_connection_at_once(desks, pg_url):
    """Quitting a desk: its LISTEN connection closes and its worker thread ends at once, not
    when the wait for a notification runs out (the app's process stayed that long after Quit:
    up to 5 s, found by tests/app/test_shared_e2e.py). Here the wait is a minute long."""
    _a, b = desks
    watched = Watched(b)

    async def scenario() -> list:
        feed = follow(watched, Seen(), wait_s=60.0)
        task = asyncio.create_task(feed.run())
        await until("the feed to listen", lambda: feed.last is not None)
        await asyncio.sleep(0.3)  # waiting for a notification now
        threads = list(feed._thread._threads)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return threads

    threads = asyncio.run(scenario())
    pid = watched.listeners[-1]._conn.info.backend_pid
    for thread in threads:
        thread.join(15)
    assert threads and not any(t.is_alive() for t in threads)
    assert watched.listeners[-1]._conn.closed
    with psycopg.connect(pg_url, autocommit=True) as admin:
        gone = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
        assert admin.execute(gone, (pid,)).fetchone() == (0,)


def test_a_desk_away_longer_than_the_log_remembers_is_told_to_read_everything_again(desks):
    a, b = desks
    a.add_inbound(inbound("old", mdr_id="p-0"))
    last = a.last_change()
    a.add_inbound(inbound("pruned while away", mdr_id="p-1"))
    a.add_inbound(inbound("newest", mdr_id="p-2"))
    assert a.prune_changes(older_than_s=0) == a.last_change() - 1  # the newest stays
    assert a.oldest_change() == a.last_change()
    seen = Seen()

    async def scenario() -> None:
        task = asyncio.create_task(follow(b, seen, after=last).run())
        await until("the batch", lambda: seen.batches)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    [batch] = seen.batches
    assert batch.reload  # patching would miss "pruned while away"
    assert batch.last == a.last_change()


def test_a_desk_that_missed_nothing_patches_even_after_pruning(desks):
    a, b = desks
    a.add_inbound(inbound("old", mdr_id="q-0"))
    a.prune_changes(older_than_s=0)
    last = a.last_change()
    seen = Seen()

    async def scenario() -> None:
        feed = follow(b, seen, after=last)
        task = asyncio.create_task(feed.run())
        await until("the feed to listen", lambda: feed.offline is None and seen.states == [])
        await asyncio.sleep(0.2)
        await write(a.add_inbound, inbound("new", mdr_id="q-1"))
        await until("the batch", lambda: seen.batches)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert [(b.reload, [m.body for m in b.messages]) for b in seen.batches] == [(False, ["new"])]


def test_pruning_keeps_recent_changes(desks):
    a, _ = desks
    a.add_inbound(inbound("recent", mdr_id="r-0"))
    assert a.prune_changes() == 0  # younger than the log remembers
    assert a.oldest_change() == 1
