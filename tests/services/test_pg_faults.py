"""Faults on the shared store, on the tests' real PostgreSQL server (issue #11, "Faults"): `serve`
killed mid-burst, a LISTEN connection a router drops without a word, and the database server
stopped and started under load. Nothing acknowledged is lost, nothing is stored or handed on
twice, and everything resumes by itself."""

from __future__ import annotations

import asyncio
import itertools
import select
import signal
import socket
import sys
import threading
import time
from collections import Counter

import httpx
import pytest

from tests.pg_support import TESTS_DB, schema_name
from tests.receiver.test_listen_cli import post_all
from tests.services.test_change_feed import Seen, follow, until, write
from tests.services.test_serve import OWN, PEER, serve, stop
from tests.services.test_serve_pg import shared
from tests.store.conftest import inbound
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import StoreUnavailable, open_store
from voipdesk.store.pg import ChangeListener

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BURST, CONCURRENCY, KILL_AFTER = 2000, 50, 600


def stored(url: str) -> Counter[str]:
    return Counter(m.provider_id for m in shared(url))


@pytest.mark.slow
def test_serve_killed_mid_burst_keeps_every_acknowledged_webhook_once(sandbox, tmp_path, pg_url):
    docs = [
        webhook_body(PEER, OWN, f"burst {i}", mdr_id=f"mdr-k-{i:05d}", ts=1716204585 + i)
        for i in range(BURST)
    ]
    first = serve(tmp_path / "a", sandbox, "--database", pg_url)
    try:
        url = first.webhook_url()
        acked = asyncio.run(
            post_all(url, docs, kill_after=KILL_AFTER, pid=first.proc.pid, concurrency=CONCURRENCY)
        )
    finally:
        first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(acked) < BURST, "the kill did not land mid-burst"
    ids = stored(pg_url)
    assert acked <= set(ids), f"{len(acked - set(ids))} acknowledged webhooks lost"
    assert max(ids.values()) == 1

    # Restarted, the provider delivers again everything that was not answered 200.
    second = serve(tmp_path / "b", sandbox, "--database", pg_url)
    try:
        url = second.webhook_url()
        again = [d for d in docs if d["mdr_id"] not in acked]
        assert asyncio.run(post_all(url, again, concurrency=CONCURRENCY)) == {
            d["mdr_id"] for d in again
        }
        assert stop(second) == 0, second.stderr
    finally:
        second.kill()
    ids = stored(pg_url)
    assert set(ids) == {d["mdr_id"] for d in docs} and max(ids.values()) == 1
    assert "Traceback" not in second.stderr


# -- a LISTEN connection dropped without a FIN ---------------------------------------------------
class BlackHoleProxy:
    """A TCP port on 127.0.0.1 forwarding to the private server's Unix socket, one thread per
    connection. black_hole() makes every connection open now stop forwarding, both ways,
    without closing (as a router that forgot the route would); connections made after it
    are forwarded as usual."""

    def __init__(self, socket_path: str) -> None:
        self._target = socket_path
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._pairs: list[tuple[socket.socket, socket.socket, threading.Event]] = []
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self._target)
            pair = (client, upstream, threading.Event())
            self._pairs.append(pair)
            threading.Thread(target=self._pump, args=(pair,), daemon=True).start()

    def _pump(self, pair) -> None:
        client, upstream, dropped = pair
        with client, upstream:
            while not self._closed.is_set():
                if dropped.is_set():
                    time.sleep(0.05)  # holds both ends open, forwards nothing
                    continue
                ready, _, _ = select.select([client, upstream], [], [], 0.05)
                for sock in ready:
                    try:
                        data = sock.recv(65536)
                        if not data:
                            return
                        (upstream if sock is client else client).sendall(data)
                    except OSError:
                        return

    def black_hole(self) -> int:
        """Stop forwarding on every connection open now; how many there were."""
        for _, _, dropped in self._pairs:
            dropped.set()
        return len(self._pairs)

    def close(self) -> None:
        self._closed.set()
        self._server.close()


class ThroughProxy:
    """A desk's store whose LISTEN connections go through the proxy (its heartbeat answered
    within `answer_within` seconds); every other call goes straight to the store."""

    def __init__(self, store, url: str, answer_within: float) -> None:
        self._store = store
        self._url = url
        self._answer_within = answer_within
        self.listeners: list[ChangeListener] = []

    def listen(self) -> ChangeListener:
        listener = ChangeListener(self._url, self._store.path, answer_within=self._answer_within)
        self.listeners.append(listener)
        return listener

    def __getattr__(self, name: str):
        return getattr(self._store, name)


