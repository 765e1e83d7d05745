"""Deliveries to a webhook: inbound messages, status reports and the demo contact's replies."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from voipdesk.sandbox import SandboxThread

from .conftest import FIXED_TS, Receiver, make_sandbox, wait_until
from .test_send import GOOD

BODY_KEYS = {
    "status",
    "from",
    "to",
    "type",
    "body",
    "mdr_timestamp_s",
    "mdr_created",
    "mdr_id",
}


def test_deliver_posts_the_documented_headers_and_body(sandbox, receiver):
    record = sandbox.deliver("+447445459147", "+447700900001", "text sent in SMS", url=receiver.url)

    [got] = receiver.wait_for(1)
    headers = {k.lower(): v for k, v in got["headers"].items()}
    assert headers["content-type"] == "application/json"
    assert headers["host"] == "api.voipnumber.net"
    assert headers["x-forwarded-port"] == "443"
    assert headers["x-forwarded-proto"] == "https"
    assert got["path"] == "/hook"
    body = got["json"]
    assert set(body) == BODY_KEYS
    assert body["status"] == "received"
    assert (body["from"], body["to"], body["type"]) == ("+447445459147", "+447700900001", "sms")
    assert body["body"] == "text sent in SMS"
    assert body["mdr_timestamp_s"] == FIXED_TS
    assert body["mdr_created"] == "20 May 2024 08:28:37"
    assert uuid.UUID(body["mdr_id"]).version == 4
    assert record.url == receiver.url
    assert record.payload == body
    assert (record.status, record.error) == (200, None)
    assert sandbox.sandbox.deliveries == [record]


def test_deliver_uses_the_numbers_webhook_and_given_fields(sandbox, receiver):
    sandbox.set_webhook("+447700900002", receiver.url)

    record = sandbox.deliver(
        "+447445459147",
        "+447700900002",
        "look",
        kind="mms",
        mdr_id="mdr-1",
        ts=1700000000,
        media_url="https://example.invalid/cat.jpg",
    )

    [got] = receiver.wait_for(1)
    assert got["json"]["type"] == "mms"
    assert got["json"]["mdr_id"] == "mdr-1"
    assert got["json"]["mdr_timestamp_s"] == 1700000000
    assert got["json"]["media_url"] == "https://example.invalid/cat.jpg"
    assert record.status == 200


@pytest.mark.parametrize("status", [200, 400, 404, 500])
def test_recorded_status_is_what_the_receiver_answered(sandbox, receiver, status):
    receiver.status = status

    record = sandbox.deliver("+447445459147", "+447700900001", "hi", url=receiver.url)

    assert (record.status, record.error) == (status, None)
    assert len(receiver.received) == 1


def test_receiver_down_gives_no_status_and_an_error(sandbox, receiver):
    receiver.stop()

    record = sandbox.deliver("+447445459147", "+447700900001", "hi", url=receiver.url)

    assert record.status is None
    assert record.error
    assert sandbox.sandbox.deliveries == [record]


def test_no_webhook_set_gives_no_status_and_an_error(sandbox, receiver):
    sandbox.set_webhook("+447700900001", receiver.url)
    sandbox.set_webhook("+447700900001", None)

    record = sandbox.deliver("+447445459147", "+447700900001", "hi")

    assert (record.url, record.status) == (None, None)
    assert "no webhook" in (record.error or "")
    assert receiver.received == []


def test_report_status_posts_a_status_report(sandbox, receiver):
    record = sandbox.report_status("feefcc83-d6ae-4580-b4dc-6ee16b37ff04", url=receiver.url)

    [got] = receiver.wait_for(1)
    assert got["json"]["status"] == "delivered"
    assert got["json"]["id"] == "feefcc83-d6ae-4580-b4dc-6ee16b37ff04"
    assert got["json"]["timestamp_s"] == FIXED_TS
    assert got["headers"]["Host"] == "api.voipnumber.net"
    assert record.status == 200


def test_responder_replies_to_the_senders_webhook(sandbox, client, receiver):
    sandbox.set_webhook("+447700900001", receiver.url)
    sandbox.add_responder("+447700900555", lambda text: f"You said: {text}", delay=0.05)

    answer = client.post(sandbox.send_url, json=GOOD).json()

    assert answer["status"] == "OK"
    [got] = receiver.wait_for(1)
    assert got["json"]["from"] == "+447700900555"
    assert got["json"]["to"] == "+447700900001"
    assert got["json"]["body"] == "You said: Thank you"
    assert got["json"]["status"] == "received"
    assert wait_until(lambda: len(sandbox.sandbox.deliveries) == 1)
    assert sandbox.sandbox.deliveries[0].status == 200


def test_responder_stays_silent_when_reply_is_none_or_no_webhook(sandbox, client, receiver):
    sandbox.add_responder("+447700900555", lambda text: None, delay=0.0)
    sandbox.add_responder("+447700900666", lambda text: "hello", delay=0.0)
    sandbox.set_webhook("+447700900002", receiver.url)

    client.post(sandbox.send_url, json={**GOOD, "from": "+447700900002"})  # reply None
    client.post(sandbox.send_url, json={**GOOD, "to": "+447700900666"})  # sender has no webhook
    time.sleep(0.2)

    assert receiver.received == []
    assert sandbox.sandbox.deliveries == []


def test_delivery_reports_follow_an_accepted_send(sandbox, client, receiver):
    sandbox.set_webhook("+447700900001", receiver.url)
    sandbox.call(setattr, sandbox.sandbox, "delivery_reports", 0.05)

    answer = client.post(sandbox.send_url, json=GOOD).json()
    refused = client.post(sandbox.send_url, json={**GOOD, "body": ""}).json()

    assert refused["status"] == "Error"
    [got] = receiver.wait_for(1)
    assert got["json"]["status"] == "delivered"
    assert got["json"]["id"] == answer["result"]["result"]["id"]
    time.sleep(0.1)
    assert len(receiver.received) == 1  # nothing for the refused message


def test_stop_cancels_pending_replies(client, receiver):
    running = SandboxThread(make_sandbox()).start()
    try:
        running.set_webhook("+447700900001", receiver.url)
        running.add_responder("+447700900555", lambda text: "late", delay=30)
        assert client.post(running.send_url, json=GOOD).json()["status"] == "OK"
    finally:
        started = time.monotonic()
        running.stop()
    assert time.monotonic() - started < 3
    assert receiver.received == []
    with pytest.raises(httpx.ConnectError):
        client.post(running.send_url, json=GOOD)


def test_blocking_calls_after_stop_are_refused(receiver):
    running = SandboxThread(make_sandbox()).start()
    running.stop()
    running.stop()  # twice is fine
    with pytest.raises(RuntimeError):
        running.deliver("+447445459147", "+447700900001", "hi", url=receiver.url)


def test_sandbox_thread_serves_a_receiver_on_its_loop():
    # `call` awaits coroutines on the sandbox loop: an aiohttp peer can live there too.
    with SandboxThread(make_sandbox()) as running:
        assert running.call(lambda: 41 + 1) == 42

        async def on_loop() -> str:
            return running.sandbox.send_url

        assert running.call(on_loop) == running.send_url


def test_receiver_fixture_sanity(receiver: Receiver):
    with httpx.Client() as c:
        assert c.post(receiver.url, json={"a": 1}).status_code == 200
    assert receiver.wait_for(1)[0]["json"] == {"a": 1}
