"""End to end: the real window, the embedded sandbox over HTTP, and the real listener."""

import sqlite3

import httpx
import pytest
from PySide6.QtCore import Qt

from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.app import Controller, make_application
from voipdesk.core.models import Status
from voipdesk.store import database_path
from voipdesk.ui.conversations import ConversationRole
from voipdesk.ui.thread import MessageRole

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def rows(model, role):
    return [model.data(model.index(r, 0), role) for r in range(model.rowCount())]


def thread_message(window, body):
    model = window.thread.model
    for r in range(model.rowCount()):
        message = model.data(model.index(r, 0), MessageRole.Message)
        if message.body == body:
            return message
    return None


def sent_bodies(controller):
    sandbox = controller.sandbox
    return [r.body for r in sandbox.call(lambda: list(sandbox.sandbox.sent))]


def set_token(controller, token):
    sandbox = controller.sandbox
    sandbox.call(lambda: setattr(sandbox.sandbox.accounts["demo-account"], "api_token", token))


def is_sent(window, body):
    message = thread_message(window, body)
    return message is not None and message.status in (Status.QUEUED, Status.DELIVERED)


def open_sam(window, qtbot):
    conversation = next(
        c for c in window.services.store.conversations() if c.peer_number == demo.SAM
    )
    open_conversation(qtbot, window, conversation.id)
    return conversation.id


def type_and_send(window, qtbot, body):
    """What the user does: type in the compose box, press Enter."""
    window.compose.editor.setPlainText(body)
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)


def wait_until_failed(window, qtbot, body):
    def failed():
        message = thread_message(window, body)
        return message is not None and message.status is Status.FAILED

    qtbot.waitUntil(failed, timeout=5000)
    return thread_message(window, body)


def test_demo_starts_with_seeded_threads_and_no_welcome(demo_app):
    window = demo_app.window
    assert window.pages.currentWidget() is window.splitter
    names = rows(window.conversation_model, ConversationRole.DisplayName)
    assert "Sam Demo" in names and "Alex Morgan" in names
    assert window.services.listener is not None and window.services.listener.running


