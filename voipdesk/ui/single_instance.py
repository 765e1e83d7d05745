"""One app per data folder: a second start brings the running window to the front and quits.

Which voipdesk owns a data folder is the folder's InstanceLock (voipdesk.instance). A second
start of the app hands over to the first through a local socket (QLocalServer: a Unix socket in
the temp folder, a named pipe on Windows) whose name comes from the user and the folder, so two
users or two folders never meet. When the owner cannot be asked (it is `voipdesk listen`, or it
does not answer), a small dialog says which voipdesk holds the folder.

`claim` runs before the window is built, so this module loads nothing at import but the
standard library and voipdesk.instance (the lock is a system call: about 1 ms); QtNetwork loads
in the first app only when its server starts, after the first paint, and in a second start.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from voipdesk.instance import EXIT_RUNNING, AlreadyRunning, Holder, InstanceLock, stop_hint

if TYPE_CHECKING:
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger("voipdesk.single_instance")

RAISE, DONE = b"raise\n", b"ok\n"
WAIT = 5.0  # how long a second start keeps trying to reach an app that is still starting


def server_name(data_dir: Path) -> str:
    """voipdesk-<user>-<hash of the folder's path>: short (a Unix socket path has ~100 bytes)."""
    import hashlib

    folder = os.path.normcase(os.path.abspath(data_dir))
    digest = hashlib.sha256(os.fsencode(folder)).hexdigest()[:16]
    if hasattr(os, "getuid"):
        user = str(os.getuid())
    else:  # Windows: pipe names are machine-wide
        name = os.environ.get("USERNAME", "") + "@" + os.environ.get("USERDOMAIN", "")
        user = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"voipdesk-{user}-{digest}"


def claim(data_dir: Path) -> InstanceLock | int:
    """The data folder's lock for this app, or the exit code once the app that holds it has
    been asked to come to the front (0) or the user told which voipdesk holds it (not 0)."""
    try:
        return InstanceLock.acquire(data_dir, "app")
    except AlreadyRunning as exc:
        holder = exc.holder
    deadline = time.monotonic() + WAIT
    while True:
        if holder.role in ("app", "") and ask_to_come_forward(data_dir):
            return 0
        if holder.role not in ("app", "") or time.monotonic() >= deadline:
            break
        time.sleep(0.1)  # it is still starting (its server comes after its first paint)...
        try:
            return InstanceLock.acquire(data_dir, "app")  # ...or it has just quit
        except AlreadyRunning as exc:
            holder = exc.holder
    refuse(data_dir, holder, unanswered=holder.role in ("app", ""))
    return EXIT_RUNNING


def ask_to_come_forward(data_dir: Path, timeout_ms: int = 2000) -> bool:
    """Ask the app running on data_dir to show its window; True once it said it has."""
    from PySide6.QtNetwork import QLocalSocket

    _allow_set_foreground()
    sock = QLocalSocket()
    sock.connectToServer(server_name(data_dir))
    try:
        if not sock.waitForConnected(timeout_ms):
            return False
        sock.write(RAISE)
        sock.waitForBytesWritten(timeout_ms)
        deadline = time.monotonic() + timeout_ms / 1000
        reply = b""
        while not reply.endswith(b"\n") and time.monotonic() < deadline:
            if not sock.bytesAvailable() and not sock.waitForReadyRead(100):
                if sock.state() != QLocalSocket.LocalSocketState.ConnectedState:
                    break
                continue
            reply += bytes(sock.readAll().data())
        return reply == DONE
    finally:
        sock.abort()


def _allow_set_foreground() -> None:
    """Windows lets only the foreground process (this one: the user just started it) bring a
    window to the front: hand that right on to the running app."""
    if sys.platform == "win32":  # pragma: no cover - Windows
        import ctypes

        ASFW_ANY = -1
        ctypes.windll.user32.AllowSetForegroundWindow(ASFW_ANY)


def refusal_text(data_dir: Path, holder: Holder, *, unanswered: bool) -> tuple[str, str]:
    """(headline, explanation) for a start refused because `holder` has the folder;
    `unanswered`: it is an app that was asked to show its window and did not answer."""
    who = holder.describe()
    who = who[0].upper() + who[1:]
    if not unanswered:
        what = f"{who} is already using the data folder {data_dir}."
    else:
        what = (
            f"{who} is already using the data folder {data_dir}, but it did not answer when "
            "asked to show its window."
        )
    how = (
        "Only one voipdesk at a time can receive messages for a data folder: "
        f"{stop_hint(holder)} first, or start this one with another --data-dir."
    )
    if unanswered and holder.pid:
        how += f" If it no longer responds, end process {holder.pid} and start voipdesk again."
    return "voipdesk is already running", f"{what}\n\n{how}"


def refuse(data_dir: Path, holder: Holder, *, unanswered: bool) -> None:
    """Say on stderr and in a small dialog which voipdesk holds the folder."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QMessageBox

    title, text = refusal_text(data_dir, holder, unanswered=unanswered)
    log.warning("Not started: %s", text.replace("\n\n", " "))
    if sys.stderr is not None:
        print(f"voipdesk: {text}".replace("\n\n", " "), file=sys.stderr, flush=True)
    box = QMessageBox(QMessageBox.Icon.Information, title, title, QMessageBox.StandardButton.Ok)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText(text)
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 380px; }")
    if QGuiApplication.platformName() != "offscreen":  # (nobody could click it there)
        box.exec()


class RaiseServer:
    """Listens for a second start's request and shows the window (`show`). Start it after the
    first paint: QtNetwork takes a few ms to load. (Not a QObject: defining a QObject subclass
    takes ms when this module is imported, before the first paint.)"""

    def __init__(self, data_dir: Path, show: Callable[[], None]) -> None:
        self.data_dir, self._show = data_dir, show
        self.server = None

    def start(self) -> bool:
        from PySide6.QtNetwork import QLocalServer

        name = server_name(self.data_dir)
        server = QLocalServer()
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        # A crash leaves the Unix socket's file behind. This process holds the folder's lock,
        # so no live voipdesk can be listening on this name: the file is stale. (Qt 6.x's
        # listen() replaces a dead socket's file by itself too; this says it does not rely on it.)
        QLocalServer.removeServer(name)
        if not server.listen(name):
            log.warning("A second start cannot reach this window: %s", server.errorString())
            return False
        server.newConnection.connect(self._accept)
        self.server = server
        return True

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None

    def _accept(self) -> None:
        while self.server is not None and (sock := self.server.nextPendingConnection()):
            sock.readyRead.connect(lambda s=sock: self._read(s))
            sock.disconnected.connect(sock.deleteLater)
            if sock.bytesAvailable():  # (arrived with the connection)
                self._read(sock)

    def _read(self, sock: QLocalSocket) -> None:
        if not sock.canReadLine():
            if sock.bytesAvailable() > 64:  # not one of ours
                sock.abort()
            return
        if bytes(sock.readLine(64).data()) != RAISE:
            sock.abort()
            return
        log.info("Another start on this data folder asked this window to come to the front.")
        self._show()
        sock.write(DONE)
        sock.flush()
        sock.disconnectFromServer()
