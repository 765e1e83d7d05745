"""Webhook values at the edges of what JSON can say, over a real listener and SQLite file:
stored, never answered 5xx, and never taking the webhooks that arrive beside them down too."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store

SECRET = "edge-secret-Zm9vYmFyYmF6cXV4"
OWN, PEER = "+447476553275", "+447445459147"


@pytest.fixture
def listener(tmp_path: Path):
    lst = Listener(tmp_path / "voipdesk.sqlite3", SECRET, max_body=64 * 1024)
    lst.start()
    yield lst
    lst.stop()


@pytest.mark.parametrize("ts", ["1e999", "-1e999", "NaN", str(10**20), str(-(10**20)), "1e300"])
def test_an_impossible_timestamp_is_stored_without_it(listener: Listener, tmp_path: Path, ts):
    url = listener.local_url + listener.webhook_path
    doc = json.dumps(webhook_body(PEER, OWN, "odd clock", mdr_id="odd", ts=0))
    odd = doc.replace('"mdr_timestamp_s": 0', f'"mdr_timestamp_s": {ts}').encode()
    neighbours = [
        json.dumps(webhook_body(PEER, OWN, f"beside {i}", mdr_id=f"n-{i}", ts=1716204585)).encode()
        for i in range(20)
    ]
    headers = {"Content-Type": "application/json"}
    with httpx.Client(timeout=10) as client, ThreadPoolExecutor(8) as pool:
        # Sent together, so that the odd one lands in a batch with others.
        answers = list(
            pool.map(lambda b: client.post(url, content=b, headers=headers), [odd, *neighbours])
        )
    assert [a.status_code for a in answers] == [200] * 21
    with Store(tmp_path / "voipdesk.sqlite3") as store:
        bodies = sorted(m.body for m in store.all_messages())
    assert bodies == sorted(["odd clock", *(f"beside {i}" for i in range(20))])