@pytest.mark.parametrize("dropped", ["listen", "every"])
def test_a_connection_dropped_without_a_fin_is_noticed_and_nothing_is_missed(
    pg_cluster, pg_url, dropped
):
    """`listen`: the desk's LISTEN connection goes silent; `every`: all of the desk's
    connections do (its pooled ones too: the feed reads the changes through them)."""
    proxy = BlackHoleProxy(f"{pg_cluster.dir}/.s.PGSQL.{pg_cluster.port}")
    via_proxy = (
        f"postgresql://{pg_cluster.user}@127.0.0.1:{proxy.port}/{TESTS_DB}"
        f"?options=-csearch_path%3D{schema_name(pg_url)}"
    )
    seen = Seen()
    with open_store(pg_url) as a, open_store(via_proxy if dropped == "every" else pg_url) as b:
        desk = ThroughProxy(b, via_proxy, answer_within=1.0)

        async def scenario() -> None:
            feed = follow(desk, seen, wait_s=0.5, retry_s=(0.3,))
            task = asyncio.create_task(feed.run())
            await until("the feed to listen", lambda: feed.last is not None)
            await write(a.add_inbound, inbound("before the drop", mdr_id="h-0"))
            await until("the first text", lambda: seen.bodies == ["before the drop"])
            holes = proxy.black_hole()
            assert holes == 1 if dropped == "listen" else holes > 1
            for n in range(1, 4):  # committed while the desk hears nothing
                await write(a.add_inbound, inbound(f"during the drop {n}", mdr_id=f"h-{n}"))
            await until("the feed to notice and come back", lambda: len(seen.states) == 2, 30)
            await until("every text", lambda: len(seen.bodies) == 4)
            await write(a.add_inbound, inbound("after", mdr_id="h-9"))
            await until("the text after", lambda: len(seen.bodies) == 5)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        try:
            asyncio.run(scenario())
        finally:
            proxy.close()  # before the stores close: nothing waits on a silent connection
    assert seen.bodies == [
        "before the drop",
        "during the drop 1",
        "during the drop 2",
        "during the drop 3",
        "after",
    ]
    offline, back = seen.states
    assert "cannot reach" in offline and back is None
    # One reconnect; when the pooled connections went silent too, a read may wait on one of
    # them until it is cut, which takes another.
    assert len(desk.listeners) == 2 if dropped == "listen" else len(desk.listeners) >= 2
    numbers = [batch.last for batch in seen.batches]
    assert numbers == sorted(set(numbers))  # in order, none twice


# -- the database server stopped and started under load ------------------------------------------
WRITERS = 3


