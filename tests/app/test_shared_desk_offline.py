"""A desk's Send while the shared database goes away mid-run (a PostgreSQL server of the test's
own, stopped and started; the sandbox over real HTTP counts what reaches VoIP Number): a message
the database did not take is refused with a sentence and its text kept in the box, never lost;
one VoIP Number took while the database was away is recorded as sent once it is back. Either
way it reaches VoIP Number exactly once."""

import asyncio

import pytest
from PySide6.QtCore import Qt

from tests.app import test_shared_desk
from tests.app.test_e2e import thread_message
from tests.app.test_shared_desk import desk
from tests.app.test_shared_desk_live import sent, started, type_and_send
from tests.pg_support import TESTS_DB
from tests.store.conftest import OWN, PEER, inbound
from voipdesk.core.models import Status
from voipdesk.store import open_store
from voipdesk.ui.new_message import NewMessageDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

sandbox, desk_env = test_shared_desk.sandbox, test_shared_desk.desk_env

SENT = (Status.QUEUED, Status.DELIVERED)


def stored(url: str, body: str) -> list[Status]:
    with open_store(url, sends=False) as store:
        conversation = store.conversation_for(OWN, PEER)
        return [m.status for m in store.messages(conversation.id) if m.body == body]


def status(window, body: str) -> Status | None:
    message = thread_message(window, body)
    return message.status if message is not None else None


def test_send_while_the_shared_database_is_down_is_refused_and_the_text_kept(
    aio, own_cluster, sandbox, desk_env, tmp_path, qtbot
):
    url = own_cluster.url(TESTS_DB)
    with open_store(url) as server:
        server.add_inbound(inbound("Are you open today?"))
    app = desk(tmp_path, url)
    try:
        window = started(aio, qtbot, app, "Are you open today?")
        aio(asyncio.to_thread(own_cluster.halt))  # the database server goes away

        type_and_send(qtbot, window, "Yes, until six")
        # Said in a sentence; the text is back in the box, not lost; nothing left.
        qtbot.waitUntil(lambda: window.compose.draft() == "Yes, until six", timeout=20000)
        bar = window.statusBar()
        said = bar.toolTip() or bar.currentMessage()  # (the whole sentence, when shortened)
        assert said.startswith("Not sent: the shared inbox cannot be reached."), said
        assert "send it again" in said
        assert bar.level == "warning"
        assert thread_message(window, "Yes, until six") is None  # no bubble that never goes
        assert sent(sandbox) == []

        aio(asyncio.to_thread(own_cluster.resume))  # back: the user presses Send again
        qtbot.waitUntil(lambda: not window.shared_desk.line.isVisible(), timeout=30000)
        type_and_send(qtbot, window, "")
        qtbot.waitUntil(lambda: status(window, "Yes, until six") in SENT, timeout=20000)
        assert window.compose.draft() == ""
        assert sent(sandbox) == ["Yes, until six"]
        assert stored(url, "Yes, until six") == [Status.QUEUED]
    finally:
        aio(app.shutdown())


def test_a_message_sent_while_the_database_went_away_is_recorded_once_it_is_back(
    aio, own_cluster, sandbox, desk_env, tmp_path, qtbot
):
    url = own_cluster.url(TESTS_DB)
    with open_store(url) as server:
        server.add_inbound(inbound("Is my order ready?"))
    app = desk(tmp_path, url)
    try:
        window = started(aio, qtbot, app, "Is my order ready?")
        sandbox.inject("delay", seconds=3)  # VoIP Number answers slowly...
        type_and_send(qtbot, window, "Ready at noon")
        requests = lambda: sandbox.call(lambda: len(sandbox.sandbox.requests))  # noqa: E731
        qtbot.waitUntil(lambda: requests() == 1, timeout=10000)
        aio(asyncio.to_thread(own_cluster.halt))  # ...and the database goes away meanwhile
        qtbot.waitUntil(lambda: sent(sandbox) == ["Ready at noon"], timeout=10000)
        # Away longer than a write waits for a connection (5 s): the answer cannot be recorded.
        qtbot.wait(7000)
        assert status(window, "Ready at noon") is Status.SENDING

        aio(asyncio.to_thread(own_cluster.resume))
        qtbot.waitUntil(lambda: status(window, "Ready at noon") in SENT, timeout=30000)
        assert sent(sandbox) == ["Ready at noon"]
        assert stored(url, "Ready at noon") == [Status.QUEUED]
    finally:
        aio(app.shutdown())


def new_message_box(window):
    return next((d for d in window.findChildren(NewMessageDialog) if d.isVisible()), None)


def test_a_new_message_while_the_shared_database_is_down_comes_back_to_its_box(
    aio, own_cluster, sandbox, desk_env, tmp_path, qtbot
):
    url = own_cluster.url(TESTS_DB)
    with open_store(url) as server:
        server.add_inbound(inbound("Hello"))
    app = desk(tmp_path, url)
    try:
        window = started(aio, qtbot, app, "Hello")
        aio(asyncio.to_thread(own_cluster.halt))

        window.actions.new_message()
        qtbot.waitUntil(lambda: new_message_box(window) is not None, timeout=3000)
        box = new_message_box(window)
        qtbot.keyClicks(box.to_edit, "07700 900555")
        box.text_edit.setPlainText("Your table is booked")
        qtbot.keyClick(box.to_edit, Qt.Key.Key_Return)
        # Not started, so not sent: said, and the box comes back with what was written.
        qtbot.waitUntil(lambda: new_message_box(window) not in (None, box), timeout=20000)
        again = new_message_box(window)
        assert again.text_edit.toPlainText() == "Your table is booked"
        assert again.to_edit.text() == "07700 900555"
        bar = window.statusBar()
        assert (bar.toolTip() or bar.currentMessage()).startswith("Not sent:")
        assert sent(sandbox) == []

        aio(asyncio.to_thread(own_cluster.resume))
        qtbot.waitUntil(lambda: not window.shared_desk.line.isVisible(), timeout=30000)
        qtbot.keyClick(again.to_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: status(window, "Your table is booked") in SENT, timeout=20000)
        assert sent(sandbox) == ["Your table is booked"]
    finally:
        aio(app.shutdown())
