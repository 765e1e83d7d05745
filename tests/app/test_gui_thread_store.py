"""The window makes no store call on the GUI thread: over the shared PostgreSQL store each one is
a network round trip the window would freeze for. A whole session in the real app (demo
account, the embedded sandbox over HTTP, a real SQLite store, the real listener) is watched:
start, open threads, write a draft, New message, Rename, block and mute, Send later, search,
messages arriving through the webhook, Settings' Blocked page, Quit; every store call made on
the GUI thread is listed (tests/store_calls.py) and the list must be empty."""

import time

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QInputDialog

from tests.store_calls import StoreCalls
from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.app import Controller, make_application
from voipdesk.settings import Settings
from voipdesk.ui.conversations import ConversationRole
from voipdesk.ui.new_message import NewMessageDialog
from voipdesk.ui.send_later_dialog import SendLaterDialog

from .test_block_mute import STRANGER, answer, header_action, list_action, listed, row

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# Store calls that may stay on the GUI thread, and why (keep this short).
ALLOWED: set[str] = set()


@pytest.fixture
def store_calls(monkeypatch):
    calls = StoreCalls()
    calls.install(monkeypatch)
    return calls


def shown(window, kind):
    return next((d for d in window.findChildren(kind) if d.isVisible()), None)


def conversation_with(app, calls, number):
    with calls.unwatched():
        return app.services.store.conversation_for(demo.OWN, number)


