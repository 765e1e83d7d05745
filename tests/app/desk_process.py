"""The real app in a process of its own, with a probe the tests ask what its models hold and
drive it through (tests/app/desk_support.py starts it and asks):

    VOIPDESK_TEST_PROBE=/path/to/socket python -m tests.app.desk_process [voipdesk options]

It runs `voipdesk [options]` as the installed command does (voipdesk.cli.main: the options,
VOIPDESK_DATABASE_URL, the single-instance claim, the staged start, the qasync loop), with one
change: the Controller class is a subclass that, once started, answers on a QLocalServer at the
probe's path, on the GUI thread. voipdesk/ itself has no test hook; nothing of this runs in a
user's app.

The protocol: one JSON object a line each way. {"do": "state"} answers what the window shows
(the open thread's rows as its model holds them, the conversation list's rows); "open" opens a
conversation; "send" types a text into the compose box and clicks Send; "watch" stamps each row
the open thread's model inserts from then on with time.perf_counter() (CLOCK_MONOTONIC: one
clock for every process on the machine), "seen" hands those stamps over; "quit" quits as the
tray's Quit does. Every answer has "ok"; a failed request answers {"ok": false, "error": ...}.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.app` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

ENV = "VOIPDESK_TEST_PROBE"


class Probe:
    """The probe's server: one per process; it follows the controller of the current run."""

    def __init__(self, path: str) -> None:
        from PySide6.QtNetwork import QLocalServer

        self.controller = None
        self.stamps: dict[str, float] = {}  # a row's provider id (else body) → when inserted
        self._watched = None
        self.server = QLocalServer()
        QLocalServer.removeServer(path)
        if not self.server.listen(path):
            raise SystemExit(f"the probe cannot listen on {path}: {self.server.errorString()}")
        self.server.newConnection.connect(self._accept)
        self._clients: list = []

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            client = self.server.nextPendingConnection()
            self._clients.append(client)
            client.readyRead.connect(lambda c=client: self._read(c))
            client.disconnected.connect(lambda c=client: self._gone(c))

    def _gone(self, client) -> None:
        if client in self._clients:
            self._clients.remove(client)
            with contextlib.suppress(RuntimeError):  # (Qt deleted it already, at the exit)
                client.deleteLater()

    def _read(self, client) -> None:
        while client.canReadLine():
            line = bytes(client.readLine().data()).decode("utf-8")
            try:
                answer = {"ok": True, **self.answer(json.loads(line))}
            except Exception as exc:  # said to the test, which fails with it
                answer = {"ok": False, "error": f"{exc!r}\n{traceback.format_exc()}"}
            client.write((json.dumps(answer) + "\n").encode("utf-8"))
            client.flush()

    # -- the requests -----------------------------------------------------------------------------
    def answer(self, request: dict) -> dict:
        do = request["do"]
        if do == "state":
            return self.state()
        if do == "quit":
            if self.controller is not None:
                self.controller._end_run()  # as Quit in the tray's menu, without the question
            return {}
        window = self._window()
        if do == "open":
            window.open_conversation(int(request["conversation_id"]))
            return {}
        if do == "send":
            return self.send(window, request["text"])
        if do == "watch":
            self.watch(window)
            return {}
        if do == "seen":
            return {"seen": dict(self.stamps)}
        raise ValueError(f"unknown request {do!r}")

    def _window(self):
        window = self.controller.window if self.controller is not None else None
        if window is None:
            raise RuntimeError("the window is not there yet")
        return window

    def state(self) -> dict:
        from voipdesk.ui.thread.text import meta_text

        controller = self.controller
        window = controller.window if controller is not None else None
        services = controller.services if controller is not None else None
        if window is None or services is None:
            return {"ready": False}
        model = window.thread.model
        rows = []
        for row in range(model.rowCount() if model is not None else 0):
            m = model.message(row)
            if m is None:
                continue
            rows.append(
                {
                    "id": m.id,
                    "body": m.body,
                    "direction": str(m.direction),
                    "status": str(m.status),
                    "sent_by": m.sent_by,
                    "provider_id": m.provider_id,
                    "meta": meta_text(m)[0],  # the line the delegate paints under the bubble
                }
            )
        listed = window.conversation_model
        conversations = []
        for row in range(listed.rowCount()):
            c = listed.conversation(row)
            if c is not None:
                conversations.append(
                    {
                        "id": c.id,
                        "peer": c.peer_number,
                        "last_body": c.last_body,
                        "unread": c.unread_count,
                    }
                )
        inbox = services.shared_inbox
        return {
            "ready": True,
            "shared": bool(services.shared),
            "listener": services.listener is not None,
            "following": inbox is not None and inbox.feed.last is not None,
            "conversation_id": window.thread.conversation_id,
            "opening": window.thread.opening,
            "thread": rows,
            "conversations": conversations,
        }

    def send(self, window, text: str) -> dict:
        """Typed into the compose box, then Send clicked: as the user does."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        compose = window.compose
        if not compose.isEnabled() or not compose.isVisible():
            raise RuntimeError("no conversation open to write in")
        compose.editor.setFocus()
        QTest.keyClicks(compose.editor, text)
        typed = compose.editor.toPlainText()
        QTest.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
        return {"typed": typed, "left": compose.editor.toPlainText()}

    def watch(self, window) -> None:
        model = window.thread.model
        if model is None:
            raise RuntimeError("no thread open to watch")
        if self._watched is not None:
            self._watched[0].rowsInserted.disconnect(self._watched[1])

        def inserted(_parent, first: int, last: int) -> None:
            now = time.perf_counter()
            for row in range(first, last + 1):
                m = model.message(row)
                if m is not None:
                    self.stamps.setdefault(m.provider_id or m.body, now)

        model.rowsInserted.connect(inserted)
        self._watched = (model, inserted)
        self.stamps.clear()


_probe: Probe | None = None


def install() -> None:
    """The app's Controller made one the probe follows once it has started."""
    import voipdesk.app as app

    base = app.Controller

    class ProbedController(base):  # type: ignore[misc, valid-type]
        async def start(self) -> None:
            global _probe
            await super().start()
            if _probe is None:
                _probe = Probe(os.environ[ENV])
            _probe.controller = self

    app.Controller = ProbedController


def main() -> int:
    if not os.environ.get(ENV):
        raise SystemExit(f"{ENV} (the probe's socket path) is not set")
    install()
    from voipdesk.cli import main as voipdesk

    return voipdesk(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
