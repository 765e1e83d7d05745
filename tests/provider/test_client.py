"""The VoIP Number client against the sandbox over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import time

import pytest

from voipdesk.provider.client import AmbiguousSendError
from voipdesk.provider.errors import Category, ProviderError, TransientError

from .conftest import ACCOUNT, OTHER, OWN, PEER, TOKEN, closed_port_url, send


def test_success(sandbox):
    result = send(sandbox.send_url, "Thank you")
    [sent] = sandbox.sandbox.sent
    assert result.provider_id == sent.id and len(result.provider_id) == 36
    assert result.status == "queued"
    assert result.timestamp_s == sent.timestamp_s
    assert abs(result.timestamp_s - time.time()) < 60
    assert '"Thank you"' in result.raw
    assert (sent.account_id, sent.sender, sent.to, sent.body) == (
        ACCOUNT.account_id,
        OWN,
        PEER,
        "Thank you",
    )


def test_the_request_follows_the_contract(sandbox):
    send(sandbox.send_url, "Multi\nline ünïcode 😀")
    [request] = sandbox.sandbox.requests
    assert request["json"] == {
        "accountId": ACCOUNT.account_id,
        "apiToken": TOKEN,
        "from": OWN,
        "to": PEER,
        "body": "Multi\nline ünïcode 😀",
    }


@pytest.mark.parametrize(
    ("code", "kwargs", "category", "words"),
    [
        ("USER_ACCOUNT_MISSING", {"account_id": ""}, Category.CREDENTIALS, "Account ID"),
        ("API_TOKEN_MISSING", {"api_token": ""}, Category.CREDENTIALS, "API token"),
        ("USER_NOT_FOUND", {"account_id": "nobody"}, Category.CREDENTIALS, "Account ID"),
        ("API_TOKEN_INVALID", {"api_token": "stale-token"}, Category.CREDENTIALS, "API token"),
        ("NUMBER_NOT_FOUND", {"sender": "+447700900999"}, Category.SENDER, "+44 7700 900999"),
        ("NUMBER_OWNERSHIP", {"sender": "+447700900009"}, Category.SENDER, "+44 7700 900009"),
        ("MESSAGE_INVALID", {"body": ""}, Category.MESSAGE, "Edit it"),
    ],
)
def test_each_provider_error_code(sandbox, code, kwargs, category, words):
    body = kwargs.pop("body", "hello")
    with pytest.raises(ProviderError) as err:
        send(sandbox.send_url, body, **kwargs)
    exc = err.value
    assert exc.code == code
    assert exc.category is category
    assert words in exc.sentence
    assert exc.provider_text  # the provider's own words are kept for support
    assert exc.sentence.endswith(".") and code not in exc.sentence  # a sentence, not a code
    assert code in str(exc)
    assert not isinstance(exc, TransientError)
    assert sandbox.sandbox.sent == []


def test_a_number_of_another_account_is_named_in_the_sentence(sandbox):
    assert "+447700900009" in OTHER.numbers
    with pytest.raises(ProviderError) as err:
        send(sandbox.send_url, sender="+447700900009")
    assert err.value.sentence.startswith("The number +44 7700 900009 does not belong")


def test_an_unknown_error_code_keeps_the_providers_text(scripted):
    scripted.answer(
        {"status": "Error", "result": {"error_code": "RATE_PLAN_EXPIRED", "error": "Top up"}}
    )
    with pytest.raises(ProviderError) as err:
        send(scripted.url)
    exc = err.value
    assert (exc.code, exc.category, exc.provider_text) == (
        "RATE_PLAN_EXPIRED",
        Category.OTHER,
        "Top up",
    )
    assert "Top up" in exc.sentence and "RATE_PLAN_EXPIRED" in exc.sentence


def test_an_error_at_any_status_code_is_a_provider_error(scripted):
    scripted.answer(
        {"status": "Error", "result": {"error_code": "API_TOKEN_INVALID", "error": "no"}}, 401
    )
    with pytest.raises(ProviderError) as err:
        send(scripted.url)
    assert err.value.code == "API_TOKEN_INVALID"


def test_a_one_level_envelope_is_a_success(scripted):
    scripted.answer({"status": "OK", "result": {"id": "abc-1", "status": "queued"}})
    result = send(scripted.url)
    assert (result.provider_id, result.status, result.timestamp_s) == ("abc-1", "queued", None)


def test_an_error_inside_an_ok_envelope_is_a_provider_error(scripted):
    scripted.answer(
        {
            "status": "OK",
            "result": {
                "status": "Error",
                "result": {"error_code": "NUMBER_OWNERSHIP", "error": "not yours"},
            },
        }
    )
    with pytest.raises(ProviderError) as err:
        send(scripted.url, sender="+447700900002")
    assert err.value.code == "NUMBER_OWNERSHIP"
    assert "+44 7700 900002" in err.value.sentence


# -- faults -------------------------------------------------------------------------------------
def test_connection_refused_is_transient_not_ambiguous():
    with pytest.raises(TransientError) as err:
        send(closed_port_url())
    assert not isinstance(err.value, AmbiguousSendError)
    assert "127.0.0.1" in err.value.reason


@pytest.mark.parametrize("kind", ["http500", "http503", "http429", "http408"])
def test_unusable_answers_are_transient_not_ambiguous(sandbox, kind):
    sandbox.inject(kind)
    with pytest.raises(TransientError) as err:
        send(sandbox.send_url)
    assert not isinstance(err.value, AmbiguousSendError)
    assert not isinstance(err.value, ProviderError)
    assert err.value.reason
    assert sandbox.sandbox.sent == []  # the provider did not take it: safe to retry


@pytest.mark.parametrize("kind", ["garbage", "wrongshape"])
def test_a_2xx_that_cannot_be_read_is_a_send_without_an_id(sandbox, kind):
    # The provider took it (it is in its sent list): a retry would send it twice.
    sandbox.inject(kind)
    result = send(sandbox.send_url, "took it")
    assert (result.provider_id, result.status) == (None, "queued")
    assert [s.body for s in sandbox.sandbox.sent] == ["took it"]
    assert len(sandbox.sandbox.requests) == 1


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("30", 30.0), ("7200", 3600.0), ("in a while", None), ("", None)],
)
@pytest.mark.parametrize("kind", ["http429", "http503"])
def test_retry_after_comes_with_the_transient_error(sandbox, kind, header, seconds):
    sandbox.inject(kind, retry_after=header)
    with pytest.raises(TransientError) as err:
        send(sandbox.send_url)
    assert err.value.retry_after == seconds


def test_retry_after_as_an_http_date(scripted):
    from email.utils import formatdate

    scripted.answer(
        b"busy", 429, headers={"Retry-After": formatdate(time.time() + 90, usegmt=True)}
    )
    with pytest.raises(TransientError) as err:
        send(scripted.url)
    assert 85 <= err.value.retry_after <= 90


@pytest.mark.parametrize("kind", ["drop", "accept_then_drop"])
def test_a_dropped_connection_is_ambiguous(sandbox, kind):
    sandbox.inject(kind)
    with pytest.raises(AmbiguousSendError):
        send(sandbox.send_url)
    # accept_then_drop: the provider took the message; resending would send it twice.
    assert len(sandbox.sandbox.sent) == (1 if kind == "accept_then_drop" else 0)


def test_no_answer_within_the_timeout_is_ambiguous(sandbox):
    sandbox.inject("delay", seconds=3.0)
    started = time.monotonic()
    with pytest.raises(AmbiguousSendError) as err:
        send(sandbox.send_url, timeout=0.3)
    assert time.monotonic() - started < 2.5
    assert "answer" in err.value.reason


def test_a_short_delay_within_the_timeout_is_a_success(sandbox):
    sandbox.inject("delay", seconds=0.2)
    assert send(sandbox.send_url).status == "queued"


def test_after_a_fault_the_next_send_works(sandbox):
    sandbox.inject("http503")
    with pytest.raises(TransientError):
        send(sandbox.send_url)
    assert send(sandbox.send_url).status == "queued"


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("http400", "without saying why"),
        ("http403", "Account ID, API token and the API endpoint"),
        ("http404", "API endpoint was not found"),
    ],
)
def test_a_4xx_that_is_not_json_is_a_permanent_refusal(sandbox, kind, words):
    # A wrong endpoint or a proxy refusing the request answers the same every time: retrying it
    # with backoff would keep the message "sending" forever.
    status = int(kind.removeprefix("http"))
    sandbox.inject(kind)
    with pytest.raises(ProviderError) as err:
        send(sandbox.send_url)
    assert err.value.code == f"HTTP_{status}"
    assert err.value.category is Category.OTHER
    assert err.value.sentence.startswith(f"The provider rejected the request (HTTP {status})")
    assert words in err.value.sentence and "not sent" in err.value.sentence
    assert err.value.sentence.endswith(".")
    assert sandbox.sandbox.sent == []


def test_a_4xx_with_json_of_an_unknown_shape_is_a_permanent_refusal(scripted):
    scripted.answer({"message": "Not Found"}, 404)
    with pytest.raises(ProviderError) as err:
        send(scripted.url)
    assert err.value.code == "HTTP_404"


def test_a_4xx_with_the_providers_error_is_that_error(scripted):
    scripted.answer({"status": "Error", "result": {"error_code": "USER_NOT_FOUND"}}, 401)
    with pytest.raises(ProviderError) as err:
        send(scripted.url)
    assert err.value.code == "USER_NOT_FOUND"


# -- secrets ----------------------------------------------------------------------------------
def test_the_api_token_never_reaches_the_log(sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "voipdesk", "aiohttp"):
        caplog.set_level(logging.DEBUG, logger=name)
    send(sandbox.send_url, "ok")
    with pytest.raises(ProviderError):
        send(sandbox.send_url, sender="+447700900999")
    sandbox.inject("drop")
    with pytest.raises(AmbiguousSendError):
        send(sandbox.send_url)
    with pytest.raises(TransientError):
        send(closed_port_url())
    names = {r.name.split(".")[0] for r in caplog.records}
    assert {"httpcore", "voipdesk"} <= names  # DEBUG from the transport up was captured
    assert TOKEN not in caplog.text
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert TOKEN not in repr(record.args)


def test_the_client_repr_hides_the_token(sandbox):
    import httpx

    from voipdesk.provider.client import VoipNumberClient

    client = VoipNumberClient(httpx.AsyncClient(), url=sandbox.send_url, api_token=TOKEN)
    try:
        assert TOKEN not in repr(client)
    finally:
        import asyncio

        asyncio.run(client.http.aclose())
