"""Send later in the real window (demo app: the embedded sandbox over real HTTP, real store):
the clock button and its dialog, the scheduled bubble's Edit / Send now / Cancel, and a message
sent once at its time (2 s ahead, real time)."""

import time

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication

from tests.ui.thread_support import open_conversation
from voipdesk.core.models import Status
from voipdesk.ui.send_later_dialog import SendLaterDialog
from voipdesk.ui.thread import MessageRole

from .test_e2e import open_sam, sent_bodies, set_token, thread_message, type_and_send

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def open_dialog(window, qtbot) -> SendLaterDialog:
    qtbot.mouseClick(window.compose.later_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: find_dialog(window) is not None, timeout=2000)
    return find_dialog(window)


def find_dialog(window) -> SendLaterDialog | None:
    found = [w for w in window.findChildren(SendLaterDialog) if w.isVisible()]
    return found[0] if found else None


def schedule(window, qtbot, body: str, at: float | None = None) -> None:
    """What the person does: type, click the clock, pick a time (or keep Tomorrow morning)."""
    window.compose.editor.setPlainText(body)
    dialog = open_dialog(window, qtbot)
    if at is not None:
        dialog.picker.setDateTime(QDateTime.fromMSecsSinceEpoch(int(at * 1000)))
    assert dialog.ok.isEnabled(), dialog.problem.text()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(i.scheduled.body == body for i in window.scheduled.items))


def item(window, body):
    return next(i for i in window.scheduled.items if i.scheduled.body == body)


def test_a_scheduled_message_waits_at_the_end_then_is_sent_once_at_its_time(demo_app, qtbot):
    window = demo_app.window
    open_sam(window, qtbot)
    at = float(int(time.time()) + 3)  # 2 to 3 s ahead (the picker keeps whole seconds)
    schedule(window, qtbot, "see you at nine", at)
    assert window.compose.draft() == ""  # the text went into the scheduled message
    assert window.scheduled.isVisible()
    shown = item(window, "see you at nine")
    assert shown.when.text().startswith("Scheduled · Today ") and shown.when.text().endswith(" ·")
    assert thread_message(window, "see you at nine") is None  # not a sent message yet
    assert "see you at nine" not in sent_bodies(demo_app)
    type_and_send(window, qtbot, "sent meanwhile")  # before the scheduled one's time
    qtbot.waitUntil(lambda: "sent meanwhile" in sent_bodies(demo_app))

    qtbot.waitUntil(lambda: "see you at nine" in sent_bodies(demo_app), timeout=8000)
    assert time.time() >= at
    qtbot.waitUntil(lambda: not window.scheduled.items, timeout=3000)
    assert not window.scheduled.isVisible()
    qtbot.wait(1500)  # more rounds of the outbox: still once
    assert sent_bodies(demo_app).count("see you at nine") == 1
    message = thread_message(window, "see you at nine")
    model = window.thread.model
    # It takes its place in send order: after the message sent while it waited.
    assert model.row_for(message.id) > model.row_for(thread_message(window, "sent meanwhile").id)
    qtbot.waitUntil(lambda: thread_message(window, "see you at nine").status is not Status.SENDING)
    meta = model.data(model.index(model.row_for(message.id), 0), MessageRole.Render).meta[0]
    assert "Scheduled for" in meta and "late" not in meta


def test_edit_changes_the_text_and_time(demo_app, qtbot):
    window = demo_app.window
    open_sam(window, qtbot)
    schedule(window, qtbot, "draft wording")
    qtbot.mouseClick(item(window, "draft wording").edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: find_dialog(window) is not None)
    dialog = find_dialog(window)
    assert dialog.text() == "draft wording"
    dialog.editor.setPlainText("better wording")
    dialog.choices[0][0].setChecked(True)  # In 1 hour
    when = dialog.when()
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: [i.scheduled.body for i in window.scheduled.items] == ["better wording"]
    )
    assert item(window, "better wording").scheduled.send_at == when
    assert "better wording" not in sent_bodies(demo_app)


def test_send_now_sends_it_at_once_and_once(demo_app, qtbot):
    window = demo_app.window
    open_sam(window, qtbot)
    schedule(window, qtbot, "no need to wait")
    qtbot.mouseClick(item(window, "no need to wait").send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no need to wait" in sent_bodies(demo_app), timeout=5000)
    qtbot.waitUntil(lambda: not window.scheduled.items)
    message = thread_message(window, "no need to wait")
    assert message is not None and message.send_at is None  # sent now, not for a time
    qtbot.wait(500)
    assert sent_bodies(demo_app).count("no need to wait") == 1


def test_cancel_sends_nothing_and_gives_the_text_back(demo_app, qtbot):
    window = demo_app.window
    conversation_id = open_sam(window, qtbot)
    schedule(window, qtbot, "never mind")
    qtbot.mouseClick(item(window, "never mind").cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.scheduled.items)
    assert window.compose.draft() == "never mind"
    assert window.services.store.scheduled_in(conversation_id) == []
    assert "never mind" not in sent_bodies(demo_app)


def test_the_clock_button_follows_send_and_a_cancelled_dialog_keeps_the_text(demo_app, qtbot):
    window = demo_app.window
    open_sam(window, qtbot)
    assert not window.compose.later_button.isEnabled()  # nothing typed
    window.compose.editor.setPlainText("maybe later")
    assert window.compose.later_button.isEnabled()
    dialog = open_dialog(window, qtbot)
    dialog.reject()
    qtbot.waitUntil(lambda: find_dialog(window) is None)
    assert window.compose.draft() == "maybe later" and not window.scheduled.items
    assert QApplication.activeModalWidget() is None


def test_one_due_while_sending_is_paused_says_it_waits_then_goes_once(demo_app, qtbot):
    window = demo_app.window
    conversation_id = open_sam(window, qtbot)
    set_token(demo_app, "rotated")
    type_and_send(window, qtbot, "held back")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)  # sending is paused
    services = window.services
    conversation = services.store.conversation(conversation_id)
    own, peer = conversation.own_number, conversation.peer_number
    services.scheduling.schedule(own, peer, "due while paused", time.time() + 1.0)
    qtbot.waitUntil(lambda: bool(window.scheduled.items))
    line = item(window, "due while paused").when
    qtbot.waitUntil(lambda: "sent once sending can resume" in line.text(), timeout=4000)
    assert line.text().startswith("Due Today ")
    assert "due while paused" not in sent_bodies(demo_app)
    set_token(demo_app, "demo-token")
    services.settings_changed({"api_token"})
    qtbot.waitUntil(lambda: "due while paused" in sent_bodies(demo_app), timeout=5000)
    qtbot.waitUntil(lambda: not window.scheduled.items)
    qtbot.wait(500)
    assert sent_bodies(demo_app).count("due while paused") == 1
    assert services.store.scheduled_in(conversation_id) == []


