"""How a desk on the shared inbox looks while it starts and runs (a real PostgreSQL server, the
sandbox over real HTTP): the open thread never goes blank when the desk starts following the
shared store's changes; the Connection dialog says who receives and where the database is,
with no empty space where a local desk's webhook parts would be; the status bar's dot, the
dialog and the line that says the database cannot be reached read in light and dark."""

import threading
import time

import pytest
from PySide6.QtCore import QPoint, QSize
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel, QWidget

from tests.app.test_shared_desk import desk, desk_env, last_seen, minutes_near, sandbox, shown  # noqa: F401 (fixtures)
from tests.pg_support import database_name
from tests.store.conftest import inbound
from tests.ui.palettes import contrast, dark_palette, luminance
from voipdesk.store import open_store
from voipdesk.store.pg import PgStore
from voipdesk.ui import theme

pytestmark = [
    pytest.mark.qt_log_ignore("This plugin does not support"),
    pytest.mark.usefixtures("desk_env"),  # the sandbox's demo account (tests/app/test_shared_desk)
]


def test_a_starting_desk_keeps_the_open_thread_shown_until_what_it_reads_again_arrives(
    aio, pg_url, tmp_path, qtbot, monkeypatch
):
    server = open_store(pg_url)
    for text in ("Is the shop open?", "And on Sunday?"):
        server.add_inbound(inbound(text))
    # The desk's LISTEN connection answers only once the thread shows (as on a slow network):
    # the feed's first batch, which has the desk read what it shows again, comes after.
    answer = threading.Event()
    listen = PgStore.listen
    monkeypatch.setattr(PgStore, "listen", lambda s, **kw: answer.wait(20) and listen(s, **kw))
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        window = app.window
        qtbot.waitUntil(lambda: shown(window) == ["Is the shop open?", "And on Sunday?"])
        view = window.thread
        proxy = view.list_view.model()
        rows: list[int] = []  # the thread's row count after every removal or reset
        proxy.modelReset.connect(lambda: rows.append(proxy.rowCount()))
        proxy.rowsRemoved.connect(lambda *_: rows.append(proxy.rowCount()))
        blank: list[bool] = []
        view.pages.currentChanged.connect(
            lambda _i: blank.append(view.pages.currentWidget() is view.empty_label)
        )
        # Stored before the feed's first change number: only reading again brings it.
        server.add_inbound(inbound("Or Monday?"))
        answer.set()
        feed = app.services.shared_inbox.feed
        qtbot.waitUntil(lambda: feed.last is not None, timeout=10000)
        qtbot.waitUntil(
            lambda: shown(window) == ["Is the shop open?", "And on Sunday?", "Or Monday?"],
            timeout=10000,
        )
        assert 0 not in rows, rows  # never an empty conversation in between
        assert True not in blank
        assert view.model is not None and view.model.rowCount() == 3
    finally:
        answer.set()
        aio(app.shutdown())
        server.close()


def test_a_starting_desk_says_nothing_in_the_thread_pane_until_its_first_conversation_opens(
    aio, pg_url, tmp_path, qtbot, monkeypatch
):
    server = open_store(pg_url)
    server.add_inbound(inbound("Is the shop open?"))
    # The shared store answers the first read of the list only when the test says (a slow
    # network): meanwhile the window shows, its thread pane not yet filled.
    answer = threading.Event()
    conversations = PgStore.conversations
    monkeypatch.setattr(
        PgStore, "conversations", lambda s, **kw: answer.wait(20) and conversations(s, **kw)
    )
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        view = app.window.thread
        assert app.window.isVisible() and view.pages.currentWidget() is view.empty_label
        assert view.empty_label.text() == ""  # not "Pick a conversation" for a moment
        answer.set()
        qtbot.waitUntil(lambda: shown(app.window) == ["Is the shop open?"], timeout=10000)
        view.set_conversation(None)  # (the empty page keeps its words for when it is empty)
        assert view.empty_label.text() == "Pick a conversation, or start a new one."
    finally:
        answer.set()
        aio(app.shutdown())
        server.close()


def test_a_desk_with_no_conversation_yet_says_so_once_the_list_is_read(
    aio, pg_url, tmp_path, qtbot
):
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        view = app.window.thread
        qtbot.waitUntil(lambda: view.empty_label.text() != "", timeout=10000)
        assert view.empty_label.text() == "Pick a conversation, or start a new one."
        assert view.pages.currentWidget() is view.empty_label
    finally:
        aio(app.shutdown())


