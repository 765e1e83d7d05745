"""Showing a conversation in a ThreadView for a test (tests/ui/test_thread*.py)."""

from __future__ import annotations

from voipdesk.ui.thread import ThreadView


def show_thread(qtbot, store, cid: int, *, page: int = 60, size=(420, 500)) -> ThreadView:
    view = ThreadView(store, page=page)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_conversation(cid)
    return view


def settle(qtbot, view: ThreadView) -> None:
    """Let pending (delayed) layouts run."""
    qtbot.wait(150)
    view.list_view.doItemsLayout()


def open_conversation(qtbot, window, cid: int) -> None:
    """Open a conversation in the main window and wait until it is shown (it is read first)."""
    window.open_conversation(cid)
    qtbot.waitUntil(lambda: window.conversation_id == cid and not window.thread.opening)
