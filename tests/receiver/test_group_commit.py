"""Storing webhooks: on disk before the 200, once each, a failing or slow commit is a 503."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.receiver.listener_support import OWN, PEER, Inbox, payload, stored
from voipdesk.core.models import Direction, Status
from voipdesk.receiver.listener import Listener
from voipdesk.store import Store


def test_a_message_is_on_disk_when_the_200_arrives(
    client: httpx.Client, url: str, db: Path
) -> None:
    doc = payload(extra_field={"kept": True})
    resp = client.post(url, json=doc, headers={"Host": "api.voipnumber.net"})
    assert resp.status_code == 200
    [message] = stored(db)  # a separate connection: only committed data is visible
    assert message.direction is Direction.IN
    assert message.status is Status.RECEIVED
    assert (message.peer_number, message.own_number) == (PEER, OWN)
    assert message.body == "text sent in SMS"
    assert message.provider_id == "mdr-1"
    assert message.provider_ts == 1716204585
    assert json.loads(message.raw or "") == doc  # unknown fields kept


def test_a_retried_message_is_stored_once(
    client: httpx.Client, url: str, db: Path, inbox: Inbox
) -> None:
    for _ in range(3):
        assert client.post(url, json=payload()).status_code == 200
    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(lambda _: httpx.post(url, json=payload()).status_code, range(10)))
    assert codes == [200] * 10
    assert [m.provider_id for m in stored(db)] == ["mdr-1"]
    time.sleep(0.2)
    assert [m.provider_id for m in inbox.messages] == ["mdr-1"]  # only what changed


def test_mms_attachment_links_are_kept(client: httpx.Client, url: str, db: Path) -> None:
    doc = payload(
        kind="mms",
        body="look https://not-an-attachment.example/x",
        media_url="https://media.example/a.jpg",
        media=[{"url": "http://media.example/b.png"}],
    )
    assert client.post(url, json=doc).status_code == 200
    [message] = stored(db)
    assert message.type == "mms"
    assert message.attachments == ("https://media.example/a.jpg", "http://media.example/b.png")
    assert message.body == "look https://not-an-attachment.example/x"


def test_html_and_script_are_stored_literally(client: httpx.Client, url: str, db: Path) -> None:
    text = "<script>alert('x')</script><b>bold</b> &amp; <img src=x onerror=1>\n\u202eevil"
    assert client.post(url, json=payload(body=text)).status_code == 200
    [message] = stored(db)
    assert message.body == text


def test_a_status_report_updates_a_sent_message(
    client: httpx.Client, url: str, db: Path, inbox: Inbox
) -> None:
    with Store(db) as store:
        sent = store.add_outgoing(OWN, PEER, "hello")
        store.update_outgoing(sent.id, status=Status.QUEUED, provider_id="feefcc83")
    report = {"status": "delivered", "id": "feefcc83", "to": PEER}
    assert client.post(url, json=report).status_code == 200
    [message] = stored(db)
    assert message.status is Status.DELIVERED
    [reported] = inbox.wait_for(1)
    assert reported.id == sent.id and reported.status is Status.DELIVERED


def test_a_status_report_for_an_unknown_message_is_harmless(
    client: httpx.Client, url: str, db: Path
) -> None:
    resp = client.post(url, json={"status": "delivered", "mdr_id": "never-sent"})
    assert resp.status_code == 200
    assert stored(db) == []


def test_on_messages_gets_each_new_message(client: httpx.Client, url: str, inbox: Inbox) -> None:
    with ThreadPoolExecutor(8) as pool:
        codes = list(
            pool.map(lambda i: httpx.post(url, json=payload(f"m{i}")).status_code, range(40))
        )
    assert codes == [200] * 40
    got = inbox.wait_for(40)
    assert sorted(m.provider_id for m in got) == sorted(f"m{i}" for i in range(40))
    assert inbox.calls <= 40  # batches may group several


def test_a_failing_store_answers_503_and_spares_the_rest(
    client: httpx.Client, url: str, db: Path
) -> None:
    # A real SQLite failure for one message: the provider must retry it, its neighbours land.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON messages WHEN new.body = 'boom'"
            " BEGIN SELECT RAISE(ABORT, 'disk says no'); END"
        )
    docs = [payload(f"ok{i}") for i in range(20)]
    docs.insert(10, payload("bad", body="boom"))
    with ThreadPoolExecutor(21) as pool:
        codes = list(pool.map(lambda d: httpx.post(url, json=d).status_code, docs))
    assert codes.pop(10) == 503
    assert codes == [200] * 20
    assert sorted(m.provider_id for m in stored(db)) == sorted(f"ok{i}" for i in range(20))


def test_a_commit_slower_than_the_timeout_is_a_503_and_the_next_request_is_fine(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from voipdesk.receiver import group_commit
    from voipdesk.receiver.group_commit import GroupCommit

    monkeypatch.setattr(group_commit, "_STORE_TIMEOUT", 0.3)
    real = GroupCommit._store_batch
    slow = threading.Event()

    def store_batch(self, items):
        if slow.is_set():
            time.sleep(0.8)  # a disk that hangs for a moment
        return real(self, items)

    monkeypatch.setattr(GroupCommit, "_store_batch", store_batch)
    listener = Listener(db, "s3cret-path-0123456789")
    listener.start()
    try:
        target = listener.local_url + listener.webhook_path
        slow.set()
        assert httpx.post(target, json=payload("late"), timeout=5).status_code == 503
        slow.clear()
        time.sleep(0.6)  # the slow commit ends
        assert httpx.post(target, json=payload("on time"), timeout=5).status_code == 200
    finally:
        listener.stop()
    # The late one was stored all the same: the provider's retry of it is a duplicate.
    assert sorted(m.provider_id for m in stored(db)) == ["late", "on time"]
