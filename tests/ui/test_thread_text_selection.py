"""Selecting part of a message's text and copying it, as in Signal Desktop or Google Messages Web:
a drag in a bubble selects from the press to the pointer, a double-click a word; Ctrl+C and the
menu's Copy copy just that; a click elsewhere or Escape lets it go. Positions after emoji, flags,
skin tones and combining accents fall where Qt draws the text (UTF-16 units)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from tests.ui.thread_support import char_point, settle, show_thread, utf16
from voipdesk.ui import theme
from voipdesk.ui.thread import ThreadView

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"
BOB = "+447700900222"
BEFORE = {
    "plain": "Hi! ",
    "emoji": "Party 🎉🎉 at 8! ",
    "flags": "🇬🇧🇫🇷 trip: ",
    "skin tones": "👍🏽👋🏿 see ",
    "combining accents": "Cafe\u0301 cre\u0300me e\u0301te\u0301: ",
}
PART = "the spare keys"
AFTER = " are under the mat"
URL = "https://example.com/map?x=1&y=2"


def _show(qtbot, seed, *bodies: str, outgoing: bool = False, size=(700, 400)) -> ThreadView:
    """A thread with one message per body, oldest first (the last one outgoing if asked)."""
    message = None
    for i, body in enumerate(bodies):
        last = i == len(bodies) - 1
        message = seed.outgoing(ALICE, body) if outgoing and last else seed.inbound(ALICE, body)
    view = show_thread(qtbot, seed.store, message.conversation_id, size=size)
    settle(qtbot, view)
    view.list_view.setFocus()
    return view


def _index(view: ThreadView, row: int):
    return view.list_view.model().index(row, 0)


def _drag(qtbot, view: ThreadView, row: int, body: str, start: int, end: int) -> None:
    """Press at body[start], drag to body[end], let go: at the left edge of body[start] and the
    right edge of body[end - 1] forwards; backwards (end < start), the other way round."""
    index = _index(view, row)
    if start < end:
        first = char_point(view, index, 0, utf16(body, start), across=0.15)
        last = char_point(view, index, 0, utf16(body, end - 1), across=0.85)
    else:
        first = char_point(view, index, 0, utf16(body, start - 1), across=0.85)
        last = char_point(view, index, 0, utf16(body, end), across=0.15)
    viewport = view.list_view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=first)
    step = QPoint((last.x() - first.x()) // 2, (last.y() - first.y()) // 2)
    qtbot.mouseMove(viewport, first + step)
    qtbot.mouseMove(viewport, last)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=last)


def _copy(qtbot, view: ThreadView) -> str:
    QGuiApplication.clipboard().setText("(nothing copied)")
    qtbot.keyClick(view.list_view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    return QGuiApplication.clipboard().text()


def _highlighted(view: ThreadView, row: int, body: str, start: int, end: int) -> float:
    """The share of the pixels between body[start] and body[end - 1] (one line) painted in the
    palette's Highlight colour."""
    index = _index(view, row)
    left = char_point(view, index, 0, utf16(body, start), across=0.0)
    right = char_point(view, index, 0, utf16(body, end - 1), across=1.0)
    image = view.list_view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    color = view.list_view.palette().color(QPalette.ColorRole.Highlight)
    box = QRect(QPoint(left.x() + 1, left.y() - 4), QPoint(right.x() - 1, right.y() + 4))
    hits = total = 0
    for y in range(box.top(), box.bottom() + 1):
        for x in range(box.left(), box.right() + 1):
            total += 1
            hits += image.pixelColor(int(x * ratio), int(y * ratio)) == color
    return hits / total


