"""Injected faults, as a client sees them over real HTTP."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from voipdesk.sandbox import FAULT_KINDS, Sandbox

from .conftest import wait_until
from .test_send import GOOD


def send(client: httpx.Client, url: str, timeout: float = 5.0) -> httpx.Response:
    return client.post(url, json=GOOD, timeout=timeout)


def test_delay_longer_than_the_client_timeout_times_out(sandbox, client):
    sandbox.inject("delay", seconds=1.0)

    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        send(client, sandbox.send_url, timeout=0.3)
    assert time.monotonic() - started < 0.9
    assert sandbox.sandbox.requests[0]["fault"] == "delay"


def test_short_delay_then_a_normal_answer(sandbox, client):
    sandbox.inject("delay", seconds=0.3)

    started = time.monotonic()
    response = send(client, sandbox.send_url)

    assert time.monotonic() - started >= 0.3
    assert response.json()["result"]["result"]["status"] == "queued"
    assert len(sandbox.sandbox.sent) == 1


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("http500", 500),
        ("http503", 503),
        ("http429", 429),
        ("http408", 408),
        ("http400", 400),
        ("http403", 403),
        ("http404", 404),
    ],
)
def test_http_error_status(sandbox, client, kind, status):
    sandbox.inject(kind)

    response = send(client, sandbox.send_url)

    assert response.status_code == status
    assert sandbox.sandbox.sent == []
    [record] = sandbox.sandbox.requests
    assert (record["status"], record["fault"], record["json"]) == (status, kind, GOOD)
    if status == 429:
        assert response.headers["Retry-After"] == "1"
    with pytest.raises(ValueError):
        response.json()  # a proxy's plain-text page, not the provider's JSON


def test_garbage_is_a_200_that_is_not_json(sandbox, client):
    sandbox.inject("garbage")

    response = send(client, sandbox.send_url)

    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    [sent] = sandbox.sandbox.sent  # a 2xx is an acceptance: the provider took it
    assert sent.body == GOOD["body"]


def test_wrongshape_is_json_with_neither_envelope(sandbox, client):
    sandbox.inject("wrongshape")

    response = send(client, sandbox.send_url)

    assert response.status_code == 200
    doc = response.json()
    assert isinstance(doc, dict)
    assert doc.get("status") not in ("OK", "Error")
    assert "id" not in str(doc)
    assert len(sandbox.sandbox.sent) == 1


@pytest.mark.parametrize("kind", ["garbage", "wrongshape"])
def test_an_unreadable_200_to_a_refused_request_records_nothing(sandbox, client, kind):
    sandbox.inject(kind)
    response = client.post(sandbox.send_url, json={**GOOD, "apiToken": "wrong"})
    assert response.status_code == 200
    assert sandbox.sandbox.sent == []


@pytest.mark.parametrize("kind", ["http429", "http503"])
@pytest.mark.parametrize("header", ["30", "Wed, 21 Oct 2026 07:28:00 GMT", "soon"])
def test_retry_after_can_be_chosen(sandbox, client, kind, header):
    sandbox.inject(kind, retry_after=header)
    sandbox.inject(kind, retry_after="")
    first, second = send(client, sandbox.send_url), send(client, sandbox.send_url)
    assert first.headers["Retry-After"] == header
    assert "Retry-After" not in second.headers


def test_drop_closes_without_an_answer(sandbox, client):
    sandbox.inject("drop")

    with pytest.raises(httpx.RemoteProtocolError):
        send(client, sandbox.send_url)

    assert sandbox.sandbox.sent == []
    assert sandbox.sandbox.requests[0]["status"] is None
    assert sandbox.sandbox.requests[0]["fault"] == "drop"
    assert send(client, sandbox.send_url).status_code == 200  # the next request is normal


def test_accept_then_drop_records_the_send_but_the_client_sees_an_error(sandbox, client):
    sandbox.inject("accept_then_drop")

    with pytest.raises(httpx.RemoteProtocolError):
        send(client, sandbox.send_url)

    [sent] = sandbox.sandbox.sent
    assert (sent.sender, sent.to, sent.body) == ("+447700900001", "+447700900555", "Thank you")
    assert sandbox.sandbox.requests[0]["status"] is None


def test_accept_then_drop_of_an_invalid_request_records_nothing(sandbox, client):
    sandbox.inject("accept_then_drop")

    with pytest.raises(httpx.RemoteProtocolError):
        client.post(sandbox.send_url, json={**GOOD, "apiToken": "wrong"})

    assert sandbox.sandbox.sent == []


def test_faults_apply_to_the_next_count_requests_in_order(sandbox, client):
    sandbox.inject("http503", 2)
    sandbox.inject("http429")

    statuses = [send(client, sandbox.send_url).status_code for _ in range(4)]

    assert statuses == [503, 503, 429, 200]
    assert [r["fault"] for r in sandbox.sandbox.requests] == ["http503", "http503", "http429", None]
    assert len(sandbox.sandbox.sent) == 1


def test_unknown_fault_kind_is_refused():
    sandbox = Sandbox()
    with pytest.raises(ValueError, match="unknown fault kind"):
        sandbox.inject("http418")
    assert set(FAULT_KINDS) == {
        "delay",
        "http500",
        "http503",
        "http429",
        "garbage",
        "wrongshape",
        "http408",
        "http400",
        "http403",
        "http404",
        "drop",
        "accept_then_drop",
        "report_first",
    }


def test_report_first_posts_the_delivery_report_before_answering(sandbox, client):
    reports: list[dict] = []

    class Webhook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            reports.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        sandbox.call(sandbox.sandbox.set_webhook, GOOD["from"], url)
        sandbox.inject("report_first")

        response = send(client, sandbox.send_url)
        assert reports  # already there when the send answer arrives
    finally:
        server.shutdown()
        server.server_close()

    [sent] = sandbox.sandbox.sent
    assert response.json()["result"]["result"]["id"] == sent.id
    assert [(r["status"], r["id"]) for r in reports] == [("delivered", sent.id)]


def test_stop_does_not_wait_for_a_pending_delay(sandbox):
    sandbox.inject("delay", seconds=30)
    errors: list[Exception] = []

    def blocked_client() -> None:
        with httpx.Client(timeout=10) as c:
            try:
                send(c, sandbox.send_url, timeout=10)
            except httpx.HTTPError as exc:
                errors.append(exc)

    worker = threading.Thread(target=blocked_client)
    worker.start()
    assert wait_until(lambda: len(sandbox.sandbox.requests) == 1)
    started = time.monotonic()
    sandbox.stop()
    worker.join(5)

    assert time.monotonic() - started < 3
    assert not worker.is_alive()
    assert len(errors) == 1  # dropped, never answered
    assert sandbox.sandbox.sent == []
    assert sandbox.sandbox.requests[0]["status"] is None
