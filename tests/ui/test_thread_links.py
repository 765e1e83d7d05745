"""Links in bubbles after text Qt counts differently from Python: emoji, flags, skin tones,
family sequences and combining accents are two or more UTF-16 units in Qt's text layout. The
underline must cover the link exactly, and a click on any of its characters must open it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QUrl

from tests.ui.thread_support import char_point, settle, show_thread, utf16
from voipdesk.core.models import Status
from voipdesk.ui.thread import ThreadView

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"
URL = "https://example.com/map?x=1&y=2"
BEFORE = {
    "emoji": "Party 🎉🎉 at 8! Map: ",
    "flags": "🇬🇧🇫🇷 trip: ",
    "skin tones": "👍🏽👋🏿 see ",
    "family": "👨‍👩‍👧‍👦 photos at ",
    "combining accents": "Cafe\u0301 cre\u0300me e\u0301te\u0301: ",
}


def _show(qtbot, seed, body: str) -> tuple[ThreadView, object]:
    message = seed.inbound(ALICE, body)
    view = show_thread(qtbot, seed.store, message.conversation_id, size=(700, 400))
    settle(qtbot, view)
    return view, view.list_view.model().index(0, 0)


@pytest.mark.parametrize("kind", list(BEFORE))
def test_the_underline_covers_the_link_exactly(qtbot, seed, kind):
    body = BEFORE[kind] + URL + " ok"
    view, index = _show(qtbot, seed, body)
    part, _top = view.delegate.geometry(index).parts[0]
    units = part.layout.text().encode("utf-16-le")
    underlined = [
        units[2 * f.start : 2 * (f.start + f.length)].decode("utf-16-le")
        for f in part.layout.formats()
        if f.format.fontUnderline()
    ]
    assert underlined == [URL]


@pytest.mark.parametrize("kind", list(BEFORE))
def test_a_click_on_the_first_or_last_character_opens_the_link(qtbot, seed, kind):
    before = BEFORE[kind]
    body = before + URL + " ok"
    view, index = _show(qtbot, seed, body)
    opened: list[QUrl] = []
    view.open_url = opened.append
    viewport = view.list_view.viewport()
    first, last = utf16(body, len(before)), utf16(body, len(before) + len(URL) - 1)
    for pos in (first, last):
        point = char_point(view, index, 0, pos)
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    assert [u.toString() for u in opened] == [URL, URL]
    # The character just after the link is plain text.
    point = char_point(view, index, 0, utf16(body, len(before) + len(URL) + 1))
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=point)
    assert len(opened) == 2


def test_retry_is_underlined_after_a_reason_with_emoji(qtbot, seed):
    failed = seed.outgoing(ALICE, "hi", status=Status.FAILED, error="Refused 🚫🚫 by the network.")
    view = show_thread(qtbot, seed.store, failed.conversation_id, size=(900, 300))
    settle(qtbot, view)
    meta = view.delegate.geometry(view.list_view.model().index(0, 0)).meta
    units = meta.layout.text().encode("utf-16-le")
    underlined = [
        units[2 * f.start : 2 * (f.start + f.length)].decode("utf-16-le")
        for f in meta.layout.formats()
    ]
    assert underlined == ["Retry"]


def test_links_people_write_without_a_scheme_are_found():
    from voipdesk.ui.thread import find_links

    text = "Book at smileclinic.co.uk or mail sam@example.com (or see https://example.org/a_(b))."
    found = [(text[s : s + n], url.toString()) for s, n, url in find_links(text)]
    assert found == [
        ("smileclinic.co.uk", "http://smileclinic.co.uk"),
        ("sam@example.com", "mailto:sam@example.com"),
        ("https://example.org/a_(b)", "https://example.org/a_(b)"),
    ]
    # Times, versions and abbreviations are not links.
    assert find_links("e.g. 12.30, v1.2, Mr.Smith, hi.there") == []


def test_every_kind_of_link_is_found_and_plain_words_have_none():
    """Texts without a link sign (':', '/', '.', '@', localhost) skip the link finder (whose
    first use costs ~30 ms): every kind of link it finds still has one."""
    from voipdesk.ui.thread import find_links

    def found(text: str) -> list[str]:
        return [url.toString() for _s, _n, url in find_links(text)]

    assert found("dev server at http://localhost:8080/x") == ["http://localhost:8080/x"]
    assert found("ring tel:+447700900001") == ["tel:+447700900001"]
    assert found("example.com, HTTPS://A.EXAMPLE") == ["http://example.com", "https://a.example"]
    assert found("www.example.com or пример.рф or ana@пример.рф") == [
        "http://www.example.com",
        "http://пример.рф",
        "mailto:ana@пример.рф",
    ]
    assert found("Ok see you at six tonight 🙂 façade São Kraków") == []


def test_the_link_finder_is_ready_before_the_first_link_shows():
    """The patterns linkify-it compiles on first meeting a kind of link (50-80 ms each) are
    compiled by warm_up(), which the thread runs on the reads worker when it gets one: the first
    bubble with a web address, a // address or an e-mail address then compiles nothing."""
    import subprocess
    import sys

    script = (
        "from voipdesk.ui.thread import text\n"
        "text.warm_up()\n"
        "before = set(text._LINKIFY.re)\n"
        "text.find_links('https://a.example www.b.example //c.example')\n"
        "text.find_links('mailto:d@e.example or x@y.example')\n"
        "assert set(text._LINKIFY.re) == before, set(text._LINKIFY.re) - before\n"
    )
    # (a process of its own: in this one, earlier tests have found links of every kind already)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