@pytest.mark.parametrize("kind", list(BEFORE))
def test_dragging_over_part_of_a_message_copies_exactly_that_part(qtbot, seed, kind):
    body = BEFORE[kind] + PART + AFTER
    view = _show(qtbot, seed, body)
    start = len(BEFORE[kind])
    _drag(qtbot, view, 0, body, start, start + len(PART))
    assert _copy(qtbot, view) == PART
    # It is painted selected: the palette's Highlight behind those characters, inside the bubble.
    assert _highlighted(view, 0, body, start, start + len(PART)) > 0.4
    assert _highlighted(view, 0, body, 0, 2) == 0  # (the words before it are not)
    # Only the text is marked: no band across the row, no ring around the bubble.
    index = _index(view, 0)
    row = view.list_view.visualRect(index)
    bubble = view.delegate._bubble_rect(view.delegate.geometry(index), row)
    image = view.list_view.viewport().grab().toImage()
    background = view.list_view.palette().color(view.list_view.viewport().backgroundRole())
    for x in (bubble.left() - 3, bubble.right() + 40):
        assert image.pixelColor(x, bubble.center().y()) == background


def test_a_drag_can_go_backwards_and_across_lines(qtbot, seed):
    body = "First line 🎉 here\nsecond line there"
    view = _show(qtbot, seed, body)
    start, end = body.index("here"), body.index(" there")
    _drag(qtbot, view, 0, body, end, start)  # from the end of "line" back to "here"
    assert _copy(qtbot, view) == body[start:end]


def test_a_double_click_selects_a_word(qtbot, seed):
    body = "Party 🎉🎉 at Café\u0301 Nero tomorrow!"
    view = _show(qtbot, seed, body)
    point = char_point(view, _index(view, 0), 0, utf16(body, body.index("Nero") + 1))
    qtbot.mouseDClick(view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert _copy(qtbot, view) == "Nero"
    point = char_point(view, _index(view, 0), 0, utf16(body, body.index("Caf")))
    qtbot.mouseDClick(view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert _copy(qtbot, view) == "Café\u0301"


def test_a_triple_click_selects_the_whole_message(qtbot, seed):
    body = "Party 🎉 at 8\nbring 👍🏽 snacks"
    view = _show(qtbot, seed, "earlier", body)
    viewport = view.list_view.viewport()
    point = char_point(view, _index(view, 1), 0, utf16(body, body.index("snacks") + 1))
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=point, delay=10)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=point)
    assert _highlighted(view, 1, body, 0, len("Party")) > 0.4
    assert _copy(qtbot, view) == body


def test_shift_click_extends_the_selection(qtbot, seed):
    body = "Meet 👋🏽 at the old station at noon"
    view = _show(qtbot, seed, body)
    start = body.index("the")
    _drag(qtbot, view, 0, body, start, start + 3)
    end = body.index(" at noon")
    point = char_point(view, _index(view, 0), 0, utf16(body, end - 1), across=0.9)
    qtbot.mouseClick(
        view.list_view.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.ShiftModifier,
        pos=point,
    )
    assert _copy(qtbot, view) == "the old station"


