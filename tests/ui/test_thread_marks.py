"""The thread's "Unread messages" divider: a row of its own above the first unread bubble, in
light and dark, moved or taken away without the thread jumping."""

import pytest
from palettes import dark_palette
from PySide6.QtCore import Qt

from tests.ui.thread_support import settle, show_thread
from voipdesk.ui.thread import MessageRole
from voipdesk.ui.thread.marks import unread_color, unread_height

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"


def row_height(view, message_id):
    lv = view.list_view
    return lv.visualRect(lv.model().index(view.row_for(message_id), 0)).height()


def accent_pixels(view, row):
    lv = view.list_view
    image = lv.viewport().grab(lv.visualRect(lv.model().index(row, 0))).toImage()
    want = unread_color(lv.palette())
    return sum(
        1
        for y in range(image.height())
        for x in range(image.width())
        if all(
            abs(a - b) < 24
            for a, b in zip(image.pixelColor(x, y).getRgb()[:3], want.getRgb()[:3], strict=True)
        )
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_divider_sits_above_the_first_unread_and_goes(qtbot, seed, clock, scheme):
    seed.many_inbound(ALICE, 6, start=clock.now, step=60)
    view = show_thread(qtbot, seed.store, seed.conversation_id(ALICE))
    if scheme == "dark":
        view.setPalette(dark_palette())
    settle(qtbot, view)
    model = view.model
    first_unread = model.index(3, 0).data(MessageRole.Id)
    before = row_height(view, first_unread)
    model.set_unread_from(first_unread)
    settle(qtbot, view)
    assert row_height(view, first_unread) == before + unread_height(view.list_view.font())
    said = model.index(3, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert said.startswith("Unread messages. They: ")
    # Painted in the accent (lightened on dark): the row has pixels of about that colour,
    # which it has not without the divider.
    assert accent_pixels(view, 3) > 10
    model.set_unread_from(None)
    settle(qtbot, view)
    assert row_height(view, first_unread) == before
    assert accent_pixels(view, 3) == 0
    assert not model.index(3, 0).data(Qt.ItemDataRole.AccessibleTextRole).startswith("Unread")
