"""The desktop app as a desk on the shared inbox (a real PostgreSQL server, the sandbox over
real HTTP): it starts no listener, shows what the server stores live in its list and open
thread, sends through the shared outbox with the user's name, and makes no store call on the
GUI thread."""

import asyncio
import re
import socket
import time

import pytest
from PySide6.QtCore import Qt

from tests.app.test_flows import bodies
from tests.store.conftest import OWN, PEER, PEER2, inbound
from tests.store_calls import StoreCalls
from tests.ui.thread_support import open_conversation
from voipdesk import app_shared
from voipdesk.app import Controller, make_application
from voipdesk.cli import build_parser
from voipdesk.core.models import Direction
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.settings import Settings
from voipdesk.store import open_store
from voipdesk.store.choice import DatabaseRefused, chosen_database

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def sandbox():
    with SandboxThread(Sandbox((DEMO_ACCOUNT,))) as running:
        yield running


@pytest.fixture
def desk_env(monkeypatch, sandbox):
    monkeypatch.setenv("VOIPDESK_ACCOUNT_ID", DEMO_ACCOUNT.account_id)
    monkeypatch.setenv("VOIPDESK_API_TOKEN", DEMO_ACCOUNT.api_token)
    monkeypatch.setenv("VOIPDESK_API_URL", sandbox.send_url)
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")


def desk(tmp_path, url: str, name: str = "Ana") -> Controller:
    settings = Settings.load(tmp_path)
    settings.numbers = [OWN]
    settings.your_name = name
    settings.save()
    return Controller(make_application(), tmp_path, confirm_quit=False, database=url)


def shown(window) -> list[str]:
    """The open thread's messages (none while it is read again)."""
    return bodies(window) if window.thread.model is not None else []


def listed(window) -> list[str]:
    model = window.conversation_model
    return [model.conversation(r).last_body for r in range(model.rowCount())]


def minutes_near(when: float) -> set[str]:
    """The HH:MM a "last seen" about `when` may say (a test run can cross a minute)."""
    return {time.strftime("%H:%M", time.localtime(when + d)) for d in (-10, 0, 10)}


def last_seen(text: str) -> str | None:
    """The HH:MM in "Shared inbox: server last seen 14:05" or "Server last seen 14:05 (on…"."""
    found = re.search(r"[Ss]erver last seen (\d\d:\d\d)", text)
    return found.group(1) if found else None


def test_the_app_takes_a_shared_database_but_not_its_password_on_the_command_line():
    args = build_parser().parse_args(["--database", "postgresql://ana@office/voipdesk"])
    assert chosen_database(args.database, {}, "app") == "postgresql://ana@office/voipdesk"
    env = {"VOIPDESK_DATABASE_URL": "postgresql://ana@office/voipdesk"}
    assert chosen_database(None, env, "app") == "postgresql://ana@office/voipdesk"
    with pytest.raises(DatabaseRefused, match="password"):
        chosen_database("postgresql://ana:secret@office/voipdesk", {}, "app")


