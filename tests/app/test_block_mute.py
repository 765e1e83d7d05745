"""Block, mute, mark unread and opt-outs, through the real app: the window, the embedded sandbox
over HTTP delivering webhooks to the real listener, and a notification server on a real
session bus (tests/ui/dbus_support.py)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.ui.conversations import ConversationRole
from voipdesk.ui.listmodel import ACCESSIBLE

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

STRANGER = "+447700900555"


def listed(window):
    model = window.conversation_model
    return [
        model.data(model.index(r, 0), ConversationRole.PeerNumber) for r in range(model.rowCount())
    ]


def row(window, number):
    model = window.conversation_model
    for r in range(model.rowCount()):
        if model.data(model.index(r, 0), ConversationRole.PeerNumber) == number:
            return model.index(r, 0)
    return None


def conversation_of(window, number):
    return next(c for c in window.services.store.conversations() if c.peer_number == number)


def header_action(window, text):
    """What the person does: open the thread header's ⋯ menu and pick `text`."""
    window.thread.menu_button.click()
    menu: QMenu = window.thread.menu_button.options_menu
    found = [a for a in menu.actions() if a.text() == text]
    assert found, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    found[0].trigger()
    menu.close()


def list_action(window, number, text):
    """What the person does: right-click the conversation in the list and pick `text`."""
    view = window.conversations.view
    index = row(window, number)
    assert index is not None
    menu = window.controls.menu_for(index.data(ConversationRole.Conversation))
    found = [a for a in menu.actions() if a.text() == text]
    assert found, f"no {text!r} in {[a.text() for a in menu.actions()]}"
    assert view.visualRect(index).isValid()
    found[0].trigger()
    menu.close()


def answer(window, qtbot, text):
    qtbot.waitUntil(lambda: window.controls.box is not None and window.controls.box.isVisible())
    box = window.controls.box
    button = next(b for b in box.buttons() if b.text() == text)
    button.click()
    window.controls.box = None


def unread_total(app):
    return app.services.store.unread_total()


def open_number(window, number, qtbot):
    open_conversation(qtbot, window, conversation_of(window, number).id)


def test_a_blocked_number_is_stored_but_raises_nothing_and_unblocking_brings_it_back(
    session_bus, notification_server, demo_app, qtbot
):
    server = notification_server()
    window = demo_app.window
    sandbox = demo_app.sandbox
    assert sandbox.deliver(STRANGER, demo.OWN, "first, before the block").status == 200
    qtbot.waitUntil(lambda: len(server.shown) == 1, timeout=8000)
    qtbot.waitUntil(lambda: STRANGER in listed(window), timeout=5000)
    open_number(window, STRANGER, qtbot)
    header_action(window, "Block 07700 900555…")
    answer(window, qtbot, "Block")
    qtbot.waitUntil(lambda: STRANGER not in listed(window), timeout=5000)
    assert "You blocked 07700 900555" in window.thread.note.label.text()
    unread_before = unread_total(demo_app)
    tray_before = demo_app.tray.unread

    assert sandbox.deliver(STRANGER, demo.OWN, "sent while blocked").status == 200
    assert sandbox.deliver(demo.SAM, demo.OWN, "Sam, after that").status == 200
    qtbot.waitUntil(lambda: len(server.shown) == 2, timeout=8000)  # Sam's: notifications work
    assert server.shown[1].body == "Sam, after that"
    stored = window.services.store.messages(conversation_of_any(window, STRANGER))
    assert "sent while blocked" in [m.body for m in stored]  # kept
    assert STRANGER not in listed(window)
    assert unread_total(demo_app) == unread_before + 1  # Sam's only
    qtbot.waitUntil(lambda: demo_app.tray.unread == tray_before + 1, timeout=3000)

    demo_app.open_settings()
    dialog = demo_app.settings_dialog
    page = dialog.blocked_page
    assert page.numbers() == [STRANGER]
    assert page.list.item(0).text() == "07700 900555"
    page.list.setCurrentRow(0)
    qtbot.mouseClick(page.unblock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: STRANGER in listed(window), timeout=5000)
    assert page.numbers() == [] and page.empty.isVisibleTo(page)
    dialog.reject()
    index = row(window, STRANGER)
    assert index.data(ConversationRole.LastBody) == "sent while blocked"
    assert index.data(ConversationRole.Unread) == 0  # what came while blocked stays read
    assert sandbox.deliver(STRANGER, demo.OWN, "after the unblock").status == 200
    qtbot.waitUntil(lambda: len(server.shown) == 3, timeout=8000)
    assert server.shown[2].body == "after the unblock"


def conversation_of_any(window, number):
    """The conversation id with `number`, listed or not."""
    return window.services.store.conversation_for(demo.OWN, number).id


