"""The webhook listener over real sockets and a real SQLite file."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from voipdesk.core.models import Direction, Message, Status
from voipdesk.receiver.listener import READY_TEXT, Listener, ListenerError
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store

SECRET = "test-secret-Zm9vYmFyYmF6cXV4"
OWN, PEER = "+447476553275", "+447445459147"


class Inbox:
    """Collects what on_messages reports, from the listener's thread."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.calls = 0
        self._cond = threading.Condition()

    def __call__(self, messages: list[Message]) -> None:
        with self._cond:
            self.calls += 1
            self.messages.extend(messages)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Message]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.messages) >= count, timeout), (
                f"on_messages reported {len(self.messages)} of {count}"
            )
            return list(self.messages)


def payload(mdr_id: str = "mdr-1", body: str = "text sent in SMS", **extra: object) -> dict:
    return webhook_body(PEER, OWN, body, mdr_id=mdr_id, ts=1716204585, **extra)


def stored(db: Path) -> list[Message]:
    """What a second, independent Store sees on the file."""
    with Store(db) as store:
        return list(store.all_messages())


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "voipdesk.sqlite3"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def listener(db: Path, inbox: Inbox) -> Iterator[Listener]:
    lst = Listener(db, SECRET, max_body=64 * 1024, on_messages=inbox)
    lst.start()
    yield lst
    lst.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def url(listener: Listener) -> str:
    return listener.local_url + listener.webhook_path


