"""Windows for what stops voipdesk from using its data: a folder it cannot write, a damaged
message database (with Repair, which runs store.salvage on a worker, off the GUI thread)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


def run_repair(path: Path, progress: Callable[[int], None]) -> tuple[bool, str]:
    """store.salvage.repair, on a worker thread: (repaired, sentence); `progress` is told how
    many messages were copied so far."""
    from voipdesk.store import StoreError
    from voipdesk.store.salvage import repair

    def copied(table: str, count: int) -> None:
        if table == "messages":
            progress(count)

    try:
        return True, repair(path, progress=copied).sentence()
    except StoreError as exc:
        return False, str(exc)
    except Exception as exc:  # the disk: said, never a traceback
        return False, f"The repair stopped: {exc}. The damaged database was left as it is."


class RepairProgress:
    """The progress window of a repair running on a worker: how many messages it has copied,
    read every tenth of a second on the GUI thread."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self.copied = 0  # set by the worker
        self.dialog = QProgressDialog("Repairing your message database…", "", 0, 0, parent)
        self.dialog.setWindowTitle("voipdesk")
        self.dialog.setCancelButton(None)  # type: ignore[arg-type]
        self.dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
        self.dialog.setMinimumDuration(0)
        self._ended: Callable[[], bool] = lambda: False
        self._finished: Callable[[], None] = lambda: None
        self._timer = QTimer(interval=100)
        self._timer.timeout.connect(self._poll)

    def show(
        self, ended: Callable[[], bool] = lambda: False, finished: Callable[[], None] = lambda: None
    ) -> None:
        """Show it until close(), or until `ended()` says so (`finished()` is then called)."""
        self._ended, self._finished = ended, finished
        self.dialog.show()
        self._timer.start()

    def progress(self, copied: int) -> None:  # worker thread
        self.copied = copied

    def close(self) -> None:
        self._timer.stop()
        self.dialog.close()

    def _poll(self) -> None:
        if self.copied:
            self.dialog.setLabelText(f"Repairing your message database… {self.copied:,} messages")
        if self._ended():
            self.close()
            self._finished()


def repair_blocking(path: Path) -> tuple[bool, str]:
    """Repair with a progress window, before the app's asyncio loop exists: (repaired,
    sentence). The repair runs on a worker of its own executor (what asyncio.to_thread uses,
    with no loop yet to own it) while a local Qt event loop waits, so the window paints."""
    shown = RepairProgress()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="repair") as worker:
        job = worker.submit(run_repair, path, shown.progress)
        waiting = QEventLoop()
        shown.show(ended=job.done, finished=waiting.quit)
        waiting.exec()
        return job.result()


async def repair_async(path: Path) -> QMessageBox | None:
    """Repair with a progress window, on the app's loop (the app's stores are closed). When it
    worked, returns the window that says so, shown without blocking (the app starts again
    meanwhile; keep a reference to it). When it did not, the window that says why has been
    closed when this returns None (the app then quits)."""
    import asyncio

    shown = RepairProgress()
    shown.show()
    try:
        ok, text = await asyncio.to_thread(run_repair, path, shown.progress)
    finally:
        shown.close()
    box = _result_box(ok, text)
    if not ok:
        # Application-modal, as exec() would make it, without a nested loop under qasync.
        closed = asyncio.get_running_loop().create_future()
        box.finished.connect(lambda _r: closed.done() or closed.set_result(None))
        box.setModal(True)
        box.show()
        await closed
        return None
    box.open()
    return box
