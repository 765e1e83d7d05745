"""Fixtures for the store tests: a fresh store per test, and helpers to fill it.

The modules in BEHAVIOUR speak of what a store does, whichever backend holds it: their tests run
against both, the SQLite file and the shared store on the tests' private PostgreSQL server
(tests/pg_support.py), through the `store` and `location` fixtures."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from voipdesk.core.models import InboundMessage
from voipdesk.store import Store, open_store

OWN = "+447700900001"
OWN2 = "+447700900002"
PEER = "+447700900100"
PEER2 = "+447700900200"

_mdr = itertools.count(1)


def inbound(
    body: str = "hi",
    *,
    frm: str = PEER,
    to: str = OWN,
    mdr_id: str | None = None,
    ts: int | None = 1716204585,
    kind: str = "sms",
) -> InboundMessage:
    return InboundMessage(
        from_number=frm,
        to_number=to,
        body=body,
        type=kind,
        mdr_id=mdr_id or f"mdr-{next(_mdr)}",
        provider_ts=ts,
        raw='{"status": "received"}',
    )


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_716_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


BACKENDS = ("sqlite", "postgresql")
BEHAVIOUR = {
    "test_conformance",
    "test_contacts",
    "test_conversations",
    "test_delete_and_early_reports",
    "test_flags",
    "test_ingest",
    "test_messages",
    "test_nul",
    "test_outbox_rows",
    "test_reports",
    "test_scheduled_rows",
    "test_search",
    "test_webhook_batches",
}


def pytest_generate_tests(metafunc):
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if "backend" in metafunc.fixturenames and module in BEHAVIOUR:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request) -> str:
    """Which store the test runs on: both, in the BEHAVIOUR modules; SQLite elsewhere."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def location(backend, tmp_path, request) -> str | object:
    """Where a fresh store is: a data folder, or a fresh database on the private server."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_url")
    return tmp_path


@pytest.fixture
def store(location, clock) -> Iterator[Store]:
    with open_store(location, clock=clock) as s:
        yield s


def peek(store: Store, sql: str, args: tuple = ()) -> list[tuple]:
    """Read rows behind the store's back (what no public method shows), in SQLite's `?` style
    whichever backend holds them."""
    if type(store).__name__ == "PgStore":
        sql = sql.replace("?", "%s")
    return store._read(sql, args)
