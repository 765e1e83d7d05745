"""Fixtures for the store tests: a fresh store file per test, and helpers to fill it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from voipdesk.core.models import InboundMessage
from voipdesk.store import Store, database_path

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


@pytest.fixture
def store(tmp_path, clock) -> Iterator[Store]:
    with Store(database_path(tmp_path), clock=clock) as s:
        yield s
