"""A desk on the shared inbox while it runs (a real PostgreSQL server, the sandbox over real
HTTP, real windows): what is changed in Settings reaches what it sends at once, and it holds
one send-owner session on the database, not one per store it opened."""

import pytest
from PySide6.QtCore import Qt

from tests.app import test_shared_desk
from tests.app.test_e2e import thread_message
from tests.app.test_shared_desk import desk, listed, shown
from tests.store.conftest import OWN, PEER, inbound
from tests.ui.thread_support import open_conversation
from voipdesk.app import Controller, make_application
from voipdesk.sandbox import DEMO_ACCOUNT
from voipdesk.settings import Settings
from voipdesk.store import open_store
from voipdesk.ui.thread.text import meta_text

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

# The shared desk tests' fixtures: the sandbox, and the account in the environment.
sandbox, desk_env = test_shared_desk.sandbox, test_shared_desk.desk_env


def account_desk(folder, url: str, name: str):
    """A desk set up as a user's is: its account in settings.json (the token: the keyring's,
    here the environment's), so that Settings saves as it is."""
    app = desk(folder, url, name)
    settings = Settings.load(folder)
    settings.account_id = DEMO_ACCOUNT.account_id
    settings.save()
    return app


def sent(running) -> list[str]:
    return running.call(lambda: [r.body for r in running.sandbox.sent])


def started(aio, qtbot, app, body: str):
    """The desk started, following the shared inbox, with the thread of `body` open."""
    aio(app.start())
    window = app.window
    qtbot.waitUntil(lambda: app.services.shared_inbox.feed.last is not None, timeout=10000)
    qtbot.waitUntil(lambda: window.conversation_id is not None, timeout=10000)
    qtbot.waitUntil(lambda: body in shown(window), timeout=10000)
    return window


def save_name_in_settings(qtbot, app, name: str) -> None:
    """Settings → Shared inbox → Your name, then OK, as the user does."""
    app.open_settings("Shared inbox")
    dialog = app.settings_dialog
    qtbot.waitUntil(dialog.secrets_loaded, timeout=10000)
    dialog.shared.name_edit.setText(name)
    dialog.ok_button.click()
    qtbot.waitUntil(lambda: app.settings_dialog is None, timeout=15000)
    assert app.window.statusBar().currentMessage() == "Settings saved."


def type_and_send(qtbot, window, body: str) -> None:
    open_conversation(qtbot, window, window.conversation_id)
    window.compose.editor.setFocus()
    qtbot.keyClicks(window.compose.editor, body)
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)


def test_a_name_changed_in_settings_is_on_the_next_message_the_other_desks_see(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot
):
    server = open_store(pg_url)
    server.add_inbound(inbound("Who am I talking to?"))
    ana = account_desk(tmp_path / "ana", pg_url, "Ana")
    other = account_desk(tmp_path / "other", pg_url, "Carl")
    try:
        window = started(aio, qtbot, ana, "Who am I talking to?")
        theirs = started(aio, qtbot, other, "Who am I talking to?")

        save_name_in_settings(qtbot, ana, "Bea")
        type_and_send(qtbot, window, "Bea here, hello")
        qtbot.waitUntil(lambda: "Bea here, hello" in sent(sandbox), timeout=10000)

        # The other desk shows it with the new name, as soon as it has it.
        qtbot.waitUntil(
            lambda: thread_message(theirs, "Bea here, hello") is not None, timeout=10000
        )
        qtbot.waitUntil(
            lambda: thread_message(theirs, "Bea here, hello").sent_by is not None, timeout=10000
        )
        line, _link = meta_text(thread_message(theirs, "Bea here, hello"))
        assert line.startswith("Sent by Bea · ")
        conversation = server.conversation_for(OWN, PEER)
        stored = [m for m in server.messages(conversation.id) if m.body == "Bea here, hello"]
        assert [m.sent_by for m in stored] == ["Bea"]
    finally:
        aio(other.shutdown())
        aio(ana.shutdown())
        server.close()


def send_owners(url: str) -> tuple[int, int]:
    """The send-owner sessions on the server, and the advisory locks held at session level
    (each send owner holds one)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        sessions = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'voipdesk send owner'"
        ).fetchone()[0]
        locks = conn.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
        ).fetchone()[0]
    return sessions, locks


def test_a_running_desk_holds_one_send_owner_session_on_the_database(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot
):
    with open_store(pg_url) as server:
        server.add_inbound(inbound("How many of you are there?"))
    before = send_owners(pg_url)
    app = desk(tmp_path, pg_url)
    try:
        window = started(aio, qtbot, app, "How many of you are there?")
        sessions, locks = send_owners(pg_url)
        assert (sessions - before[0], locks - before[1]) == (1, 1)

        # The one it holds is the one its sends are claimed under: a message goes out once.
        type_and_send(qtbot, window, "Just me")
        qtbot.waitUntil(lambda: "Just me" in sent(sandbox), timeout=10000)
        qtbot.waitUntil(lambda: thread_message(window, "Just me").status.value != "sending")
        assert sent(sandbox).count("Just me") == 1
    finally:
        aio(app.shutdown())
    assert send_owners(pg_url) == before  # and gives it back at quit


def test_the_shared_inbox_page_looks_up_the_computers_name_for_you_off_the_gui_thread(
    demo_app, qtbot, monkeypatch
):
    """The placeholder of "Your name" is the name this computer knows the user by: a lookup in the
    password database (a network directory on some computers), made on a worker."""
    import getpass
    import pwd
    import threading

    from voipdesk.settings.model import computer_user_name

    expected = computer_user_name()
    on_gui: list[str] = []

    def watched(name, real):
        def call(*args):
            if threading.current_thread() is threading.main_thread():
                on_gui.append(name)
            return real(*args)

        return call

    monkeypatch.setattr(pwd, "getpwuid", watched("pwd.getpwuid", pwd.getpwuid))
    monkeypatch.setattr(getpass, "getuser", watched("getpass.getuser", getpass.getuser))
    demo_app.open_settings("Shared inbox")
    dialog = demo_app.settings_dialog
    edit = dialog.shared.name_edit
    qtbot.waitUntil(lambda: edit.placeholderText() == expected, timeout=5000)
    assert on_gui == []
    dialog.reject()


def test_a_desk_set_up_in_settings_reads_its_settings_file_once_as_it_starts(
    aio, pg_url, sandbox, desk_env, tmp_path, qtbot, monkeypatch
):
    """show_first() finds the shared inbox's address in settings.json and leaves the window to
    start(), which opens the shared store: with what show_first() read, not a second read (which
    could find the file changed in between, and costs a read the start waits for)."""
    with open_store(pg_url) as server:
        server.add_inbound(inbound("Read once"))
    settings = Settings.load(tmp_path)
    settings.numbers = [OWN]
    settings.database_url = pg_url  # Settings → Shared inbox (no password: the test's cluster)
    settings.save()
    reads: list[object] = []
    load = Settings.load.__func__

    def counted(cls, *args, **kwargs):
        reads.append(args)
        return load(cls, *args, **kwargs)

    monkeypatch.setattr(Settings, "load", classmethod(counted))
    app = Controller(make_application(), tmp_path, confirm_quit=False)
    try:
        assert app.show_first() is None and app.window is None
        aio(app.start())
        assert app.services.shared
        qtbot.waitUntil(lambda: "Read once" in listed(app.window), timeout=10000)
        assert len(reads) == 1, reads
    finally:
        aio(app.shutdown())
