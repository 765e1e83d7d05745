"""How a desk on the shared inbox looks while it starts and runs (a real PostgreSQL server, the
sandbox over real HTTP): the open thread never goes blank when the desk starts following the
shared store's changes; the Connection dialog says who receives and where the database is,
with no empty space where a local desk's webhook parts would be."""

import threading
import time

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from tests.app.test_shared_desk import desk, desk_env, sandbox, shown  # noqa: F401 (fixtures)
from tests.pg_support import database_name
from tests.store.conftest import inbound
from voipdesk.store import open_store
from voipdesk.store.pg import PgStore

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


def test_the_connection_dialog_shows_the_server_and_the_database_and_nothing_empty(
    aio, pg_url, tmp_path, qtbot
):
    server = open_store(pg_url)
    beat = server.beat(time.time() - 60)  # a running `voipdesk serve`
    app = desk(tmp_path, pg_url)
    try:
        aio(app.start())
        window = app.window
        seen = time.strftime("%H:%M", time.localtime(beat.seen_at))
        button = window.receiving.button
        qtbot.waitUntil(lambda: button.text() == f"Shared inbox: server last seen {seen}")
        window.show_connection()
        dialog = window.receiving.connection_dialog
        qtbot.waitExposed(dialog)
        panel = window.connection_panel
        # Nothing there but hidden (a hidden part's spacing stays: empty space in the dialog).
        assert [w for w in panel.findChildren(QWidget) if not w.isVisible()] == []
        words = [label.text() for label in panel.findChildren(QLabel) if label.text()]
        assert any("server (voipdesk serve) receives" in text for text in words)
        assert any(text.startswith(f"Server last seen {seen}") for text in words)
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
