"""The wire format: answers of every shape and depth, and webhook bodies."""

from __future__ import annotations

import json

import pytest

from voipdesk.core.models import InboundMessage, StatusUpdate
from voipdesk.provider.errors import ProviderError, TransientError
from voipdesk.provider.wire import (
    WebhookError,
    parse_send_answer,
    parse_webhook,
    retry_after_seconds,
    send_payload,
)

RECORD = {
    "status": "queued",
    "body": "Thank you",
    "timestamp_s": 1716193717,
    "created": "20 May 2024 08:28:37",
    "id": "feefcc83-d6ae-4580-b4dc-6ee16b37ff04",
}


def ok(depth: int) -> dict:
    doc: dict = RECORD
    for _ in range(depth):
        doc = {"status": "OK", "result": doc}
    return doc


def answer(doc: object, status: int = 200, **kw):
    return parse_send_answer(status, json.dumps(doc).encode(), **kw)


def test_the_documented_success_answer():
    result = answer(ok(2))
    assert (result.provider_id, result.status, result.timestamp_s) == (
        RECORD["id"],
        "queued",
        1716193717,
    )
    assert json.loads(result.raw) == ok(2)


@pytest.mark.parametrize("depth", [0, 1, 2, 3, 5])
def test_envelopes_of_any_depth(depth):
    assert answer(ok(depth)).provider_id == RECORD["id"]


def test_a_record_without_status_is_queued():
    assert answer({"status": "OK", "result": {"id": 42}}).status == "queued"
    assert answer({"status": "OK", "result": {"id": 42}}).provider_id == "42"


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_errors_at_any_depth(depth):
    doc: dict = {
        "status": "Error",
        "result": {"error_code": "USER_NOT_FOUND", "error": "User not found"},
    }
    for _ in range(depth):
        doc = {"status": "OK", "result": doc}
    with pytest.raises(ProviderError) as err:
        answer(doc)
    assert (err.value.code, err.value.provider_text) == ("USER_NOT_FOUND", "User not found")


def test_an_error_envelope_around_another_envelope():
    doc = {
        "status": "Error",
        "result": {
            "status": "Error",
            "result": {"error_code": "NUMBER_NOT_FOUND", "error": "Number doesn't exist"},
        },
    }
    with pytest.raises(ProviderError) as err:
        answer(doc, sender="+447700900001")
    assert err.value.code == "NUMBER_NOT_FOUND"
    assert "+44 7700 900001" in err.value.sentence


def test_an_error_whose_result_is_only_a_text_keeps_it():
    with pytest.raises(ProviderError) as err:
        answer({"status": "Error", "result": "Account suspended"})
    assert err.value.code == "UNKNOWN_ERROR"
    assert "Account suspended" in err.value.sentence


def test_an_error_without_a_code_is_still_a_provider_error():
    with pytest.raises(ProviderError) as err:
        answer({"status": "error", "result": {"error": "Something broke"}})
    assert "Something broke" in err.value.sentence


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
def test_5xx_429_and_408_are_transient_even_with_a_json_body(status):
    with pytest.raises(TransientError) as err:
        answer(ok(2), status)
    assert str(status) in err.value.reason
    assert err.value.retry_after is None


NOW = 1_789_985_600.0  # Mon, 21 Sep 2026 10:13:20 GMT


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("30", 30.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("3600", 3600.0),
        ("86400", 3600.0),  # capped at an hour
        ("99999999999999999999999", 3600.0),
        ("Mon, 21 Sep 2026 10:14:00 GMT", 40.0),  # an HTTP-date, 40 s from NOW
        ("Monday, 21-Sep-26 10:14:00 GMT", 40.0),  # RFC 850, still allowed by HTTP
        ("Mon, 21 Sep 2026 10:00:00 GMT", 0.0),  # already past
        ("Mon, 21 Sep 2026 12:13:20 GMT", 3600.0),  # two hours away
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
        ("３０", None),  # full-width digits are not HTTP
        ("Mon, 99 Foo 2026 10:14:00 GMT", None),
    ],
)
def test_retry_after_seconds(header, seconds):
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.parametrize("status", [429, 503])
def test_a_transient_answer_carries_its_retry_after(status):
    with pytest.raises(TransientError) as err:
        parse_send_answer(status, b"slow down", retry_after="30")
    assert err.value.retry_after == 30.0
    with pytest.raises(TransientError) as err:
        parse_send_answer(status, b"slow down", retry_after="whenever")
    assert err.value.retry_after is None


UNREADABLE = [
    b"",
    b"<html>maintenance</html>",
    b"\xff\xfe\x00",
    b"null",
    b"[]",
    b'"OK"',
    b"42",
    b'{"status": "OK"}',
    b'{"status": "OK", "result": null}',
    b'{"status": "OK", "result": {"status": "OK", "result": []}}',
    b'{"success": true, "data": {"message": "accepted"}}',
    b'{"status": "OK", "result": {"id": ""}}',
    b'{"status": "OK", "result": {"id": null}}',
]


@pytest.mark.parametrize("status", [200, 201, 202, 204])
@pytest.mark.parametrize("content", UNREADABLE)
def test_a_2xx_that_cannot_be_read_is_accepted_without_an_id(status, content):
    # The provider took it (the contract): sending it again would send it twice.
    result = parse_send_answer(status, content)
    assert (result.provider_id, result.status, result.timestamp_s) == (None, "queued", None)
    assert result.raw == content.decode("utf-8", "replace")


