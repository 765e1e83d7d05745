"""A webhook whose text holds a NUL character (valid JSON: "\\u0000") is answered 200 and kept,
with the same visible result in both stores (U+FFFD, store/text.py): never a 503, never lost."""

from __future__ import annotations

import httpx
import pytest

from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import StoreOpener, open_store

SECRET = "test-secret-Zm9vYmFyYmF6cXV4"


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request, tmp_path):
    if request.param == "postgresql":
        return request.getfixturevalue("pg_url")
    return tmp_path


def test_a_webhook_with_a_nul_is_answered_200_and_kept(location):
    listener = Listener(StoreOpener(location), SECRET)
    listener.start()
    try:
        url = listener.local_url + listener.webhook_path
        doc = webhook_body("+447445459147", "+447476553275", "a\x00b", mdr_id="m\x001", ts=1)
        assert "\\u0000" in httpx.Request("POST", url, json=doc).content.decode()
        for _ in range(2):  # and its redelivery
            assert httpx.post(url, json=doc, timeout=10).status_code == 200
    finally:
        listener.stop()
    with open_store(location) as store:
        assert [(m.body, m.provider_id) for m in store.all_messages()] == [("a\ufffdb", "m\ufffd1")]
