"""How a desk on the shared inbox looks while it starts and runs (a real PostgreSQL server, the
sandbox over real HTTP): the open thread never goes blank when the desk starts following the
shared store's changes."""

import threading

import pytest

from tests.app.test_shared_desk import desk, desk_env, sandbox, shown  # noqa: F401 (fixtures)
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