def test_a_huge_unreadable_2xx_keeps_only_its_start():
    result = parse_send_answer(200, b"<html>" + b"x" * 1_000_000)
    assert result.provider_id is None and result.raw.startswith("<html>xxx")
    assert len(result.raw) <= 4000


@pytest.mark.parametrize("status", [300, 301, 302, 307])
@pytest.mark.parametrize("content", [b"<html>moved</html>", b'{"success": true}'])
def test_an_unusable_answer_at_3xx_is_transient(status, content):
    with pytest.raises(TransientError):  # a redirect: it never reached the provider
        parse_send_answer(status, content)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 413, 451, 499])
@pytest.mark.parametrize(
    "content", [b"", b"<html>Not Found</html>", b"\xff\xfe", b"null", b'{"message": "nope"}']
)
def test_an_unusable_answer_at_4xx_is_a_permanent_refusal(status, content):
    with pytest.raises(ProviderError) as err:
        parse_send_answer(status, content)
    assert not isinstance(err.value, TransientError)
    assert err.value.code == f"HTTP_{status}"
    assert err.value.sentence.startswith(f"The provider rejected the request (HTTP {status})")
    assert "not sent" in err.value.sentence


@pytest.mark.parametrize("depth", [40, 100_000])
def test_absurdly_deep_2xx_answers_are_accepted_without_an_id(depth):
    content = b'{"status": "OK", "result": ' * depth + b'{"id": "x"}' + b"}" * depth
    assert parse_send_answer(200, content).provider_id is None
    with pytest.raises(TransientError):
        parse_send_answer(302, content)


def test_an_absurdly_deep_webhook_is_a_webhook_error():
    with pytest.raises(WebhookError):
        parse_webhook(b"[" * 100_000)


def test_send_payload_is_the_contract_body():
    assert send_payload("a", "t", "+1", "+2", "b") == {
        "accountId": "a",
        "apiToken": "t",
        "from": "+1",
        "to": "+2",
        "body": "b",
    }


# -- webhooks -------------------------------------------------------------------------------------
DOC = {
    "status": "received",
    "from": "+447445459147",
    "to": "+447476553275",
    "type": "sms",
    "body": "text sent in SMS",
    "mdr_timestamp_s": 1716204585,
    "mdr_created": "20 May 2024 11:29:45",
    "mdr_id": "da84a7b1-1a80-4e96-885e-e719d5ec909c",
}


def test_the_documented_webhook_body():
    item = parse_webhook(json.dumps(DOC).encode())
    assert isinstance(item, InboundMessage)
    assert (item.from_number, item.to_number, item.body, item.type, item.mdr_id) == (
        "+447445459147",
        "+447476553275",
        "text sent in SMS",
        "sms",
        DOC["mdr_id"],
    )
    assert item.provider_ts == 1716204585
    assert item.attachments == ()


def test_mms_links_outside_the_body_are_attachments_and_unknown_fields_kept():
    doc = {
        **DOC,
        "type": "mms",
        "body": "see http://body.example/not-an-attachment",
        "media": ["https://cdn.example/a.jpg", {"url": "http://cdn.example/b.png"}],
        "new_field": 7,
    }
    item = parse_webhook(json.dumps(doc).encode())
    assert item.attachments == ("https://cdn.example/a.jpg", "http://cdn.example/b.png")
    assert json.loads(item.raw)["new_field"] == 7


def test_a_status_report_is_a_status_update():
    for ref in ("id", "mdr_id"):
        item = parse_webhook(json.dumps({"status": "delivered", ref: "p-1"}).encode())
        assert item == StatusUpdate("p-1", "delivered", item.raw)
    item = parse_webhook(json.dumps({"status": "undelivered", "id": "p-1"}).encode())
    assert item.status == "failed"


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json",
        b"[]",
        json.dumps({**DOC, "from": None}).encode(),
        json.dumps({**DOC, "to": ""}).encode(),
        json.dumps({k: v for k, v in DOC.items() if k != "mdr_id"}).encode(),
        json.dumps({**DOC, "body": ["x"]}).encode(),
        json.dumps({**DOC, "status": 3}).encode(),
        json.dumps({"status": "delivered"}).encode(),
        json.dumps({**DOC, "from": "+" + "1" * 100}).encode(),
    ],
)
def test_bad_webhook_bodies_are_webhook_errors(content):
    with pytest.raises(WebhookError):
        parse_webhook(content)


def test_half_an_emoji_in_a_webhook_is_replaced_not_a_failure(tmp_path):
    from voipdesk.store import Store, database_path

    content = (
        b'{"status": "received", "from": "+447700900100", "to": "+447700900001",'
        b' "body": "cut \\ud83d here, whole \\ud83d\\ude00", "mdr_id": "m-1"}'
    )
    item = parse_webhook(content)
    assert item.body == "cut \ufffd here, whole 😀"
    with Store(database_path(tmp_path)) as store:  # SQLite refuses lone surrogates
        msg, new = store.add_inbound(item)
        assert new and msg.body == item.body
        assert store.add_inbound(parse_webhook(content)) == (msg, False)  # a retry: same id