def test_a_desk_shows_what_the_server_stores_live_and_sends_with_its_name(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot, monkeypatch
):
    server = open_store(pg_url)  # what `voipdesk serve` stores webhooks with
    server.add_inbound(inbound("Is the shop open?"))
    beat = server.beat(time.time() - 60)  # a running `voipdesk serve`
    app = desk(tmp_path, pg_url)
    calls = StoreCalls()
    calls.install(monkeypatch)
    try:
        with calls.watching():
            assert app.show_first() is None and app.window is None  # nothing read before
            aio(app.start())
            window = app.window
            assert app.services.shared and app.services.listener is None  # the server receives
            qtbot.waitUntil(lambda: listed(window) == ["Is the shop open?"], timeout=10000)
            qtbot.waitUntil(lambda: window.conversation_id is not None, timeout=5000)
            qtbot.waitUntil(lambda: shown(window) == ["Is the shop open?"], timeout=5000)
            qtbot.waitUntil(lambda: app.services.shared_inbox.feed.last is not None, timeout=10000)

            # Not this desk's listener: the server receives, last seen a moment ago.
            seen = minutes_near(beat.seen_at)
            button = window.receiving.button
            qtbot.waitUntil(lambda: last_seen(button.text()) in seen)
            window.show_connection()
            panel = window.connection_panel
            assert "server (voipdesk serve) receives" in panel.receiving_label.text()
            assert "no listener" in panel.receiving_label.text()
            assert last_seen(panel.server_label.text()) in seen
            # This computer's (absent) listener never says "not running" over it.
            app.services.receiving_changed.emit(app.services.receiving)
            assert last_seen(button.text()) in seen
            assert last_seen(panel.server_label.text()) in seen
            window.receiving.connection_dialog.close()

            # The shared store stops answering, then answers again: one line says so meanwhile.
            line = window.shared_desk.line
            why = "voipdesk cannot reach the shared database postgresql://ana@db/v (refused)."
            app.services.shared_inbox._on_state(why)
            assert line.isVisible() and "keeps trying" in line.label.text()
            assert "postgresql://" not in line.label.text()  # short words; the details:
            assert line.label.toolTip() == why
            app.services.shared_inbox._on_state(None)
            assert not line.isVisible()

            # The server stores a text: it shows in the list and the open thread, live.
            server.add_inbound(inbound("And on Sunday?"))
            qtbot.waitUntil(
                lambda: shown(window) == ["Is the shop open?", "And on Sunday?"], timeout=10000
            )
            qtbot.waitUntil(lambda: listed(window) == ["And on Sunday?"], timeout=5000)

            # The user answers: VoIP Number gets it once, stored with the user's name.
            open_conversation(qtbot, window, window.conversation_id)
            window.compose.editor.setFocus()
            qtbot.keyClicks(window.compose.editor, "Yes, until six")
            qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)

            def sent():
                return sandbox.call(lambda: [r.body for r in sandbox.sandbox.sent])

            qtbot.waitUntil(lambda: "Yes, until six" in sent(), timeout=10000)
            qtbot.waitUntil(lambda: listed(window) == ["Yes, until six"], timeout=5000)
            qtbot.wait(300)
            assert sent().count("Yes, until six") == 1

            # Another desk reads a conversation: this desk's list stops counting it unread.
            server.add_inbound(inbound("Cake for Saturday?", frm=PEER2))
            model = window.conversation_model

            def unread(body):
                rows = [model.conversation(r) for r in range(model.rowCount())]
                return [c.unread_count for c in rows if c.last_body == body]

            qtbot.waitUntil(lambda: unread("Cake for Saturday?") == [1], timeout=10000)
            other = server.conversation_for(OWN, PEER2)
            server.mark_read(other.id)
            qtbot.waitUntil(lambda: unread("Cake for Saturday?") == [0], timeout=10000)
        assert not calls.calls, calls.report()
        conversation = server.conversation_for(OWN, PEER)
        stored = [m for m in server.messages(conversation.id) if m.body == "Yes, until six"]
        assert [(m.direction, m.sent_by) for m in stored] == [(Direction.OUT, "Ana")]
    finally:
        aio(app.shutdown())
        server.close()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_shared_inbox_at_start_still_shows_a_window_that_says_so(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot, monkeypatch
):
    monkeypatch.setattr(app_shared, "RETRY_EVERY", 0.5)
    app = desk(tmp_path, f"postgresql://ana@127.0.0.1:{closed_port()}/voipdesk")
    calls = StoreCalls()
    calls.install(monkeypatch)
    starting = None
    try:
        with calls.watching():
            app.show_first()
            starting = asyncio.ensure_future(app.start())
            qtbot.waitUntil(
                lambda: app.waiting_window is not None and app.waiting_window.label.isVisible(),
                timeout=15000,
            )
            text = app.waiting_window.label.text()
            assert "127.0.0.1" in text and "keeps trying" in text
            assert "Nothing can be sent" in text
            assert app.window is None and app.services is None

            # The database answers (here: the right address, taken at the next try).
            app.database = pg_url
            qtbot.waitUntil(lambda: starting.done(), timeout=20000)
            starting.result()
            assert app.window is not None and app.window.isVisible()
            assert app.waiting_window is None  # (gone)
            assert app.services.shared
        assert not calls.calls, calls.report()
    finally:
        if starting is not None and not starting.done():
            app._end_run()
            qtbot.waitUntil(starting.done, timeout=20000)
        aio(app.shutdown())


