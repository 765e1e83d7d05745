"""The listener given a StoreOpener (a location) instead of a database file."""

from __future__ import annotations

from pathlib import Path

import httpx

from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store, StoreOpener, database_path

SECRET = "test-secret-Zm9vYmFyYmF6cXV4"


def test_a_listener_opens_its_store_from_an_opener(tmp_path: Path) -> None:
    listener = Listener(StoreOpener(tmp_path), SECRET)
    listener.start()
    try:
        doc = webhook_body("+447445459147", "+447476553275", "hi", mdr_id="m1", ts=1716204585)
        url = listener.local_url + listener.webhook_path
        assert httpx.post(url, json=doc, timeout=10).status_code == 200
    finally:
        listener.stop()
    with Store(database_path(tmp_path)) as store:
        assert [m.provider_id for m in store.all_messages()] == ["m1"]
