"""Which request gets which answer: readiness, 404 and 405, the size limit, bad bodies."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.receiver.listener_support import OWN, PEER, SECRET, payload, raw_exchange, stored
from voipdesk.receiver.listener import READY_TEXT, Listener


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