def test_the_address_saved_in_settings_makes_the_app_a_desk_on_the_shared_inbox(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot
):
    server = open_store(pg_url)
    server.add_inbound(inbound("Saved in Settings"))
    settings = Settings.load(tmp_path)
    settings.numbers = [OWN]
    settings.database_url = pg_url  # Settings → Shared inbox (no password: the test's cluster)
    settings.save()
    app = Controller(make_application(), tmp_path, confirm_quit=False)
    try:
        assert app.show_first() is None and app.window is None  # not painted from a local file
        aio(app.start())
        assert app.services.shared and app.services.listener is None
        qtbot.waitUntil(lambda: listed(app.window) == ["Saved in Settings"], timeout=10000)
    finally:
        aio(app.shutdown())
        server.close()


def test_a_server_whose_clock_is_off_is_judged_by_the_database_s_clock(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot, monkeypatch
):
    server = open_store(pg_url)  # `voipdesk serve` on a computer whose clock is 10 minutes behind
    monkeypatch.setattr(server, "_clock", lambda: time.time() - 600)
    server.beat(time.time() - 60)
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        window = app.window
        button, panel = window.receiving.button, window.connection_panel
        seen = minutes_near(time.time())  # it beat a moment ago, by this computer's clock too
        qtbot.waitUntil(lambda: last_seen(button.text()) in seen)
        assert last_seen(panel.server_label.text()) in seen
        assert "may have stopped" not in panel.server_label.text()

        # Its clock 10 minutes ahead, and its last beat 5 minutes ago: it may have stopped.
        monkeypatch.setattr(server, "_clock", lambda: time.time() + 600)
        server.beat(time.time() - 60)
        server._write(lambda t: t.execute("UPDATE heartbeats SET seen_at = seen_at - 300"))
        window.shared_desk.read_heartbeat()
        qtbot.waitUntil(lambda: "may have stopped" in panel.server_label.text(), timeout=5000)
    finally:
        aio(app.shutdown())
        server.close()


def previews(window) -> list[str]:
    """The list's preview lines, as its delegate paints them."""
    from voipdesk.ui.conversations import ConversationRole

    model = window.conversation_model
    return [model.index(r, 0).data(ConversationRole.Preview) for r in range(model.rowCount())]


def test_the_list_says_which_team_member_sent_the_last_message(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot
):
    anas_desk = open_store(pg_url)  # Ana, on another desk of the team
    anas_desk.add_outgoing(OWN, PEER, "On my way", sent_by="Ana")
    app = desk(tmp_path, pg_url, name="Ben")  # this desk is Ben's
    try:
        aio(app.start())
        window = app.window
        qtbot.waitUntil(lambda: previews(window) == ["Ana: On my way"], timeout=10000)
        qtbot.waitUntil(lambda: app.services.shared_inbox.feed.last is not None, timeout=10000)

        # Ana sends again: the list follows, live, still hers.
        anas_desk.add_outgoing(OWN, PEER, "Ten minutes", sent_by="Ana")
        qtbot.waitUntil(lambda: previews(window) == ["Ana: Ten minutes"], timeout=10000)

        # Ben answers from this desk: his own.
        qtbot.waitUntil(lambda: window.conversation_id is not None, timeout=5000)
        open_conversation(qtbot, window, window.conversation_id)
        window.compose.editor.setFocus()
        qtbot.keyClicks(window.compose.editor, "Thanks Ana")
        qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: previews(window) == ["You: Thanks Ana"], timeout=10000)
        # Read again from the shared store (a reload), it is still his.
        window.conversation_model.refresh()
        qtbot.wait(300)
        assert previews(window) == ["You: Thanks Ana"]
    finally:
        aio(app.shutdown())
        anas_desk.close()