def test_a_click_elsewhere_or_escape_lets_the_selection_go(qtbot, seed):
    first, second = "Are we still on for lunch? 🍕", "Yes, at the usual place"
    view = _show(qtbot, seed, first, second)
    viewport = view.list_view.viewport()
    part = (second.index("usual"), second.index(" place"))

    def select() -> None:
        _drag(qtbot, view, 1, second, *part)
        assert _copy(qtbot, view) == "usual"

    def let_go() -> None:
        assert _highlighted(view, 1, second, *part) == 0
        assert _copy(qtbot, view) != "usual"

    # Another bubble: that one is picked, and copying copies it.
    select()
    qtbot.mouseClick(
        viewport, Qt.MouseButton.LeftButton, pos=char_point(view, _index(view, 0), 0, 3)
    )
    let_go()
    assert _copy(qtbot, view) == first
    # The empty side of the row, and the day separator above the first message.
    for point in (
        QPoint(viewport.width() - 40, char_point(view, _index(view, 1), 0, 0).y()),
        QPoint(viewport.width() // 2, view.list_view.visualRect(_index(view, 0)).top() + 14),
    ):
        select()
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
        let_go()
    # A click (no drag) in the same bubble.
    select()
    qtbot.mouseClick(
        viewport, Qt.MouseButton.LeftButton, pos=char_point(view, _index(view, 1), 0, 1)
    )
    let_go()
    assert _copy(qtbot, view) == second
    # Escape.
    select()
    qtbot.keyClick(view.list_view, Qt.Key.Key_Escape)
    let_go()


def test_without_a_selection_the_whole_message_is_copied(qtbot, seed):
    body = "Party 🎉 at 8, bring snacks"
    view = _show(qtbot, seed, "earlier", body)
    viewport = view.list_view.viewport()
    point = char_point(view, _index(view, 1), 0, utf16(body, body.index("bring")))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    assert _copy(qtbot, view) == body
    # The menu's Copy too, with and without a selection.
    menu = view.context_menu_for(view.model.message(1).id)
    QGuiApplication.clipboard().clear()
    next(a for a in menu.actions() if a.text() == "Copy").trigger()
    assert QGuiApplication.clipboard().text() == body
    _drag(qtbot, view, 1, body, body.index("bring"), len(body))
    menu = view.context_menu_for(view.model.message(1).id)
    QGuiApplication.clipboard().clear()
    next(a for a in menu.actions() if a.text() == "Copy").trigger()
    assert QGuiApplication.clipboard().text() == "bring snacks"
    # Every message selected (Ctrl+A): all of them are copied, not the part.
    qtbot.keyClick(view.list_view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert _copy(qtbot, view) == f"earlier\n{body}"
    assert _highlighted(view, 1, body, body.index("bring"), len(body)) == 0


def test_a_click_on_a_link_opens_it_and_a_drag_from_it_selects(qtbot, seed):
    body = f"Map 🗺️ here: {URL} see you"
    view = _show(qtbot, seed, body)
    opened: list[QUrl] = []
    view.open_url = opened.append
    viewport = view.list_view.viewport()
    start = body.index(URL)
    qtbot.mouseClick(
        viewport,
        Qt.MouseButton.LeftButton,
        pos=char_point(view, _index(view, 0), 0, utf16(body, start + 3)),
    )
    assert [u.toString() for u in opened] == [URL]
    _drag(qtbot, view, 0, body, start, start + len("https://example"))
    assert len(opened) == 1  # the drag opened nothing
    assert _copy(qtbot, view) == "https://example"


def test_the_pointer_is_an_i_beam_over_text_and_a_hand_over_links(qtbot, seed):
    body = f"See {URL} now"
    view = _show(qtbot, seed, body)
    viewport = view.list_view.viewport()
    index = _index(view, 0)
    qtbot.mouseMove(viewport, char_point(view, index, 0, 1))
    assert viewport.cursor().shape() == Qt.CursorShape.IBeamCursor
    qtbot.mouseMove(viewport, char_point(view, index, 0, utf16(body, body.index("example"))))
    assert viewport.cursor().shape() == Qt.CursorShape.PointingHandCursor
    qtbot.mouseMove(viewport, QPoint(viewport.width() - 20, char_point(view, index, 0, 1).y()))
    assert viewport.cursor().shape() == Qt.CursorShape.ArrowCursor


def test_the_selection_stays_as_messages_arrive_and_goes_with_the_conversation(qtbot, seed):
    body = "Flat 4B, 🏢 the blue door"
    view = _show(qtbot, seed, "earlier", body)
    part = (body.index("the blue"), len(body))
    _drag(qtbot, view, 1, body, *part)
    view.apply([seed.inbound(ALICE, "and one more 🎉")])
    settle(qtbot, view)
    view.list_view.viewport().repaint()
    assert _highlighted(view, 1, body, *part) > 0.4
    assert _copy(qtbot, view) == "the blue door"
    # Another conversation opened, and back: nothing is selected.
    cid = view.conversation_id
    view.set_conversation(seed.inbound(BOB, "hello").conversation_id)
    qtbot.waitUntil(lambda: not view.opening and view.conversation_id != cid)
    view.set_conversation(cid)
    qtbot.waitUntil(lambda: not view.opening and view.conversation_id == cid)
    settle(qtbot, view)
    assert _highlighted(view, 1, body, *part) == 0
    assert _copy(qtbot, view) != "the blue door"


def test_a_selection_in_an_outgoing_bubble_stands_out_from_its_colour(qtbot, seed):
    body = "On my way 🚗 be there soon"
    view = _show(qtbot, seed, "where are you?", body, outgoing=True)
    start = body.index("be there")
    _drag(qtbot, view, 1, body, start, start + len("be there"))
    assert _copy(qtbot, view) == "be there"
    index = _index(view, 1)
    left = char_point(view, index, 0, utf16(body, start), across=0.0)
    right = char_point(view, index, 0, utf16(body, start + 7), across=1.0)
    image = view.list_view.viewport().grab().toImage()
    accent = QColor(theme.ACCENT)
    box = [
        image.pixelColor(x, y)
        for y in range(left.y() - 4, left.y() + 5)
        for x in range(left.x() + 1, right.x())
    ]
    far = sum(_distance(c, accent) > 120 for c in box)
    assert far / len(box) > 0.5


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())


def test_a_right_click_in_the_selected_bubble_keeps_the_part_for_the_menus_copy(qtbot, seed):
    first, second = "see you at the station 🚉", "Platform 9, coach C"
    view = _show(qtbot, seed, first, second)
    viewport = view.list_view.viewport()
    part = (second.index("coach"), len(second))

    def right_click(row: int, pos: int) -> None:
        point = char_point(view, _index(view, row), 0, pos)
        qtbot.mouseClick(viewport, Qt.MouseButton.RightButton, pos=point)
        popup = QApplication.activePopupWidget()
        if popup is not None:  # the menu a real right-click pops up
            popup.close()

    _drag(qtbot, view, 1, second, *part)
    right_click(1, 2)
    menu = view.context_menu_for(view.model.message(1).id)
    QGuiApplication.clipboard().clear()
    next(a for a in menu.actions() if a.text() == "Copy").trigger()
    assert QGuiApplication.clipboard().text() == "coach C"
    right_click(0, 2)
    assert _highlighted(view, 1, second, *part) == 0
    assert _copy(qtbot, view) == first


def test_dragging_above_the_list_scrolls_a_long_message_and_selects_up_to_its_start(qtbot, seed):
    body = "\n".join(f"line {i} 🎉 of a long note" for i in range(60))
    view = _show(qtbot, seed, body, size=(500, 300))
    lv, viewport = view.list_view, view.list_view.viewport()
    bar = lv.verticalScrollBar()
    assert bar.value() > bar.minimum()  # (its end is in view, its start is not)
    start = body.index("line 58")
    point = char_point(view, _index(view, 0), 0, utf16(body, start), across=0.1)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseMove(viewport, point + QPoint(0, -20))
    above = QPoint(point.x(), -30)
    qtbot.mouseMove(viewport, above)
    qtbot.waitUntil(lambda: bar.value() == bar.minimum(), timeout=10000)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=above)
    assert _copy(qtbot, view) == body[:start]


def test_pressing_in_a_message_taller_than_the_view_does_not_move_it(qtbot, seed):
    body = "\n".join(f"line {i} of a long note" for i in range(60))
    view = _show(qtbot, seed, body, size=(500, 300))
    viewport, bar = view.list_view.viewport(), view.list_view.verticalScrollBar()
    before = bar.value()
    point = char_point(view, _index(view, 0), 0, utf16(body, body.index("line 58")))
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=point)
    # (Qt's item views bring the pressed item into view after the double-click interval.)
    qtbot.wait(QApplication.doubleClickInterval() + 300)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=point)
    assert bar.value() == before
