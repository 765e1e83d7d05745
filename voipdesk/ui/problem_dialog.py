"""Windows for what stops voipdesk from using its data: a folder it cannot write, a damaged
message database (with Repair, which runs store.salvage off the GUI thread)."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from voipdesk.store.errors import StoreDamaged

DAMAGED_TITLE = "Your message database is damaged"


def can_show_windows() -> bool:
    """False on a Linux machine with no display (a server, an ssh session)."""
    return not (
        sys.platform.startswith("linux")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
        and not os.environ.get("QT_QPA_PLATFORM")
    )


def _application() -> None:
    from voipdesk.app import make_application

    make_application()


def _box(icon: QMessageBox.Icon, title: str, text: str, parent: QWidget | None) -> QMessageBox:
    box = QMessageBox(parent)
    box.setIcon(icon)
    box.setWindowTitle("voipdesk")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(title)
    box.setInformativeText(text)
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 420px; }")
    return box


def show_problem(title: str, text: str) -> None:
    """A window that says why voipdesk cannot start; returns when it is closed."""
    if not can_show_windows():
        return
    _application()
    box = _box(QMessageBox.Icon.Critical, title, text, None)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.exec()


def damaged_box(damaged: StoreDamaged, parent: QWidget | None, *, later: str) -> QMessageBox:
    """The damaged-database window: Repair (its accept role), or `later` (Quit, Not now)."""
    box = _box(QMessageBox.Icon.Critical, DAMAGED_TITLE, str(damaged), parent)
    repair = box.addButton("Repair", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(later, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(repair)
    box.setProperty("repair_button", repair)
    return box


def ask_to_repair(
    damaged: StoreDamaged, parent: QWidget, repair: Callable[[], None]
) -> QMessageBox:
    """While the app runs: the damaged-database window (not blocking); Repair calls
    `repair()`."""
    box = damaged_box(damaged, parent, later="Not now")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def answered(_result: int) -> None:
        if box.clickedButton() is box.property("repair_button"):
            repair()

    box.finished.connect(answered)
    box.open()
    return box


def _result_box(ok: bool, text: str) -> QMessageBox:
    box = _box(
        QMessageBox.Icon.Information if ok else QMessageBox.Icon.Critical,
        "Repaired" if ok else "The database could not be repaired",
        text,
        None,
    )
    box.addButton(QMessageBox.StandardButton.Ok)
    return box


def offer_repair(damaged: StoreDamaged) -> bool:
    """At start: say the database is damaged and offer to repair it. True when it was
    repaired (the app then starts on the new database)."""
    if not can_show_windows():
        return False
    _application()
    box = damaged_box(damaged, None, later="Quit")
    box.exec()
    if box.clickedButton() is not box.property("repair_button"):
        return False
    ok, text = repair_blocking(damaged.path)
    _result_box(ok, text).exec()
    return ok


class Repair:
    """store.salvage.repair on a thread, its progress in a dialog; `done`, `ok`, `text`, and
    `finished()` called on the GUI thread at the end."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        self.done, self.ok, self.text = False, False, ""
        self.finished: Callable[[], None] = lambda: None
        self._copied = 0
        self.dialog = QProgressDialog("Repairing your message database…", "", 0, 0, parent)
        self.dialog.setWindowTitle("voipdesk")
        self.dialog.setCancelButton(None)  # type: ignore[arg-type]
        self.dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.dialog.setMinimumDuration(0)
        self._timer = QTimer(interval=100)
        self._timer.timeout.connect(self._poll)
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)

    def start(self) -> None:
        self.dialog.show()
        self._timer.start()
        self._thread.start()

    def _run(self, path: Path) -> None:
        from voipdesk.store import StoreError
        from voipdesk.store.salvage import repair

        def progress(table: str, copied: int) -> None:
            if table == "messages":
                self._copied = copied

        try:
            self.text, self.ok = repair(path, progress=progress).sentence(), True
        except StoreError as exc:
            self.text = str(exc)
        except Exception as exc:  # the disk: said, never a traceback
            self.text = f"The repair stopped: {exc}. The damaged database was left as it is."
        self.done = True

    def _poll(self) -> None:
        if self._copied:
            self.dialog.setLabelText(f"Repairing your message database… {self._copied:,} messages")
        if self.done:
            self._timer.stop()
            self.dialog.close()
            self.finished()


def repair_blocking(path: Path) -> tuple[bool, str]:
    """Repair with a progress window, before the app's loop runs: (repaired, sentence)."""
    job = Repair(path)
    waiting = QEventLoop()
    job.finished = waiting.quit
    job.start()
    waiting.exec()
    return job.ok, job.text


async def repair_async(path: Path) -> QMessageBox | None:
    """Repair with a progress window, on the app's loop (the app's stores are closed). When it
    worked, returns the window that says so, shown without blocking (the app starts again
    meanwhile; keep a reference to it). When it did not, the window that says why has been
    closed when this returns None (the app then quits)."""
    import asyncio

    future = asyncio.get_running_loop().create_future()
    job = Repair(path)
    job.finished = lambda: future.done() or future.set_result(None)
    job.start()
    await future
    box = _result_box(job.ok, job.text)
    if not job.ok:
        # Application-modal, as exec() would make it, without a nested loop under qasync.
        closed = asyncio.get_running_loop().create_future()
        box.finished.connect(lambda _r: closed.done() or closed.set_result(None))
        box.setModal(True)
        box.show()
        await closed
        return None
    box.open()
    return box
