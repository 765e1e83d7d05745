"""The listener's full check of the database (receiver/store_check.py) reads every page once per
start, beside the first webhooks (often a burst the provider held while voipdesk was away): it
runs at the lowest priority there is, and the writes that store the webhooks do not."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import httpx
import pytest

from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store, database_path

SECRET = "test-secret-Zm9vYmFyYmF6cXV4"

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE")


class Watched(Store):
    """A real store that notes the scheduling policy of the threads that check and write it."""

    seen: dict[str, list[int]]

    def check(self) -> None:
        self.seen["check"].append(os.sched_getscheduler(0))
        super().check()

    def record_webhooks(self, items):
        self.seen["write"].append(os.sched_getscheduler(0))
        return super().record_webhooks(items)


def test_the_check_runs_at_the_lowest_priority_and_the_writes_do_not(tmp_path: Path) -> None:
    seen: dict[str, list[int]] = {"check": [], "write": []}

    def opener() -> Watched:
        store = Watched(database_path(tmp_path))
        store.seen = seen
        return store

    listener = Listener(opener, SECRET)
    listener.start()
    try:
        assert listener.checked.wait(10)
        doc = webhook_body("+447445459147", "+447476553275", "hi", mdr_id="m1", ts=1716204585)
        url = listener.local_url + listener.webhook_path
        assert httpx.post(url, json=doc, timeout=10).status_code == 200
    finally:
        listener.stop()
    assert seen == {"check": [os.SCHED_IDLE], "write": [os.SCHED_OTHER]}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # (nor this thread)
    with Store(database_path(tmp_path)) as store:
        assert [m.provider_id for m in store.all_messages()] == ["m1"]
    assert not [t for t in threading.enumerate() if t.name == "voipdesk-store-check"]
