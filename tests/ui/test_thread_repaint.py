"""What the open thread repaints: a sliver of its side margins (which Qt asks for whenever the
search box beside it repaints) is its background alone, not every bubble painted again, and the
pixels stay what they were, a selected bubble's halo included."""

import pytest
from PySide6.QtCore import QItemSelectionModel, QRect

from tests.ui.thread_support import settle, show_thread
from voipdesk.ui.thread.delegate import BubbleDelegate

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")

ALICE = "+447700900111"


@pytest.fixture
def paints(monkeypatch):
    count = [0]
    real = BubbleDelegate.paint

    def paint(self, painter, option, index):
        count[0] += 1
        real(self, painter, option, index)

    monkeypatch.setattr(BubbleDelegate, "paint", paint)
    return count


def test_a_sliver_of_the_side_margins_repaints_no_bubble_and_leaves_the_pixels(qtbot, seed, paints):
    for i in range(12):
        seed.inbound(ALICE, f"incoming {i}")
        seed.outgoing(ALICE, f"outgoing {i}")
    view = show_thread(qtbot, seed.store, seed.conversation_id(ALICE))
    settle(qtbot, view)
    lv = view.list_view
    # A selected bubble on each side: its halo reaches furthest towards the edges.
    for row in (lv.model().rowCount() - 1, lv.model().rowCount() - 2):
        lv.selectionModel().select(
            lv.model().index(row, 0), QItemSelectionModel.SelectionFlag.Select
        )
    qtbot.wait(50)
    viewport = lv.viewport()
    before = viewport.grab().toImage()
    assert paints[0] > 0
    for sliver in (QRect(0, 0, 1, viewport.height()), QRect(viewport.width() - 1, 0, 1, 300)):
        painted = paints[0]
        viewport.repaint(sliver)
        assert paints[0] == painted  # the background alone
    assert viewport.grab().toImage() == before
    painted = paints[0]
    viewport.repaint(QRect(0, 0, 40, viewport.height()))  # reaching into the bubbles: painted
    assert paints[0] > painted
    assert viewport.grab().toImage() == before