def test_a_muted_conversation_counts_but_does_not_notify(
    session_bus, notification_server, demo_app, qtbot
):
    server = notification_server()
    window = demo_app.window
    sandbox = demo_app.sandbox
    assert sandbox.deliver(STRANGER, demo.OWN, "hello").status == 200
    qtbot.waitUntil(lambda: STRANGER in listed(window), timeout=5000)
    qtbot.waitUntil(lambda: len(server.shown) == 1, timeout=8000)
    list_action(window, STRANGER, "Mute notifications")
    qtbot.waitUntil(
        lambda: row(window, STRANGER).data(ConversationRole.Conversation).muted, timeout=5000
    )
    assert ", muted" in row(window, STRANGER).data(ACCESSIBLE)  # a screen reader says it too
    before = row(window, STRANGER).data(ConversationRole.Unread)
    assert sandbox.deliver(STRANGER, demo.OWN, "while muted").status == 200
    assert sandbox.deliver(demo.SAM, demo.OWN, "Sam, not muted").status == 200
    qtbot.waitUntil(lambda: len(server.shown) == 2, timeout=8000)
    assert server.shown[1].body == "Sam, not muted"
    qtbot.waitUntil(
        lambda: row(window, STRANGER).data(ConversationRole.LastBody) == "while muted",
        timeout=5000,
    )
    assert row(window, STRANGER).data(ConversationRole.Unread) == before + 1  # still counted
    list_action(window, STRANGER, "Unmute notifications")
    qtbot.waitUntil(
        lambda: not row(window, STRANGER).data(ConversationRole.Conversation).muted, timeout=5000
    )


def test_marked_unread_the_badge_comes_back_until_it_is_opened(demo_app, qtbot):
    window = demo_app.window
    open_number(window, demo.SAM, qtbot)
    qtbot.waitUntil(lambda: row(window, demo.SAM).data(ConversationRole.Unread) == 0, timeout=5000)
    total = unread_total(demo_app)
    list_action(window, demo.SAM, "Mark as unread")
    qtbot.waitUntil(lambda: row(window, demo.SAM).data(ConversationRole.Unread) == 1, timeout=5000)
    assert window.conversation_id is None  # it closed, so it is not read at once again
    assert unread_total(demo_app) == total + 1
    qtbot.waitUntil(lambda: demo_app.tray.unread == total + 1, timeout=3000)
    window.conversation_model.refresh()  # read again from the store: it stays
    assert row(window, demo.SAM).data(ConversationRole.Unread) == 1
    open_number(window, demo.SAM, qtbot)
    qtbot.waitUntil(lambda: row(window, demo.SAM).data(ConversationRole.Unread) == 0, timeout=5000)
    assert unread_total(demo_app) == total


def sandbox_got(app, body):
    sandbox = app.sandbox
    return any(r.body == body for r in sandbox.call(lambda: list(sandbox.sandbox.sent)))


def send(window, qtbot, text):
    window.compose.editor.setPlainText(text)
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)


def test_someone_who_texted_stop_is_texted_only_when_the_person_confirms(demo_app, qtbot):
    window = demo_app.window
    sandbox = demo_app.sandbox
    assert sandbox.deliver(STRANGER, demo.OWN, "  Stop ").status == 200
    qtbot.waitUntil(lambda: STRANGER in listed(window), timeout=5000)
    open_number(window, STRANGER, qtbot)
    note = window.thread.note
    assert note.isVisibleTo(window.thread) and "texted STOP" in note.label.text()

    send(window, qtbot, "one more offer")
    answer(window, qtbot, "Don't send")
    assert window.compose.draft() == "one more offer"  # nothing typed is lost
    assert not sandbox_got(demo_app, "one more offer")

    send(window, qtbot, "one more offer")
    answer(window, qtbot, "Send anyway")
    qtbot.waitUntil(lambda: sandbox_got(demo_app, "one more offer"), timeout=5000)

    assert sandbox.deliver(STRANGER, demo.OWN, "START").status == 200
    qtbot.waitUntil(lambda: not note.isVisibleTo(window.thread), timeout=5000)
    send(window, qtbot, "welcome back")
    qtbot.waitUntil(lambda: sandbox_got(demo_app, "welcome back"), timeout=5000)
    assert window.controls.box is None  # nothing was asked


def test_a_new_message_to_someone_who_texted_stop_asks_first(demo_app, aio, qtbot):
    window = demo_app.window
    assert demo_app.sandbox.deliver(STRANGER, demo.OWN, "unsubscribe").status == 200
    qtbot.waitUntil(lambda: STRANGER in listed(window), timeout=5000)
    aio(window.start_conversation(demo.OWN, STRANGER, "from the New message dialog"))
    answer(window, qtbot, "Don't send")
    assert window.compose.draft() == "from the New message dialog"
    assert not sandbox_got(demo_app, "from the New message dialog")


def test_the_blocked_page_names_the_numbers_it_lists(demo_app, qtbot):
    from voipdesk.core.phone import display

    window = demo_app.window
    window.controls.block(demo.SAM)
    qtbot.waitUntil(lambda: demo.SAM in window.services.flags.blocked, timeout=5000)
    demo_app.open_settings()
    page = demo_app.settings_dialog.blocked_page
    assert page.numbers() == [demo.SAM]
    # The name is read on the reads worker and comes a moment after the page shows.
    named = f"Sam Demo · {display(demo.SAM, 'GB')}"
    qtbot.waitUntil(lambda: page.list.item(0).text() == named, timeout=3000)
    assert page.list.currentRow() == 0 and page.unblock_button.isEnabled()
    demo_app.settings_dialog.reject()
