"""The webhook listener's life: start, the secret, stop, start again (real sockets, a real
SQLite file)."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.receiver.listener_support import SECRET, payload, stored
from voipdesk.receiver.listener import Listener, ListenerError


def test_start_reports_where_it_listens(listener: Listener) -> None:
    assert listener.running
    assert listener.port > 0
    assert listener.local_url == f"http://127.0.0.1:{listener.port}"
    assert listener.webhook_path == f"/webhook/{SECRET}"


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])
def test_it_refuses_a_non_loopback_host(db: Path, host: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        Listener(db, SECRET, host=host)


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
