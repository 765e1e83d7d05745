import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import datetime as dt
import itertools

import pytest

from tests.ui.dbus_support import notification_server, session_bus  # noqa: F401 (fixtures)
from voipdesk.core.models import InboundMessage, Message, Status
from voipdesk.store.store import Store

OWN = "+447700900001"  # the user's own number in every seeded conversation


class Clock:
    """A settable clock for the store, so tests decide when messages were stored."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now


@pytest.fixture
def clock() -> Clock:
    # 09:00 three days ago, local time: far enough back for "Yesterday" and a date label.
    start = dt.datetime.combine(dt.date.today() - dt.timedelta(days=3), dt.time(9, 0))
    return Clock(start.timestamp())


@pytest.fixture
def store(tmp_path, clock):
    with Store(tmp_path / "voipdesk.sqlite3", clock=clock) as db:
        yield db


class Seeder:
    """Puts messages into a real Store the way the receiver and the outbox do."""

    _ids = itertools.count(1)
    own = OWN

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def conversation_id(self, peer: str) -> int:
        return self.store.conversation_for(OWN, peer).id

    def _inbound(self, peer: str, body: str, at: float, own: str) -> InboundMessage:
        return InboundMessage(
            from_number=peer,
            to_number=own,
            body=body,
            type="sms",
            mdr_id=f"mdr-{next(self._ids)}",
            provider_ts=int(at),
            raw="{}",
        )

    def inbound(self, peer: str, body: str, *, own: str = OWN, at: float | None = None) -> Message:
        if at is not None:
            self.clock.now = at
        message, _new = self.store.add_inbound(self._inbound(peer, body, self.clock.now, own))
        return message

    def outgoing(
        self,
        peer: str,
        body: str,
        *,
        own: str = OWN,
        at: float | None = None,
        status: Status = Status.DELIVERED,
        error: str | None = None,
    ) -> Message:
        if at is not None:
            self.clock.now = at
        message = self.store.add_outgoing(own, peer, body)
        if status is not Status.SENDING:
            fields: dict = {"status": status}
            if error:
                fields.update(error_text=error, error_code="TEST")
            message = self.store.update_outgoing(message.id, **fields)
        return message

    def many_inbound(
        self, peer: str, count: int, *, start: float, step: float = 60, own: str = OWN
    ) -> None:
        """`count` inbound messages in one transaction, `step` seconds apart."""
        items = [self._inbound(peer, f"message {i}", start + i * step, own) for i in range(count)]
        self.clock.now = start + count * step
        self.store.record_webhooks(items)


@pytest.fixture
def seed(store, clock) -> Seeder:
    return Seeder(store, clock)


@pytest.fixture
def three(seed, clock):
    """Alice (oldest), Bob, Carol (newest), one message each, read (the conversation list's
    tests)."""
    from tests.ui.conversations_support import ALICE, BOB, CAROL

    out = {}
    for peer in (ALICE, BOB, CAROL):
        clock.advance(60)
        out[peer] = seed.inbound(peer, f"hello from {peer}").conversation_id
        seed.store.mark_read(out[peer])
    return out


@pytest.fixture
def paints():
    """paints(widget) -> a list that gets the rect of every paint event the widget has from
    now on (to check what a change repaints)."""
    from PySide6.QtCore import QEvent, QObject

    spies = []

    class Spy(QObject):
        def __init__(self, rects: list) -> None:
            super().__init__()
            self.rects = rects

        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.rects.append(event.rect())
            return False

    def watch(widget) -> list:
        spy = Spy([])
        widget.installEventFilter(spy)
        spies.append(spy)
        return spy.rects

    yield watch


_ENV = (
    "VOIPDESK_API_TOKEN",
    "VOIPDESK_NGROK_AUTHTOKEN",
    "VOIPDESK_ACCOUNT_ID",
    "VOIPDESK_COUNTRY",
    "VOIPDESK_API_URL",
    "VOIPDESK_WEBHOOK_PORT",
    "VOIPDESK_TUNNEL",
)


@pytest.fixture
def settings(tmp_path, monkeypatch):
    """Settings in a temp data dir, with no voipdesk environment variable set."""
    from voipdesk.settings import Settings

    for name in _ENV:
        monkeypatch.delenv(name, raising=False)
    return Settings.load(tmp_path)
