"""A conversation is one own number and one person: what the open thread sends from, texting
the same person from another number, and Retry (the real window, the sandbox over HTTP)."""

import datetime as dt

import pytest

from tests.app.test_e2e import open_sam, thread_message, type_and_send, wait_until_failed
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
    open_sam(window)
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
        assert after.endswith("· Retry")
        before = after