def test_a_whole_session_makes_no_store_call_on_the_gui_thread(
    aio, tmp_path, monkeypatch, qtbot, store_calls
):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    app = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
    with store_calls.watching():
        aio(app.start())
        window, sandbox = app.window, app.sandbox
        sam = conversation_with(app, store_calls, demo.SAM)
        open_conversation(qtbot, window, sam.id)
        # A draft, left for another conversation and come back to.
        window.compose.editor.setFocus()
        qtbot.keyClicks(window.compose.editor, "see you at")
        model = window.conversation_model
        other = next(
            c.id for c in map(model.conversation, range(model.rowCount())) if c.id != sam.id
        )
        open_conversation(qtbot, window, other)
        open_conversation(qtbot, window, sam.id)
        qtbot.waitUntil(lambda: window.compose.draft() == "see you at", timeout=3000)
        window.compose.editor.clear()

        # New message, to a number never seen.
        window.actions.new_message()
        qtbot.waitUntil(lambda: shown(window, NewMessageDialog) is not None, timeout=3000)
        dialog = shown(window, NewMessageDialog)
        qtbot.keyClicks(dialog.to_edit, "07700 900777")
        dialog.text_edit.setPlainText("hello there")
        qtbot.keyClick(dialog.to_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(
            lambda: (
                window.conversation_id is not None
                and window.thread.conversation.peer_number == "+447700900777"
            ),
            timeout=5000,
        )

        # Rename Sam.
        open_conversation(qtbot, window, sam.id)
        window.actions.rename_contact(demo.SAM)
        qtbot.waitUntil(lambda: shown(window, QInputDialog) is not None, timeout=3000)
        rename = shown(window, QInputDialog)
        qtbot.waitUntil(lambda: rename.textValue() == "Sam Demo", timeout=3000)
        rename.setTextValue("Samuel")
        rename.accept()
        qtbot.waitUntil(lambda: window.thread.title.text() == "Samuel", timeout=3000)

        # A stranger writes (webhook -> listener -> store -> window); mute, then block them.
        assert sandbox.deliver(STRANGER, demo.OWN, "hello from a stranger").status == 200
        qtbot.waitUntil(lambda: STRANGER in listed(window), timeout=5000)
        list_action(window, STRANGER, "Mute notifications")
        qtbot.waitUntil(
            lambda: row(window, STRANGER).data(ConversationRole.Conversation).muted, timeout=5000
        )
        stranger = conversation_with(app, store_calls, STRANGER)
        open_conversation(qtbot, window, stranger.id)
        header_action(window, "Block 07700 900555…")
        answer(window, qtbot, "Block")
        qtbot.waitUntil(lambda: STRANGER not in listed(window), timeout=5000)
        qtbot.waitUntil(lambda: "You blocked" in window.thread.note.label.text(), timeout=3000)

        # Send later in Sam's conversation.
        open_conversation(qtbot, window, sam.id)
        window.compose.editor.setPlainText("see you at nine")
        qtbot.mouseClick(window.compose.later_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: shown(window, SendLaterDialog) is not None, timeout=3000)
        later = shown(window, SendLaterDialog)
        later.picker.setDateTime(QDateTime.fromMSecsSinceEpoch(int((time.time() + 3600) * 1000)))
        qtbot.mouseClick(later.ok, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: any(i.scheduled.body == "see you at nine" for i in window.scheduled.items),
            timeout=3000,
        )

        # Sam writes while his conversation is open; then a search.
        assert sandbox.deliver(demo.SAM, demo.OWN, "while you look").status == 200
        qtbot.waitUntil(
            lambda: any(
                window.thread.model.message(r).body == "while you look"
                for r in range(window.thread.model.rowCount())
            ),
            timeout=5000,
        )
        # A search, and its first result opened (another conversation, the words marked).
        conversations = window.conversations
        conversations.search_box.setText("lunch")
        qtbot.waitUntil(lambda: conversations.search_model.rowCount() > 0, timeout=3000)
        hit = conversations.search_model.message(0)
        conversations.results_view.setFocus()
        conversations.results_view.setCurrentIndex(conversations.search_model.index(0, 0))
        qtbot.keyClick(conversations.results_view, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: window.thread.row_for(hit.id) >= 0, timeout=3000)
        conversations.search_box.clear()
        # Sam's conversation marked unread, then opened again (read).
        list_action(window, demo.SAM, "Mark as unread")
        qtbot.waitUntil(lambda: row(window, demo.SAM).data(ConversationRole.Unread) > 0)
        open_conversation(qtbot, window, sam.id)

        # Settings' Blocked page names the stranger; then Quit, which asks what is on its way.
        app.open_settings()
        page = app.settings_dialog.blocked_page
        qtbot.waitUntil(lambda: page.numbers() == [STRANGER], timeout=3000)
        app.settings_dialog.reject()
        app.confirm_quit = True
        app.request_quit()  # (nothing to lose in the demo: it would end the run)
        qtbot.wait(200)
        window.compose.editor.setPlainText("left for later")  # saved on the way out
        aio(app.shutdown())
    offenders = [c for c in store_calls.calls if c.method not in ALLOWED]
    assert not offenders, store_calls.report()


# The one documented exception: what a real start does before the loop runs (show_first(): the
# window is built and painted from the data folder's SQLite file before asyncio is imported, so
# there is no loop to answer on yet; then the services' own store is opened). Store() is
# opening one. Everything from the loop's first turn on is watched like the session above.
FIRST_PAINT = {"Store", "conversation", "conversations", "messages", "draft", "drafts"}
FIRST_PAINT |= {"own_numbers", "scheduled_in"}


def test_a_real_start_reads_only_for_its_first_paint_before_the_loop_runs(
    aio, tmp_path, monkeypatch, qtbot, store_calls
):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    demo.seed(tmp_path)  # a set-up account's folder, with conversations in it
    settings = Settings.load(tmp_path)
    settings.account_id, settings.numbers = "acc-123", [demo.OWN]
    settings.save()
    app = Controller(make_application(), tmp_path, confirm_quit=False)
    with store_calls.watching():
        app.show_first()  # as voipdesk.app's run does, before it makes the loop
        app.attach_services()
    first = set(store_calls.methods())
    assert first <= FIRST_PAINT, store_calls.report()
    assert app.window.conversation_id is not None  # the newest conversation, painted
    store_calls.calls.clear()
    with store_calls.watching():
        aio(app.start())
        sam = conversation_with(app, store_calls, demo.SAM)
        open_conversation(qtbot, window := app.window, sam.id)
        qtbot.keyClicks(window.compose.editor, "see you")
        aio(app.shutdown())
    assert not store_calls.calls, store_calls.report()