def raw_exchange(port: int, data: bytes | list[bytes], *, timeout: float = 5.0) -> bytes:
    """Send raw bytes (pieces sent one by one), half-close, return all the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for piece in [data] if isinstance(data, bytes) else data:
            sock.sendall(piece)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


# -- readiness and routing ------------------------------------------------------------------
def test_start_reports_where_it_listens(listener: Listener) -> None:
    assert listener.running
    assert listener.port > 0
    assert listener.local_url == f"http://127.0.0.1:{listener.port}"
    assert listener.webhook_path == f"/webhook/{SECRET}"


def test_get_on_the_webhook_path_is_a_readiness_check(client: httpx.Client, url: str) -> None:
    resp = client.get(url)
    assert resp.status_code == 200
    assert resp.text == READY_TEXT
    assert resp.headers["content-type"].startswith("text/plain")
    head = client.head(url)
    assert head.status_code == 200 and head.content == b""


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/webhook",
        "/webhook/",
        "/webhook/wrong-secret",
        f"/webhook/{SECRET}x",
        f"/webhook/{SECRET[:-1]}",
        f"/WEBHOOK/{SECRET}",
        f"/webhook/{SECRET}/more",
        f"/x/webhook/{SECRET}",
        "/favicon.ico",
    ],
)
def test_every_other_path_is_the_same_404(
    client: httpx.Client, listener: Listener, db: Path, path: str
) -> None:
    reference = client.get(listener.local_url + "/nothing-here")
    for method in ("GET", "POST", "PUT", "DELETE"):
        resp = client.request(method, listener.local_url + path, json=payload())
        assert resp.status_code == 404, (method, path)
        assert resp.content == reference.content
        assert resp.headers.get("content-type") == reference.headers.get("content-type")
    assert stored(db) == []


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_on_the_webhook_path_are_405(
    client: httpx.Client, url: str, db: Path, method: str
) -> None:
    resp = client.request(method, url, json=payload())
    assert resp.status_code == 405
    assert set(resp.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    assert stored(db) == []


# -- size limit -----------------------------------------------------------------------------
def test_a_body_of_exactly_the_limit_is_accepted(client: httpx.Client, url: str, db: Path) -> None:
    body = json.dumps(payload()).encode()
    body += b" " * (64 * 1024 - len(body))
    assert client.post(url, content=body).status_code == 200
    assert len(stored(db)) == 1


def test_413_by_content_length_before_the_body_is_sent(listener: Listener, db: Path) -> None:
    head = (
        f"POST {listener.webhook_path} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {64 * 1024 + 1}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
        sock.sendall(head)  # the body never comes: the answer must not wait for it
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")
    assert stored(db) == []


def test_413_for_a_whole_body_over_the_limit(client: httpx.Client, url: str, db: Path) -> None:
    body = json.dumps(payload(body="x" * (64 * 1024))).encode()
    resp = client.post(url, content=body)
    assert resp.status_code == 413
    assert "larger than" in resp.text
    assert stored(db) == []


def test_413_for_a_chunked_body_over_the_limit(client: httpx.Client, url: str, db: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"from": "+447445459147", "to": "+447476553275", "mdr_id": "big", "body": "'
        for _ in range(20):
            yield b"x" * 8192
        yield b'"}'

    resp = client.post(url, content=chunks())
    assert resp.request.headers.get("transfer-encoding") == "chunked"
    assert resp.status_code == 413
    assert stored(db) == []


def test_a_chunked_stream_is_cut_off_while_it_is_still_coming(listener: Listener) -> None:
    """No end of the body is needed: 413 comes as soon as the limit is passed."""
    head = f"POST {listener.webhook_path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
        sock.sendall(head.encode())
        piece = b"y" * 16384
        for _ in range(5):  # 80 KiB > 64 KiB, and the terminating 0-chunk is never sent
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_a_chunked_body_under_the_limit_is_stored(client: httpx.Client, url: str, db: Path) -> None:
    body = json.dumps(payload()).encode()
    resp = client.post(url, content=iter([body[:10], body[10:40], body[40:]]))
    assert resp.status_code == 200
    assert [m.provider_id for m in stored(db)] == ["mdr-1"]


# -- bad input ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not JSON"),
        (b"hello", "not JSON"),
        (b"from=%2B4474&to=%2B4475", "not JSON"),
        (b'{"from": "+44", ', "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"a string"', "not a JSON object"),
        (b"null", "not a JSON object"),
        (b"[" * 20000 + b"]" * 20000, "JSON"),
        (json.dumps({"to": OWN, "mdr_id": "m"}).encode(), "'from'"),
        (json.dumps({"from": 447445459147, "to": OWN, "mdr_id": "m"}).encode(), "'from'"),
        (json.dumps({"from": PEER, "mdr_id": "m"}).encode(), "'to'"),
        (json.dumps({"from": PEER, "to": ["x"], "mdr_id": "m"}).encode(), "'to'"),
        (json.dumps({"from": PEER, "to": OWN}).encode(), "'mdr_id'"),
        (json.dumps({"from": PEER, "to": OWN, "mdr_id": 7}).encode(), "'mdr_id'"),
        (json.dumps({"from": PEER, "to": OWN, "mdr_id": "m", "body": []}).encode(), "'body'"),
        (json.dumps({"from": PEER, "to": OWN, "mdr_id": "m", "status": 3}).encode(), "'status'"),
        (json.dumps({"status": "delivered"}).encode(), "status report"),
        (b'{"from": "\\ud800", "to": "+1", "mdr_id": "m"}', "invalid character"),
    ],
)
def test_bad_bodies_are_400_with_a_reason(
    client: httpx.Client, url: str, db: Path, body: bytes, reason: str
) -> None:
    resp = client.post(url, content=body, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert reason in resp.text
    assert len(resp.text) < 200
    assert stored(db) == []


def test_a_body_shorter_than_its_content_length_is_not_stored(listener: Listener, db: Path) -> None:
    body = json.dumps(payload()).encode()
    head = (
        f"POST {listener.webhook_path} HTTP/1.1\r\nHost: x\r\n"
        f"Content-Length: {len(body) + 10}\r\n\r\n"
    ).encode()
    answer = raw_exchange(listener.port, head + body)
    assert not answer.startswith(b"HTTP/1.1 2") and b" 500 " not in answer
    assert stored(db) == []


@pytest.mark.parametrize(
    "content_type", [None, "text/plain", "application/x-www-form-urlencoded", "image/png", "junk"]
)
def test_json_is_accepted_whatever_the_declared_content_type(
    client: httpx.Client, url: str, db: Path, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    resp = client.post(url, content=json.dumps(payload()).encode(), headers=headers)
    assert resp.status_code == 200
    assert len(stored(db)) == 1


# -- storing --------------------------------------------------------------------------------
def test_a_message_is_on_disk_when_the_200_arrives(
    client: httpx.Client, url: str, db: Path
) -> None:
    doc = payload(extra_field={"kept": True})
    resp = client.post(url, json=doc, headers={"Host": "api.voipnumber.net"})
    assert resp.status_code == 200
    [message] = stored(db)  # a separate connection: only committed data is visible
    assert message.direction is Direction.IN
    assert message.status is Status.RECEIVED
    assert (message.peer_number, message.own_number) == (PEER, OWN)
    assert message.body == "text sent in SMS"
    assert message.provider_id == "mdr-1"
    assert message.provider_ts == 1716204585
    assert json.loads(message.raw or "") == doc  # unknown fields kept


def test_a_retried_message_is_stored_once(
    client: httpx.Client, url: str, db: Path, inbox: Inbox
) -> None:
    for _ in range(3):
        assert client.post(url, json=payload()).status_code == 200
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda _: httpx.post(url, json=payload()).status_code, range(10)))
    assert codes == [200] * 10
    assert [m.provider_id for m in stored(db)] == ["mdr-1"]
    time.sleep(0.2)
    assert [m.provider_id for m in inbox.messages] == ["mdr-1"]  # only what changed


def test_mms_attachment_links_are_kept(client: httpx.Client, url: str, db: Path) -> None:
    doc = payload(
        kind="mms",
        body="look https://not-an-attachment.example/x",
        media_url="https://media.example/a.jpg",
        media=[{"url": "http://media.example/b.png"}],
    )
    assert client.post(url, json=doc).status_code == 200
    [message] = stored(db)
    assert message.type == "mms"
    assert message.attachments == ("https://media.example/a.jpg", "http://media.example/b.png")
    assert message.body == "look https://not-an-attachment.example/x"


def test_html_and_script_are_stored_literally(client: httpx.Client, url: str, db: Path) -> None:
    text = "<script>alert('x')</script><b>bold</b> &amp; <img src=x onerror=1>\n\u202eevil"
    assert client.post(url, json=payload(body=text)).status_code == 200
    [message] = stored(db)
    assert message.body == text


def test_a_status_report_updates_a_sent_message(
    client: httpx.Client, url: str, db: Path, inbox: Inbox
) -> None:
    with Store(db) as store:
        sent = store.add_outgoing(OWN, PEER, "hello")
        store.update_outgoing(sent.id, status=Status.QUEUED, provider_id="feefcc83")
    report = {"status": "delivered", "id": "feefcc83", "to": PEER}
    assert client.post(url, json=report).status_code == 200
    [message] = stored(db)
    assert message.status is Status.DELIVERED
    [reported] = inbox.wait_for(1)
    assert reported.id == sent.id and reported.status is Status.DELIVERED


def test_a_status_report_for_an_unknown_message_is_harmless(
    client: httpx.Client, url: str, db: Path
) -> None:
    resp = client.post(url, json={"status": "delivered", "mdr_id": "never-sent"})
    assert resp.status_code == 200
    assert stored(db) == []


def test_on_messages_gets_each_new_message(client: httpx.Client, url: str, inbox: Inbox) -> None:
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda i: httpx.post(url, json=payload(f"m{i}")).status_code, range(40))
        )
    assert codes == [200] * 40
    got = inbox.wait_for(40)
    assert sorted(m.provider_id for m in got) == sorted(f"m{i}" for i in range(40))
    assert inbox.calls <= 40  # batches may group several


def test_a_failing_store_answers_503_and_spares_the_rest(
    client: httpx.Client, url: str, db: Path
) -> None:
    # A real SQLite failure for one message: the provider must retry it, its neighbours land.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN new.body = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    docs = [payload(f"ok{i}") for i in range(20)]
    docs.insert(10, payload("bad", body="boom"))
    with ThreadPoolExecutor(21) as pool:
        codes = list(pool.map(lambda d: httpx.post(url, json=d).status_code, docs))
    assert codes.pop(10) == 503
    assert codes == [200] * 20
    assert sorted(m.provider_id for m in stored(db)) == sorted(f"ok{i}" for i in range(20))


def test_a_commit_slower_than_the_timeout_is_a_503_and_the_next_request_is_fine(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import voipdesk.receiver.listener as module

    monkeypatch.setattr(module, "_STORE_TIMEOUT", 0.3)
    real = Listener._store_batch
    slow = threading.Event()

    def store_batch(self, items):
        if slow.is_set():
            time.sleep(0.8)  # a disk that hangs for a moment
        return real(self, items)

    monkeypatch.setattr(Listener, "_store_batch", store_batch)
    listener = Listener(db, "s3cret-path-0123456789")
    listener.start()
    try:
        target = listener.local_url + listener.webhook_path
        slow.set()
        assert httpx.post(target, json=payload("late"), timeout=5).status_code == 503
        slow.clear()
        time.sleep(0.6)  # the slow commit ends
        assert httpx.post(target, json=payload("on time"), timeout=5).status_code == 200
    finally:
        listener.stop()
    # The late one was stored all the same: the provider's retry of it is a duplicate.
    assert sorted(m.provider_id for m in stored(db)) == ["late", "on time"]


# -- binding, secret, lifecycle -------------------------------------------------------------
def _other_local_addresses() -> list[str]:
    found = {"127.0.0.2"}
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            found.add(probe.getsockname()[0])
    except OSError:
        pass
    return sorted(a for a in found if a != "127.0.0.1" and not a.startswith("0."))


def test_it_listens_on_127_0_0_1_only(listener: Listener) -> None:
    for address in _other_local_addresses():
        with pytest.raises(OSError):
            socket.create_connection((address, listener.port), timeout=2).close()
    socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_it_refuses_a_non_loopback_host(db: Path, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Listener(db, SECRET, host=host)


def test_a_taken_port_is_a_plain_listener_error(db: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        lst = Listener(db, SECRET, port=port)
        with pytest.raises(ListenerError) as info:
            lst.start()
    assert str(info.value).startswith(f"Port {port} is already in use by another program.")
    assert not lst.running
    lst.stop()  # harmless when it never started


def test_a_second_listener_on_the_same_port_fails(listener: Listener, tmp_path: Path) -> None:
    with pytest.raises(ListenerError, match="already in use"):
        Listener(tmp_path / "other.sqlite3", SECRET, port=listener.port).start()


def test_an_unopenable_database_is_a_listener_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    lst = Listener(blocker / "voipdesk.sqlite3", SECRET)
    with pytest.raises(ListenerError, match="not-a-dir is a file, not a folder"):
        lst.start()
    assert not lst.running


def test_set_secret_takes_effect_at_once(
    client: httpx.Client, listener: Listener, db: Path
) -> None:
    old = listener.local_url + listener.webhook_path
    listener.set_secret("a-brand-new-secret")
    assert listener.webhook_path == "/webhook/a-brand-new-secret"
    assert client.post(old, json=payload("m1")).status_code == 404
    new = listener.local_url + listener.webhook_path
    assert client.post(new, json=payload("m2")).status_code == 200
    assert [m.provider_id for m in stored(db)] == ["m2"]


def test_stop_lets_an_in_flight_request_finish(listener: Listener, db: Path) -> None:
    body = json.dumps(payload()).encode()
    head = (
        f"POST {listener.webhook_path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", listener.port), timeout=10) as sock:
        sock.sendall(head + body[:20])
        time.sleep(0.2)  # the request is being read
        stopper = threading.Thread(target=listener.stop)
        stopper.start()
        time.sleep(0.3)
        assert stopper.is_alive()  # it waits for the request
        sock.sendall(body[20:])
        answer = sock.recv(65536)
        stopper.join(10)
    assert answer.startswith(b"HTTP/1.1 200 ")
    assert not listener.running
    assert len(stored(db)) == 1


def test_stop_is_idempotent_and_frees_the_port(listener: Listener) -> None:
    port = listener.port
    listener.stop()
    listener.stop()
    assert not listener.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))


def test_it_can_start_again_on_a_fixed_port(db: Path, client: httpx.Client) -> None:
    first = Listener(db, SECRET)
    first.start()
    port = first.port
    first.stop()
    second = Listener(db, SECRET, port=port)
    second.start()
    try:
        assert second.port == port
        url = second.local_url + second.webhook_path
        assert client.post(url, json=payload()).status_code == 200
    finally:
        second.stop()
