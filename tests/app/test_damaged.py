"""The app on a damaged database or a data folder it cannot use: a window says what happened
and what to do (not only stderr), receiving is shown stopped, and Repair brings it back."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from store import damaged

from voipdesk import cli
from voipdesk.app import Controller, make_application
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store, StoreDamaged, database_path
from voipdesk.ui.problem_dialog import offer_repair

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


class Answers:
    """Answers each modal message box that opens with the next button text, and keeps what
    each one said: (text, informative text)."""

    def __init__(self, *buttons: str) -> None:
        self.buttons = list(buttons)
        self.seen: list[tuple[str, str]] = []
        self._last = None
        self._timer = QTimer(interval=50)
        self._timer.timeout.connect(self._look)
        self._timer.start()

    def _look(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox) or box is self._last or not self.buttons:
            return
        self._last = box
        self.seen.append((box.text(), box.informativeText()))
        wanted = self.buttons.pop(0)
        [button] = [b for b in box.buttons() if b.text().replace("&", "") == wanted]
        button.click()

    def stop(self) -> None:
        self._timer.stop()


@pytest.fixture
def answers(qapp):
    made: list[Answers] = []

    def make(*buttons: str) -> Answers:
        made.append(Answers(*buttons))
        return made[-1]

    yield make
    for a in made:
        a.stop()


@pytest.fixture
def main_in_process():
    """cli.main as the desktop runs it; the log handlers it adds are taken off afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    yield cli.main
    for handler in root.handlers[:]:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_a_data_folder_that_cannot_be_made_is_said_in_a_window(
    tmp_path, answers, main_in_process, capsys
):
    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")
    seen = answers("OK")
    assert main_in_process(["--data-dir", str(blocker / "voipdesk")]) == 1
    [(title, text)] = seen.seen
    assert title == "voipdesk cannot start"
    assert f"cannot write to its data folder {blocker / 'voipdesk'}" in text
    assert f"{blocker} is a file, not a folder" in text
    err = capsys.readouterr().err
    assert text in err and "Traceback" not in err


def test_a_damaged_database_at_start_is_said_in_a_window_that_offers_repair(
    tmp_path, answers, main_in_process, capsys
):
    damaged.make(tmp_path, where="header")
    seen = answers("Quit")
    assert main_in_process(["--data-dir", str(tmp_path)]) == 1
    [(title, text)] = seen.seen
    assert title == "Your message database is damaged"
    [kept] = tmp_path.glob("damaged-*")
    assert "is damaged" in text and str(kept) in text
    assert "Traceback" not in capsys.readouterr().err


def test_a_damaged_start_lets_go_of_the_data_folder(tmp_path, answers, main_in_process):
    """The folder's lock is the app's for as long as it runs, repairs at start included, and
    free again once it has quit: a second voipdesk (or `repair`) can then use it."""
    from voipdesk.instance import running

    damaged.make(tmp_path, where="header")
    answers("Quit")
    assert main_in_process(["--data-dir", str(tmp_path)]) == 1
    assert running(tmp_path) is None


def test_repair_from_the_start_window_keeps_the_readable_messages(tmp_path, answers):
    path = damaged.make(tmp_path)
    with Store(path) as store, pytest.raises(StoreDamaged) as caught:
        store.check()
    seen = answers("Repair", "OK")
    assert offer_repair(caught.value)
    assert [title for title, _ in seen.seen] == [
        "Your message database is damaged",
        "Repaired",
    ]
    with Store(path) as store:
        store.check()
        count = store.message_count()
    assert 0.9 * damaged.MESSAGES < count < damaged.MESSAGES
    assert f"{count} messages were moved into a new database" in seen.seen[1][1]


def post(url: str, i: int) -> int:
    doc = webhook_body("+447445459147", "+447476553275", f"m{i}", mdr_id=f"new-{i}", ts=1 + i)
    return httpx.post(url, json=doc, timeout=30).status_code


def test_damage_found_while_running_stops_receiving_and_repair_brings_it_back(
    aio, tmp_path: Path, monkeypatch, qtbot
):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    path = damaged.make(tmp_path)
    before = path.read_bytes()
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    running = asyncio.ensure_future(controller.main())
    try:
        qtbot.waitUntil(lambda: controller.damaged_box is not None, timeout=20000)
        window, services = controller.window, controller.services
        # Never "Receiving on this computer only" while every webhook fails:
        assert window.receiving_button.text() == "Not receiving: the message database is damaged"
        assert not services.receiving.ok
        assert post(services.local_webhook_url(), 1) == 503
        box = controller.damaged_box
        assert box.text() == "Your message database is damaged"
        [kept] = tmp_path.glob("damaged-*/voipdesk.sqlite3")
        assert str(kept.parent) in box.informativeText()
        assert kept.read_bytes() == before
        [repair] = [b for b in box.buttons() if b.text() == "Repair"]
        repair.click()
        # The run ends, the database is repaired, the app starts again on it and receives.
        qtbot.waitUntil(
            lambda: (
                controller.services not in (None, services) and controller.services.receiving.ok
            ),
            timeout=30000,
        )
        assert controller.window.receiving_button.text() == "Receiving on this computer only"
        assert post(controller.services.local_webhook_url(), 2) == 200
        [result] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, QMessageBox) and w.isVisible()
        ]
        assert result.text() == "Repaired" and "messages were moved" in result.informativeText()
        result.close()
    finally:
        controller._end_run()
        qtbot.waitUntil(running.done, timeout=20000)
    assert running.result() == 0
    with Store(database_path(tmp_path)) as store:
        store.check()
        assert "m2" in [m.body for m in store.all_messages()]


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_log_that_cannot_be_written_is_said_once_in_the_window(demo_app, tmp_path, qtbot):
    """A full disk: the log's writes fail; the window says so once, in its status bar."""
    from voipdesk.logs import PrivateRotatingFileHandler

    (tmp_path / "full.log").symlink_to("/dev/full")
    handler = PrivateRotatingFileHandler(tmp_path / "full.log", encoding="utf-8")
    said: list[str] = []
    demo_app.services.notice.connect(lambda _level, text: said.append(text))
    log = logging.getLogger("voipdesk.test.full")
    log.addHandler(handler)
    try:
        for i in range(50):
            log.warning("record %d", i)
        qtbot.waitUntil(lambda: bool(said), timeout=3000)
        qtbot.wait(100)
    finally:
        log.removeHandler(handler)
        handler.close()
    assert len(said) == 1 and said[0].startswith("Cannot write the log file")
    assert demo_app.window.statusBar().currentMessage().startswith("Cannot write")


def test_a_repair_that_fails_on_the_apps_loop_is_said_until_closed(aio, tmp_path, answers):
    """No nested event loop: the window that says why waits on the app's loop for its OK."""
    from voipdesk.ui.problem_dialog import repair_async

    def failing_repair(path, progress=None):
        raise OSError("No space left on device")

    path = damaged.make(tmp_path)
    said = answers("OK")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("voipdesk.store.salvage.repair", failing_repair)
        assert aio(repair_async(path)) is None
    [(text, why)] = said.seen
    assert text == "The database could not be repaired"
    assert why.startswith("The repair stopped: No space left on device.")
