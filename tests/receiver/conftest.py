"""Fixtures of the listener's tests: a started listener on a temp database, a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.receiver.listener_support import SECRET, Inbox
from voipdesk.receiver.listener import Listener


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "voipdesk.sqlite3"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def listener(db: Path, inbox: Inbox) -> Iterator[Listener]:
    lst = Listener(db, SECRET, max_body=64 * 1024, on_messages=inbox)
    lst.start()
    yield lst
    lst.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def url(listener: Listener) -> str:
    return listener.local_url + listener.webhook_path