def test_one_scheduled_from_the_command_line_shows_when_the_window_is_back(demo_app, qtbot):
    from PySide6.QtCore import QEvent

    from voipdesk.store import open_store

    window = demo_app.window
    conversation_id = open_sam(window, qtbot)
    conversation = window.services.store.conversation(conversation_id)
    other = open_store(window.services.data_dir)  # what `voipdesk send --at` does
    try:
        other.schedule(
            conversation.own_number, conversation.peer_number, "from a script", time.time() + 3600
        )
    finally:
        other.close()
    assert not window.scheduled.items
    QApplication.sendEvent(window, QEvent(QEvent.Type.WindowActivate))
    qtbot.waitUntil(  # read on a worker: it shows when it arrives
        lambda: [i.scheduled.body for i in window.scheduled.items] == ["from a script"]
    )


def _list_row(window, conversation_id):
    model = window.conversation_model
    row = model.row_of(conversation_id)
    return None if row < 0 else model.index(row, 0)


def test_the_new_message_dialog_schedules_to_someone_new_who_shows_in_the_list(demo_app, qtbot):
    from voipdesk.ui.new_message import NewMessageDialog

    window = demo_app.window
    window.actions.new_message()
    dialog = next(d for d in window.findChildren(NewMessageDialog) if d.isVisible())
    assert not dialog.later_button.isEnabled()  # nothing to schedule yet
    qtbot.keyClicks(dialog.to_edit, "07700 900777")
    dialog.text_edit.setPlainText("see you on Monday")
    assert dialog.later_button.isEnabled()
    qtbot.mouseClick(dialog.later_button, Qt.MouseButton.LeftButton)
    later = next(d for d in dialog.findChildren(SendLaterDialog) if d.isVisible())
    assert later.ok.isEnabled(), later.problem.text()
    qtbot.mouseClick(later.ok, Qt.MouseButton.LeftButton)  # Tomorrow morning
    qtbot.waitUntil(
        lambda: (
            window.thread.conversation is not None
            and window.thread.conversation.peer_number == "+447700900777"
        ),
        timeout=3000,
    )
    qtbot.waitUntil(
        lambda: any(i.scheduled.body == "see you on Monday" for i in window.scheduled.items)
    )
    assert window.scheduled.isVisible()
    qtbot.waitUntil(lambda: _list_row(window, window.conversation_id) is not None, timeout=3000)
    index = _list_row(window, window.conversation_id)
    assert "Scheduled" in index.data(Qt.ItemDataRole.DisplayRole) or "Scheduled" in str(
        index.data(Qt.ItemDataRole.AccessibleTextRole)
    )
    assert window.conversations.view.currentIndex().row() == index.row()  # and it is selected
    assert "see you on Monday" not in sent_bodies(demo_app)


def test_a_message_scheduled_from_the_command_line_to_someone_new_shows_in_the_list(
    demo_app, qtbot
):
    from .test_read_marking import activate, elsewhere

    window = demo_app.window
    activate(qtbot, window)
    elsewhere(qtbot)
    # `voipdesk send --at` writes to the same database while the app runs (another process).
    store = window.services.store
    scheduled = store.schedule(
        window.settings.numbers[0], "+447700900888", "hi later", 4102444800.0
    )
    activate(qtbot, window)  # the person comes back to the window
    qtbot.waitUntil(lambda: _list_row(window, scheduled.conversation_id) is not None, timeout=3000)
    open_conversation(qtbot, window, scheduled.conversation_id)
    qtbot.waitUntil(lambda: any(i.scheduled.body == "hi later" for i in window.scheduled.items))
    assert window.scheduled.isVisible()


def _list_draft(window, conversation_id):
    from voipdesk.ui.conversations.model import ConversationRole

    index = window.conversation_model.index_for(conversation_id)
    return index.data(ConversationRole.Draft) if index.isValid() else None


def test_scheduling_what_was_typed_takes_the_draft_marker_off_the_list_and_cancel_brings_it_back(
    demo_app, qtbot
):
    window = demo_app.window
    conversation_id = open_sam(window, qtbot)
    window.compose.editor.setPlainText("bring the charts")  # typed: a draft, in the list too
    qtbot.waitUntil(lambda: _list_draft(window, conversation_id) == "bring the charts")
    schedule(window, qtbot, "bring the charts")
    qtbot.waitUntil(lambda: _list_draft(window, conversation_id) == "", timeout=2000)
    assert window.services.store.draft(conversation_id) == ""
    qtbot.mouseClick(item(window, "bring the charts").cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _list_draft(window, conversation_id) == "bring the charts")
