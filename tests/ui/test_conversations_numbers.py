"""Several own numbers in the conversation list: previews keep a useful length, and a filter
shows the conversations on one number."""

import pytest

from tests.ui.conversations_support import ALICE, BOB, CAROL, make_list
from tests.ui.test_conversations_delegate import _paint_row
from voipdesk.ui.conversations.numbers import ALL, short_tags

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

OTHER_OWN = "+447700900002"
LONG = (
    "Running about ten minutes late, the traffic on the ring road is terrible again, "
    "save me a seat near the window please"
)


def two_numbers(seed) -> None:
    """Alice on the first number, Bob and Carol on the second, each with a long last message."""
    seed.outgoing(ALICE, LONG)
    seed.outgoing(BOB, LONG, own=OTHER_OWN)
    seed.outgoing(CAROL, LONG, own=OTHER_OWN)


def painted_preview(widget, row: int) -> str:
    texts, _image = _paint_row(widget, row)
    return next(t for t in texts if t.startswith("You: "))


def shown_peers(widget) -> list[str]:
    model, view = widget.model, widget.view
    return [
        model.conversation(r).peer_number
        for r in range(model.rowCount())
        if not view.isRowHidden(r)
    ]


def test_previews_keep_a_useful_length_with_two_own_numbers(qtbot, seed):
    two_numbers(seed)
    widget = make_list(qtbot, seed.store)  # the list's default width
    for row in range(widget.model.rowCount()):
        preview = painted_preview(widget, row)
        assert preview.endswith("…")
        assert len(preview.rstrip("…")) >= 32, preview  # a "via" line left about 15


def test_the_filter_shows_the_conversations_on_one_number(qtbot, seed):
    two_numbers(seed)
    widget = make_list(qtbot, seed.store)
    numbers = widget.number_filter
    assert numbers.isVisibleTo(widget)
    combo = numbers.combo
    assert [combo.itemText(i) for i in range(combo.count())] == [
        ALL,
        "07700 900001",
        "07700 900002",
    ]
    assert sorted(shown_peers(widget)) == [ALICE, BOB, CAROL]
    combo.setCurrentIndex(2)
    assert sorted(shown_peers(widget)) == [BOB, CAROL]
    texts, _image = _paint_row(
        widget, widget.model.row_of(seed.store.conversation_for(OTHER_OWN, BOB).id)
    )
    assert not any(t.startswith("…000") for t in texts)  # one number shown: no tags
    # A new conversation on the number not shown stays out of sight; one on it appears.
    widget.model.apply([seed.inbound("+447700900444", "hello", own="+447700900001")])
    widget.model.apply([seed.inbound("+447700900555", "hi", own=OTHER_OWN)])
    assert sorted(shown_peers(widget)) == [BOB, CAROL, "+447700900555"]
    combo.setCurrentIndex(0)
    assert len(shown_peers(widget)) == 5


def test_opening_a_conversation_the_filter_hides_shows_all_again(qtbot, seed):
    two_numbers(seed)
    widget = make_list(qtbot, seed.store)
    widget.number_filter.choose(OTHER_OWN)
    alice = seed.store.conversation_for("+447700900001", ALICE)
    widget.select(alice.id)  # e.g. from a search result
    assert widget.number_filter.number is None
    assert ALICE in shown_peers(widget)
    assert widget.selected_conversation_id() == alice.id


def test_no_filter_with_one_own_number(qtbot, three, seed):
    widget = make_list(qtbot, seed.store)
    assert not widget.number_filter.isVisibleTo(widget)
    widget.model.apply([seed.inbound(BOB, "from my work number", own=OTHER_OWN)])
    assert widget.number_filter.isVisibleTo(widget)


def test_tags_are_the_shortest_distinct_endings():
    assert short_tags(["+447700900001", "+447700900002"]) == {
        "+447700900001": "…0001",
        "+447700900002": "…0002",
    }
    assert short_tags(["+447700900001", "+12025550001"]) == {
        "+447700900001": "…00001",
        "+12025550001": "…50001",
    }


def test_each_number_says_how_many_unread_texts_it_has(qtbot, seed):
    two_numbers(seed)
    widget = make_list(qtbot, seed.store)
    combo = widget.number_filter.combo
    widget.number_filter.choose("+447700900001")
    widget.model.apply([seed.inbound(BOB, "are you there?", own=OTHER_OWN)])
    # (counted on the next turn of the loop, once a burst of changes is in)
    qtbot.waitUntil(lambda: combo.itemText(2) == "07700 900002 · 1 unread")  # not missed
    assert combo.itemText(1) == "07700 900001"