def test_the_connection_dialog_shows_the_server_and_the_database_and_nothing_empty(
    aio, pg_url, tmp_path, qtbot
):
    server = open_store(pg_url)
    beat = server.beat(time.time() - 60)  # a running `voipdesk serve`
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        window = app.window
        seen = minutes_near(beat.seen_at)
        button = window.receiving.button
        qtbot.waitUntil(lambda: last_seen(button.text()) in seen)
        window.show_connection()
        dialog = window.receiving.connection_dialog
        qtbot.waitExposed(dialog)
        panel = window.connection_panel
        # Nothing there but hidden (a hidden part's spacing stays: empty space in the dialog).
        assert [w for w in panel.findChildren(QWidget) if not w.isVisible()] == []
        words = [label.text() for label in panel.findChildren(QLabel) if label.text()]
        assert any("server (voipdesk serve) receives" in text for text in words)
        assert any(last_seen(text) in seen for text in words if text.startswith("Server last"))
        database = database_name(pg_url)
        assert f"Shared database: {database} on this computer" in "\n".join(words)
        # The dialog is as tall as what it says: the Close button right under the last line.
        close = dialog.findChild(QDialogButtonBox)
        last = max(
            label.mapTo(dialog, label.rect().bottomLeft()).y()
            for label in panel.findChildren(QLabel)
            if label.text()
        )
        assert close.mapTo(dialog, close.rect().topLeft()).y() - last <= 40
        for label in panel.findChildren(QLabel):  # no line stretched taller than its words
            if label.text():
                assert label.height() <= label.heightForWidth(label.width()) + 4, label.text()
        assert dialog.height() <= dialog.sizeHint().height() + 40
    finally:
        aio(app.shutdown())
        server.close()


def dot_color(pixmap) -> QColor:
    image = pixmap.toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2)


def seen_color(widget, point: QPoint) -> QColor:
    """The colour on screen at `point` of `widget` (what is painted behind it included)."""
    window = widget.window()
    return window.grab().toImage().pixelColor(widget.mapTo(window, point))


@pytest.fixture(params=["light", "dark"])
def scheme(request):
    """The desktop's light or dark palette, from the start (live switches: see the report of
    issue #11's session 7: under the app's style sheet child widgets keep the palette before)."""
    original = QGuiApplication.palette()
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    else:
        QApplication.setPalette(QApplication.style().standardPalette())
    yield request.param
    QApplication.setPalette(original)


def test_the_shared_desk_s_status_dialog_and_offline_line_read_in_light_and_dark(
    aio, pg_url, tmp_path, qtbot, scheme
):
    # The server last seen ten minutes ago: it may have stopped.
    server = open_store(pg_url, clock=lambda: time.time() - 600)
    server.beat(time.time() - 3600)
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        window = app.window
        window.resize(800, 600)
        assert theme.is_dark(window.palette()) == (scheme == "dark")
        back = window.palette().color(QPalette.ColorRole.Window)
        button = window.receiving.button
        qtbot.waitUntil(lambda: button.text().startswith("Shared inbox: server last seen"))
        # The status bar's dot: amber, the server may have stopped.
        dot = dot_color(button.icon().pixmap(QSize(16, 10)))
        assert contrast(dot, back) >= 3 and 25 <= dot.hslHue() <= 55, (scheme, dot.name())
        panel = window.connection_panel
        assert "may have stopped" in panel.server_label.text()
        window.show_connection()
        dialog = window.receiving.connection_dialog
        qtbot.waitExposed(dialog)
        line = window.shared_desk.line
        app.services.shared_inbox._on_state("voipdesk cannot reach the shared database (refused).")
        qtbot.waitUntil(line.isVisible)
        # The dot turns red: the database cannot be reached.
        dot = dot_color(button.icon().pixmap(QSize(16, 10)))
        assert contrast(dot, back) >= 3 and dot.red() > 2 * dot.green(), (scheme, dot.name())
        # The dialog's lines and dots, the amber "may have stopped" one included.
        paper = dialog.palette().color(QPalette.ColorRole.Window)
        for label in panel.findChildren(QLabel):
            if label.text():
                words = label.palette().color(QPalette.ColorRole.WindowText)
                assert contrast(words, paper) >= 4.5, (scheme, label.text())
            else:  # a dot
                assert contrast(dot_color(label.pixmap()), paper) >= 3, scheme
        # The line above the thread: a warning's amber band (nothing is lost, voipdesk keeps
        # trying), as the line about VoIP Number is, with words that read on it.
        band = seen_color(line, QPoint(3, 3))
        assert 25 <= band.hslHue() <= 55 and band.hslSaturationF() > 0.25, band.name()
        assert (luminance(band) < 0.1) == (scheme == "dark"), band.name()
        words = line.label.palette().color(QPalette.ColorRole.WindowText)
        assert contrast(words, band) >= 4.5, (scheme, words.name(), band.name())
        dialog.close()
        # The desktop switches light/dark: the status bar's dot follows (red on the other).
        other = dark_palette() if scheme == "light" else QApplication.style().standardPalette()
        QApplication.setPalette(other)
        qtbot.waitUntil(lambda: theme.is_dark(window.palette()) == (scheme == "light"))
        qtbot.waitUntil(lambda: dot_color(button.icon().pixmap(QSize(16, 10))) != dot)
        switched = dot_color(button.icon().pixmap(QSize(16, 10)))
        assert switched.red() > 2 * switched.green(), switched.name()
        back = window.palette().color(QPalette.ColorRole.Window)
        assert contrast(switched, back) >= 3, switched.name()
    finally:
        aio(app.shutdown())
        server.close()
