"""A conversation is one own number and one person: what the open thread sends from, texting
the same person from another number, and Retry (the real window, the sandbox over HTTP)."""

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from tests.app.test_e2e import open_sam, thread_message, type_and_send, wait_until_failed
from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.core.models import Status
from voipdesk.ui.thread import MessageRole

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def drop_own_number(sandbox) -> None:
    """The demo's first number leaves the account: sending from it fails (NUMBER_NOT_FOUND)."""
    sandbox.call(lambda: sandbox.sandbox.accounts["demo-account"].numbers.discard(demo.OWN))


def under_bubble(window, message_id: int) -> str:
    """The line under a bubble, as the delegate paints it."""
    model = window.thread.model
    info = model.data(model.index(model.row_for(message_id), 0), MessageRole.Render)
    return info.meta[0] if info.meta else ""


def test_a_retry_that_fails_again_says_it_tried_again_and_when(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    drop_own_number(sandbox)
    type_and_send(window, qtbot, "still failing")
    message = wait_until_failed(window, qtbot, "still failing")
    before = under_bubble(window, message.id)
    assert before.startswith(dt.datetime.fromtimestamp(message.timestamp).strftime("%H:%M"))
    assert "tried" not in before

    for attempts in (2, 3):
        window.thread.follow(("action", message.id))  # the user clicks Retry

        def failed_again(attempts=attempts):
            shown = thread_message(window, "still failing")
            return shown.attempts == attempts and shown.status is Status.FAILED

        qtbot.waitUntil(failed_again, timeout=5000)
        stored = window.services.store.message(message.id)
        assert stored.last_attempt_at is not None
        at = dt.datetime.fromtimestamp(stored.last_attempt_at).strftime("%H:%M")
        after = under_bubble(window, message.id)
        assert after != before
        assert f"Not sent · tried {attempts} times, last at {at}" in after
        assert after.partition("\u2028")[0].endswith("· Retry")  # (the advice's line below)
        before = after


OTHER_OWN = "+447700900002"  # the demo's second own number


def sam_rows(window) -> list:
    return [c for c in window.services.store.conversations() if c.peer_number == demo.SAM]


def sent_from(controller) -> list[tuple[str, str]]:
    sandbox = controller.sandbox
    return [(r.sender, r.body) for r in sandbox.call(lambda: list(sandbox.sandbox.sent))]


def test_inside_a_thread_nothing_changes_the_number_it_sends_from(demo_app, qtbot):
    window = demo_app.window
    sam = open_sam(window, qtbot)
    # The header names the thread's number; there is no From menu that could re-target it.
    assert window.thread.subtitle.text() == "07700 900100 · your number 07700 900001"
    assert not window.compose.from_combo.isVisibleTo(window)
    type_and_send(window, qtbot, "from this thread")
    qtbot.waitUntil(lambda: (demo.OWN, "from this thread") in sent_from(demo_app), timeout=5000)
    assert window.conversation_id == sam
    assert [c.id for c in sam_rows(window)] == [sam]  # no second row with the same name
    # Settings saved (e.g. the numbers' order changed) do not bring a From menu back either.
    window.update_numbers()
    assert not window.compose.from_combo.isVisibleTo(window)
    assert "your number 07700 900001" in window.thread.subtitle.text()


def test_text_from_another_number_opens_that_conversation_and_keeps_this_one(demo_app, qtbot):
    window = demo_app.window
    sam = open_sam(window, qtbot)
    earlier = [m.body for m in window.services.store.messages(sam)]
    window.compose.editor.setPlainText("meant for my other number")
    actions = window.thread.menu_button.other_number_actions()
    assert list(actions) == ["From 07700 900002"]
    assert window.thread.menu_button.isVisibleTo(window)
    actions["From 07700 900002"].trigger()
    qtbot.waitUntil(lambda: window.conversation_id not in (None, sam), timeout=5000)
    other = window.services.store.conversation(window.conversation_id)
    assert (other.own_number, other.peer_number) == (OTHER_OWN, demo.SAM)
    assert window.thread.subtitle.text() == "07700 900100 · your number 07700 900002"
    assert window.compose.draft() == "meant for my other number"  # the typed text came along
    # Not in the list until its first message; the row of the one left is no longer lit.
    assert window.conversations.selected_conversation_id() is None
    assert not window.conversations.view.selectionModel().selectedIndexes()
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: (OTHER_OWN, "meant for my other number") in sent_from(demo_app), timeout=5000
    )
    qtbot.waitUntil(lambda: window.conversations.selected_conversation_id() == other.id)
    # Two conversations with Sam now, one per number, and the first one lost nothing.
    assert {c.own_number for c in sam_rows(window)} == {demo.OWN, OTHER_OWN}
    open_conversation(qtbot, window, sam)
    assert [m.body for m in window.services.store.messages(sam)] == earlier
    assert window.thread.model.rowCount() == len(earlier)
    assert window.compose.draft() == ""  # the text moved; no copy stayed behind
    assert "your number 07700 900001" in window.thread.subtitle.text()


def test_retry_sends_from_the_threads_number_and_the_advice_says_so(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = open_sam(window, qtbot)
    drop_own_number(sandbox)
    type_and_send(window, qtbot, "when my number is back")
    message = wait_until_failed(window, qtbot, "when my number is back")
    shown = under_bubble(window, message.id)
    assert "does not exist on VoIP Number" in shown
    assert "Retry uses it again" in shown
    assert "⋯ → Text from another number" in shown
    assert "From number" not in shown  # there is no From menu to pick from

    sandbox.call(lambda: sandbox.sandbox.accounts["demo-account"].numbers.add(demo.OWN))
    window.thread.follow(("action", message.id))  # Retry
    qtbot.waitUntil(
        lambda: (demo.OWN, "when my number is back") in sent_from(demo_app), timeout=5000
    )
    assert window.services.store.message(message.id).conversation_id == sam


def meta_lines(window, message_id: int) -> int:
    view = window.thread
    index = view.list_view.model().index(view.row_for(message_id), 0)
    return view.delegate.geometry(index).meta.layout.lineCount()


def test_the_advice_under_a_bubble_whose_number_cannot_send_is_short(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    drop_own_number(sandbox)
    type_and_send(window, qtbot, "short advice please")
    message = wait_until_failed(window, qtbot, "short advice please")
    shown = under_bubble(window, message.id)
    reason, _newline, advice = shown.partition("\u2028")
    assert reason.endswith(" · Retry") and "does not exist on VoIP Number" in reason
    assert advice == "Retry uses it again · ⋯ → Text from another number"
    for size, most in (((1280, 800), 2), ((800, 600), 3)):
        window.resize(*size)
        qtbot.waitUntil(lambda s=size: window.width() == s[0], timeout=2000)
        qtbot.wait(50)
        assert meta_lines(window, message.id) <= most, size
