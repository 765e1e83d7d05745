"""The send endpoint over real HTTP: the success envelope and every documented error."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from voipdesk.provider.errors import KNOWN_CODES
from voipdesk.sandbox import DEMO_ACCOUNT, ERROR_TEXTS, SandboxThread

from .conftest import FIXED_TS

MISSING = object()
GOOD = {
    "accountId": "demo-account",
    "apiToken": "demo-token",
    "from": "+447700900001",
    "to": "+447700900555",
    "body": "Thank you",
}


def request(client: httpx.Client, sandbox: SandboxThread, **changes: Any) -> httpx.Response:
    doc = {k: v for k, v in {**GOOD, **changes}.items() if v is not MISSING}
    return client.post(sandbox.send_url, json=doc)


def test_success_is_the_double_envelope_of_the_page(sandbox, client):
    response = request(client, sandbox)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    doc = response.json()
    assert list(doc) == ["status", "result"] and doc["status"] == "OK"
    assert list(doc["result"]) == ["status", "result"] and doc["result"]["status"] == "OK"
    record = doc["result"]["result"]
    assert record == {
        "status": "queued",
        "body": "Thank you",
        "timestamp_s": FIXED_TS,
        "created": "20 May 2024 08:28:37",
        "id": record["id"],
    }
    assert type(record["timestamp_s"]) is int
    assert uuid.UUID(record["id"]).version == 4
    assert str(uuid.UUID(record["id"])) == record["id"]


def test_accepted_send_is_recorded(sandbox, client):
    first = request(client, sandbox, body="héllo ✓ 👋").json()["result"]["result"]
    second = request(client, sandbox, to="+447700900666").json()["result"]["result"]

    assert first["body"] == "héllo ✓ 👋"
    assert first["id"] != second["id"]
    sent = sandbox.call(lambda: list(sandbox.sandbox.sent))
    assert [(s.account_id, s.sender, s.to, s.body, s.id, s.timestamp_s) for s in sent] == [
        ("demo-account", "+447700900001", "+447700900555", "héllo ✓ 👋", first["id"], FIXED_TS),
        ("demo-account", "+447700900001", "+447700900666", "Thank you", second["id"], FIXED_TS),
    ]
    requests = sandbox.sandbox.requests
    assert [r["status"] for r in requests] == [200, 200]
    assert requests[0]["json"]["body"] == "héllo ✓ 👋"
    assert requests[0]["time"] == FIXED_TS + 0.4
    assert requests[0]["fault"] is None


def test_second_number_and_other_account_can_send(sandbox, client):
    assert request(client, sandbox, **{"from": "+447700900002"}).json()["status"] == "OK"
    other = {"accountId": "other-account", "apiToken": "other-token", "from": "+447700900009"}
    assert request(client, sandbox, **other).json()["status"] == "OK"
    assert [s.account_id for s in sandbox.sandbox.sent] == ["demo-account", "other-account"]


ERROR_CASES = [
    ("no-account-id", {"accountId": MISSING}, "USER_ACCOUNT_MISSING"),
    ("empty-account-id", {"accountId": ""}, "USER_ACCOUNT_MISSING"),
    ("blank-account-id", {"accountId": "   "}, "USER_ACCOUNT_MISSING"),
    ("null-account-id", {"accountId": None}, "USER_ACCOUNT_MISSING"),
    ("account-checked-before-token", {"accountId": "", "apiToken": ""}, "USER_ACCOUNT_MISSING"),
    ("no-token", {"apiToken": MISSING}, "API_TOKEN_MISSING"),
    ("empty-token", {"apiToken": ""}, "API_TOKEN_MISSING"),
    ("token-checked-before-user", {"accountId": "nobody", "apiToken": ""}, "API_TOKEN_MISSING"),
    ("unknown-account", {"accountId": "nobody"}, "USER_NOT_FOUND"),
    ("unknown-account-any-token", {"accountId": "nobody", "apiToken": "x"}, "USER_NOT_FOUND"),
    ("wrong-token", {"apiToken": "demo-token-old"}, "API_TOKEN_INVALID"),
    ("other-accounts-token", {"apiToken": "other-token"}, "API_TOKEN_INVALID"),
    ("non-ascii-token", {"apiToken": "démo-token"}, "API_TOKEN_INVALID"),
    ("unknown-from", {"from": "+447700900999"}, "NUMBER_NOT_FOUND"),
    ("no-from", {"from": MISSING}, "NUMBER_NOT_FOUND"),
    ("list-from", {"from": ["+447700900001"]}, "NUMBER_NOT_FOUND"),
    ("from-of-other-account", {"from": "+447700900009"}, "NUMBER_OWNERSHIP"),
    ("no-body", {"body": MISSING}, "MESSAGE_INVALID"),
    ("empty-body", {"body": ""}, "MESSAGE_INVALID"),
    ("number-body", {"body": 42}, "MESSAGE_INVALID"),
    ("null-body", {"body": None}, "MESSAGE_INVALID"),
    ("no-to", {"to": MISSING}, "MESSAGE_INVALID"),
    ("number-to", {"to": 447700900555}, "MESSAGE_INVALID"),
    ("empty-to", {"to": ""}, "MESSAGE_INVALID"),
]


@pytest.mark.parametrize(
    ("changes", "code"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_error_code_for_the_input_that_causes_it(sandbox, client, changes, code):
    response = request(client, sandbox, **changes)

    assert response.status_code == 200
    assert response.json() == {
        "status": "Error",
        "result": {"error_code": code, "error": ERROR_TEXTS[code]},
    }
    assert sandbox.sandbox.sent == []
    assert sandbox.sandbox.requests[-1]["status"] == 200


@pytest.mark.parametrize("content", [b"not json", b"[1, 2]", b'"text"', b"\xff\xfe{}", b""])
def test_body_that_is_not_a_json_object_is_message_invalid(sandbox, client, content):
    response = client.post(
        sandbox.send_url, content=content, headers={"Content-Type": "application/json"}
    )

    assert response.json()["result"]["error_code"] == "MESSAGE_INVALID"
    assert sandbox.sandbox.requests[-1]["json"] in (None, [1, 2], "text")


def test_every_error_code_is_reachable_with_the_provider_texts():
    assert set(ERROR_TEXTS) == set(KNOWN_CODES)
    assert {c[2] for c in ERROR_CASES} == set(KNOWN_CODES)
    assert ERROR_TEXTS["USER_NOT_FOUND"] == "User not found"
    assert ERROR_TEXTS["MESSAGE_INVALID"] == "Coding syntax error"


def test_regenerated_token_makes_the_old_one_invalid(sandbox, client):
    def regenerate() -> None:
        sandbox.sandbox.accounts["demo-account"].api_token = "fresh-token"

    sandbox.call(regenerate)

    assert request(client, sandbox).json()["result"]["error_code"] == "API_TOKEN_INVALID"
    assert request(client, sandbox, apiToken="fresh-token").json()["status"] == "OK"
    assert DEMO_ACCOUNT.api_token == "demo-token"  # the sandbox works on its own copy


def test_other_paths_and_methods(sandbox, client):
    assert client.post(sandbox.url + "/v1/sms/sendx", json=GOOD).status_code == 404
    assert client.post(sandbox.url + "/", json=GOOD).status_code == 404
    assert client.get(sandbox.send_url).status_code == 405
    assert sandbox.sandbox.requests == []


def test_binds_to_localhost_only(sandbox):
    assert sandbox.url.startswith("http://127.0.0.1:")
    assert sandbox.send_url == sandbox.url + "/v1/sms/send"