def test_send_from_compose_reaches_sandbox_and_bubble_turns_sent(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    type_and_send(window, qtbot, "Hello from the e2e test")
    # Local echo: the bubble is there at once, before the provider answered.
    qtbot.waitUntil(
        lambda: thread_message(window, "Hello from the e2e test") is not None, timeout=2000
    )
    qtbot.waitUntil(
        lambda: any(
            r.body == "Hello from the e2e test"
            for r in sandbox.call(lambda: list(sandbox.sandbox.sent))
        ),
        timeout=5000,
    )
    qtbot.waitUntil(
        lambda: (
            thread_message(window, "Hello from the e2e test").status
            in (Status.QUEUED, Status.DELIVERED)
        ),
        timeout=5000,
    )
    assert window.compose.draft() == ""
    # Sam answers through the sandbox -> webhook -> listener -> store -> window path.
    qtbot.waitUntil(lambda: window.thread.model.rowCount() >= 3, timeout=8000)
    last = window.thread.model.data(
        window.thread.model.index(window.thread.model.rowCount() - 1, 0), MessageRole.Message
    )
    assert last.direction.value == "in" and last.peer_number == demo.SAM


def test_inbound_webhook_shows_in_list_with_unread_badge(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    record = sandbox.deliver("+447700900555", demo.OWN, "<b>new</b> number texting")
    assert record.status == 200
    model = window.conversation_model
    qtbot.waitUntil(
        lambda: rows(model, ConversationRole.LastBody)[:1] == ["<b>new</b> number texting"],
        timeout=5000,
    )
    assert rows(model, ConversationRole.Unread)[0] == 1
    qtbot.waitUntil(lambda: demo_app.tray.unread >= 1, timeout=1000)  # (recounted once a turn)
    # Into the open thread: it appears at once and the conversation stays unread-free.
    sam_before = window.thread.model.rowCount()
    assert sandbox.deliver(demo.SAM, demo.OWN, "while you look").status == 200
    qtbot.waitUntil(lambda: window.thread.model.rowCount() == sam_before + 1, timeout=5000)
    assert thread_message(window, "while you look") is not None


def test_sender_error_shows_its_sentence_under_the_bubble(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    sandbox.call(lambda: sandbox.sandbox.accounts["demo-account"].numbers.discard(demo.OWN))
    type_and_send(window, qtbot, "this one fails")
    message = wait_until_failed(window, qtbot, "this one fails")
    assert message.error_code == "NUMBER_NOT_FOUND"
    assert "does not exist on VoIP Number" in message.error_text
    assert "+44 7700 900001" in message.error_text


def test_number_on_another_account_says_so(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)

    def move_number() -> None:
        from voipdesk.sandbox import Account

        sandbox.sandbox.accounts["demo-account"].numbers.discard(demo.OWN)
        sandbox.sandbox.accounts["someone-else"] = Account("someone-else", "t", {demo.OWN})

    sandbox.call(move_number)
    type_and_send(window, qtbot, "not my number")
    message = wait_until_failed(window, qtbot, "not my number")
    assert message.error_code == "NUMBER_OWNERSHIP"
    assert "does not belong to your VoIP Number account" in message.error_text


def test_credentials_error_pauses_sending_and_points_to_settings(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    set_token(demo_app, "rotated")
    type_and_send(window, qtbot, "held back")
    qtbot.waitUntil(lambda: window.banner.isVisible(), timeout=5000)
    assert "API token" in window.banner.label.text()
    assert window.banner.button.text() == "Open Settings"
    message = thread_message(window, "held back")
    assert message.status is Status.PENDING  # kept in the outbox, not failed
    # The user fixes the token (here: the provider side goes back) and sending resumes.
    sandbox.call(
        lambda: setattr(sandbox.sandbox.accounts["demo-account"], "api_token", "demo-token")
    )
    window.services.settings_changed({"api_token"})
    qtbot.waitUntil(
        lambda: thread_message(window, "held back").status in (Status.QUEUED, Status.DELIVERED),
        timeout=5000,
    )
    assert not window.banner.isVisible()
    assert [r.body for r in sandbox.call(lambda: list(sandbox.sandbox.sent))].count(
        "held back"
    ) == 1


def test_webhook_keeps_answering_the_real_app_path(demo_app):
    services = demo_app.services
    url = services.local_webhook_url()
    assert httpx.get(url).status_code == 200
    assert httpx.get(url.rsplit("/", 1)[0] + "/wrong-secret").status_code == 404
    assert httpx.post(url, content=b"not json").status_code == 400


def test_draft_survives_a_restart(aio, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    app = make_application()
    first = Controller(app, tmp_path, demo=True, confirm_quit=False)
    aio(first.start())
    open_sam(first.window, qtbot)
    first.window.compose.set_draft("half-written thought")
    aio(first.shutdown())
    second = Controller(app, tmp_path, demo=True, confirm_quit=False)
    aio(second.start())
    try:
        open_sam(second.window, qtbot)
        assert second.window.compose.draft() == "half-written thought"
    finally:
        aio(second.shutdown())


def test_first_start_shows_welcome_and_shutdown_releases_the_listener(aio, tmp_path, monkeypatch):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    aio(controller.start())
    window = controller.window
    assert window.pages.currentWidget() is window.welcome
    port = controller.services.listener.port
    aio(controller.shutdown())
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/")
    # The store was closed cleanly: the file opens and checks out.
    conn = sqlite3.connect(database_path(tmp_path))
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_send_error_in_the_open_thread_is_not_repeated_in_the_status_bar(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    window.statusBar().clearMessage()
    sandbox.call(lambda: sandbox.sandbox.accounts["demo-account"].numbers.discard(demo.OWN))
    type_and_send(window, qtbot, "fails in front of me")
    wait_until_failed(window, qtbot, "fails in front of me")
    qtbot.wait(200)  # the signals of the failed send have all been delivered
    assert "does not exist" not in window.statusBar().currentMessage()

    # A failure in a conversation that is not open does get a line, naming who it was for.
    alex = "+447700900123"
    task = window.services.send(demo.OWN, alex, "fails out of sight")
    qtbot.waitUntil(task.done, timeout=5000)
    assert task.result().status is Status.FAILED
    qtbot.waitUntil(lambda: "Alex Morgan" in window.statusBar().currentMessage(), timeout=2000)
    shown = window.statusBar().currentMessage() + window.statusBar().toolTip()
    assert "Not sent to Alex Morgan" in shown and "does not exist" in shown
    assert window.statusBar().level == "warning"  # its icon and colour say so


def test_the_thread_header_says_which_own_number_when_there_are_several(demo_app, qtbot):
    window = demo_app.window
    open_sam(window, qtbot)  # the demo has two numbers in Settings
    assert window.thread.subtitle.text() == "07700 900100 · your number 07700 900001"
    assert window.thread.subtitle.isVisible()
    window.settings.numbers = [demo.OWN]
    window.update_numbers()  # as after Settings is saved (the header is read again)
    qtbot.waitUntil(lambda: window.thread.subtitle.text() == "07700 900100")  # one number
    assert window.thread.menu_button.other_number_actions() == {}  # and no other number to offer


def test_an_unreadable_200_shows_sent_with_a_note_and_goes_out_once(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    open_sam(window, qtbot)
    sandbox.inject("garbage")  # VoIP Number takes it but answers a page voipdesk cannot read
    type_and_send(window, qtbot, "taken without an id")
    qtbot.waitUntil(lambda: is_sent(window, "taken without an id"), timeout=5000)
    message = thread_message(window, "taken without an id")
    assert (message.status, message.provider_id) == (Status.QUEUED, None)
    model = window.thread.model
    row = next(
        r for r in range(model.rowCount()) if model.index(r, 0).data(MessageRole.Id) == message.id
    )
    said = model.index(row, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert said.endswith("Sent — VoIP Number accepted it but gave no message id")
    qtbot.wait(500)  # time for the outbox's loop to (wrongly) try it again
    requests = sandbox.call(lambda: list(sandbox.sandbox.requests))
    assert [r["json"]["body"] for r in requests].count("taken without an id") == 1
    assert sent_bodies(demo_app).count("taken without an id") == 1