class Writers:
    """Threads storing inbound messages straight into the shared store (as desks and servers
    do), and one posting webhooks to `serve` one after another, each retrying what failed
    (the provider's redelivery) until it is acknowledged: add_inbound returned, or 200."""

    def __init__(self, store, hook: str) -> None:
        self._store, self._hook = store, hook
        self.acked: list[str] = []
        self.failures = Counter[str]()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._write, args=(n,), daemon=True) for n in range(WRITERS)
        ]
        self._threads.append(threading.Thread(target=self._post, daemon=True))
        for thread in self._threads:
            thread.start()

    def _until_acked(self, mdr_id: str, attempt) -> None:
        while True:
            try:
                if attempt():
                    self.acked.append(mdr_id)
                    return
                self.failures["answered other than 200"] += 1
            except StoreUnavailable:
                self.failures["store unavailable"] += 1
            time.sleep(0.05)

    def _write(self, n: int) -> None:
        for i in itertools.count():
            if self._stop.is_set():
                return
            mdr_id = f"w{n}-{i:04d}"
            item = inbound(f"written {mdr_id}", mdr_id=mdr_id)
            self._until_acked(mdr_id, lambda item=item: self._store.add_inbound(item) is not None)
            time.sleep(0.01)

    def _post(self) -> None:
        with httpx.Client(timeout=10) as client:
            for i in itertools.count():
                if self._stop.is_set():
                    return
                mdr_id = f"hook-{i:04d}"
                doc = webhook_body(PEER, OWN, f"posted {mdr_id}", mdr_id=mdr_id, ts=1716204585)

                def attempt(doc=doc) -> bool:
                    try:
                        return client.post(self._hook, json=doc).status_code == 200
                    except httpx.HTTPError:
                        return False

                self._until_acked(mdr_id, attempt)
                time.sleep(0.01)

    def finish(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
            assert not thread.is_alive(), "a writer never got its last message acknowledged"


def heard(seen: Seen) -> list:
    return [m for batch in seen.batches for m in batch.messages]


@pytest.mark.slow
def test_the_database_stopped_and_started_under_load_loses_nothing_and_all_resume(
    sandbox, tmp_path, own_cluster
):
    url = own_cluster.url(TESTS_DB)
    server = serve(tmp_path, sandbox, "--database", url, VOIPDESK_HEARTBEAT_SECONDS="0.5")
    seen = Seen()
    result: dict[str, set[str]] = {}
    try:
        hook = server.webhook_url()
        with open_store(url) as writer, open_store(url) as desk:

            async def scenario() -> None:
                feed = follow(desk, seen, wait_s=0.5, retry_s=(0.3,))
                task = asyncio.create_task(feed.run())
                await until("the feed to listen", lambda: feed.last is not None)
                writers = Writers(writer, hook)
                await until("writes before", lambda: len(writers.acked) >= 40)
                await asyncio.to_thread(own_cluster.halt)
                stopped_at = len(writers.acked)
                await asyncio.sleep(7)  # longer than serve waits for a connection (5 s)
                assert len(writers.acked) == stopped_at  # nothing acknowledged while down
                await asyncio.to_thread(own_cluster.resume)
                await until("writes after", lambda: len(writers.acked) >= stopped_at + 40, 30)
                await asyncio.to_thread(writers.finish)
                after = writers.acked[stopped_at:]  # both kinds of writer resumed
                assert any(i.startswith("hook-") for i in after), "serve did not resume"
                assert any(i.startswith("w") for i in after), "the store did not resume"
                acked = set(writers.acked)
                assert len(acked) == len(writers.acked)
                assert writers.failures["store unavailable"] > 0
                assert writers.failures["answered other than 200"] > 0  # 503 while down
                result["acked"] = acked
                await until(
                    "the desk to hear of every message",
                    lambda: {m.provider_id for m in heard(seen)} >= acked,
                    30,
                )
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task

            asyncio.run(scenario())
        assert server.proc.poll() is None  # serve rode it out
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
    ids = Counter(m.provider_id for m in shared(url))
    assert set(ids) == result["acked"], "stored other than exactly what was acknowledged"
    assert max(ids.values()) == 1
    told = Counter(m.provider_id for m in heard(seen))
    assert max(told.values()) == 1  # the desk was handed each message once
    assert seen.states[-1] is None and any(seen.states)  # said it was offline, then back
    assert "the message database works again" in server.stderr
    assert "Traceback" not in server.stderr


@pytest.mark.slow
def test_a_desk_whose_connections_went_silent_still_queues_a_message_and_closes(pg_cluster, pg_url):
    """The send-owner connection (store/pg/owner.py) is checked before a message is queued and
    given back at quit: silent, it is cut and taken again (queueing goes on) or let go (quitting
    goes on), instead of the desk waiting on it for ever."""
    proxy = BlackHoleProxy(f"{pg_cluster.dir}/.s.PGSQL.{pg_cluster.port}")
    via_proxy = (
        f"postgresql://{pg_cluster.user}@127.0.0.1:{proxy.port}/{TESTS_DB}"
        f"?options=-csearch_path%3D{schema_name(pg_url)}"
    )
    done: dict[str, object] = {}

    def desk() -> None:
        with open_store(via_proxy) as store:
            store.add_outgoing(OWN, PEER, "first")
            done["holes"] = proxy.black_hole()  # the pooled and the send-owner connections
            try:
                done["queued"] = store.add_outgoing(OWN, PEER, "after the drop")
            except StoreUnavailable:  # said, and tried again (as the outbox does)
                done["queued"] = store.add_outgoing(OWN, PEER, "after the drop")
            proxy.black_hole()  # the new ones too: quitting must not wait on them
        done["closed"] = True

    worker = threading.Thread(target=desk, daemon=True)
    try:
        worker.start()
        worker.join(45)
    finally:
        proxy.close()  # frees a desk stuck on a silent connection
        worker.join(10)
    assert done.get("holes", 0) >= 2
    assert "queued" in done, "queueing waited on a silent connection"
    assert done.get("closed"), "closing waited on a silent connection"
    with open_store(pg_url) as store:
        assert [m.body for m in store.all_messages()] == ["first", "after the drop"]
