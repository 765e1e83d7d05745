"""The sandbox and the client's wire module, written independently, agree on the contract."""

from __future__ import annotations

import json

import pytest

from voipdesk.core.models import InboundMessage, StatusUpdate
from voipdesk.provider.errors import KNOWN_CODES, ProviderError, TransientError
from voipdesk.provider.wire import parse_send_answer, parse_webhook, send_payload

from .test_send import ERROR_CASES, GOOD, MISSING


def test_success_parses_to_the_recorded_message(sandbox, client):
    response = client.post(
        sandbox.send_url,
        json=send_payload(
            "demo-account", "demo-token", "+447700900001", "+447700900555", "Thank you"
        ),
    )

    result = parse_send_answer(response.status_code, response.content)

    [sent] = sandbox.sandbox.sent
    assert (result.provider_id, result.status, result.timestamp_s) == (
        sent.id,
        "queued",
        sent.timestamp_s,
    )


@pytest.mark.parametrize("code", KNOWN_CODES)
def test_each_error_parses_to_a_provider_error(sandbox, client, code):
    changes = next(c[1] for c in ERROR_CASES if c[2] == code)
    doc = {k: v for k, v in {**GOOD, **changes}.items() if v is not MISSING}
    response = client.post(sandbox.send_url, json=doc)

    with pytest.raises(ProviderError) as caught:
        parse_send_answer(response.status_code, response.content)
    assert caught.value.code == code


@pytest.mark.parametrize("kind", ["http500", "http503", "http429"])
def test_answering_faults_parse_as_transient(sandbox, client, kind):
    sandbox.inject(kind, retry_after="20")
    response = client.post(sandbox.send_url, json=GOOD)

    with pytest.raises(TransientError) as caught:
        parse_send_answer(
            response.status_code, response.content, retry_after=response.headers.get("Retry-After")
        )
    assert caught.value.retry_after == (None if kind == "http500" else 20.0)


@pytest.mark.parametrize("kind", ["garbage", "wrongshape"])
def test_an_unreadable_200_is_a_send_the_sandbox_recorded(sandbox, client, kind):
    sandbox.inject(kind)
    response = client.post(sandbox.send_url, json=GOOD)

    result = parse_send_answer(response.status_code, response.content)

    assert (result.provider_id, result.status) == (None, "queued")
    [sent] = sandbox.sandbox.sent
    assert sent.body == GOOD["body"]


def test_deliveries_parse_as_inbound_and_status_updates(sandbox, receiver):
    inbound = sandbox.deliver("+447445459147", "+447700900001", "hi", url=receiver.url)
    report = sandbox.report_status("feefcc83", "delivered", url=receiver.url)

    message = parse_webhook(json.dumps(inbound.payload).encode())
    update = parse_webhook(json.dumps(report.payload).encode())

    assert isinstance(message, InboundMessage)
    assert (message.from_number, message.to_number, message.body) == (
        "+447445459147",
        "+447700900001",
        "hi",
    )
    assert message.mdr_id == inbound.payload["mdr_id"]
    assert isinstance(update, StatusUpdate)
    assert (update.provider_id, update.status) == ("feefcc83", "delivered")
