"""The line under a team member's bubble ("Sent by Ana · 14:05 · Delivered") fits under it: a
long name is shortened with "…" so the time and the status stay on the one line, in a narrow
window (800 px wide: the thread is about 470 px) as in a wide one."""

from __future__ import annotations

import pytest

from tests.ui.thread_support import settle, show_thread
from voipdesk.core.models import Status
from voipdesk.ui.thread.model import MessageRole

OWN = "+447700900001"  # the seeded conversations' own number (tests/ui/conftest.py)
ALICE = "+447700900111"
LONG = "Maximiliana Featherstonehaugh-Cholmondeley"

pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def lines(view, message) -> tuple[list[str], object]:
    """The lines of the message's meta text as laid out, and its geometry."""
    model = view.model
    row = next(
        r
        for r in range(model.rowCount())
        if model.data(model.index(r, 0), MessageRole.Id) == message.id
    )
    geometry = view.delegate.geometry(view.model.index(row, 0))
    layout, text = geometry.meta.layout, geometry.meta.text
    shown = []
    for n in range(layout.lineCount()):
        line = layout.lineAt(n)
        assert line.naturalTextWidth() <= geometry.meta_box  # nothing runs past its box
        shown.append(text[line.textStart() : line.textStart() + line.textLength()])
    return shown, geometry


@pytest.mark.parametrize("width", [470, 300])
def test_a_long_name_is_shortened_so_time_and_status_stay_on_one_line(qtbot, seed, width):
    store = seed.store
    message = store.add_outgoing(OWN, ALICE, "I have put two aside for you", sent_by=LONG)
    store.update_outgoing(message.id, status=Status.DELIVERED, provider_id="p-1")
    view = show_thread(qtbot, store, message.conversation_id, size=(width, 400))
    settle(qtbot, view)
    shown, _geometry = lines(view, message)
    assert len(shown) == 1, shown
    assert shown[0].startswith("Sent by Maxim") and "…" in shown[0]
    assert shown[0].endswith(" · Delivered")


def test_a_short_name_is_left_whole(qtbot, seed):
    store = seed.store
    message = store.add_outgoing(OWN, ALICE, "Your order is ready", sent_by="Ana")
    store.update_outgoing(message.id, status=Status.DELIVERED, provider_id="p-2")
    view = show_thread(qtbot, store, message.conversation_id, size=(470, 400))
    settle(qtbot, view)
    shown, _geometry = lines(view, message)
    assert len(shown) == 1 and shown[0].startswith("Sent by Ana · ")


def test_the_retry_link_stays_on_retry_when_the_name_is_shortened(qtbot, seed):
    store = seed.store
    message = store.add_outgoing(OWN, ALICE, "Back at two", sent_by=LONG)
    store.update_outgoing(message.id, status=Status.FAILED, error_text="Refused.")
    view = show_thread(qtbot, store, message.conversation_id, size=(470, 400))
    settle(qtbot, view)
    shown, geometry = lines(view, message)
    start, length = geometry.action
    assert geometry.meta.text[start : start + length] == "Retry"
    assert "…" in shown[0]
