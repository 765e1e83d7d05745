"""The window of a desk on the shared inbox (issue #11, item 5): what the shared inbox's events
(services/shared_inbox.py, through the bridge) change in it. Every read goes through the
window's reads worker, never the GUI thread.

- reload (changes were pruned while the desk was away): the conversation list and the open
  thread are read again;
- conversations changed on another desk (read marks, last message, flags): those rows are read
  again, and the open thread's header;
- the shared store cannot be reached: one line above the thread says so, and that voipdesk
  keeps trying; it goes when the store answers again;
- receiving: the server receives, not this desk (no listener or tunnel of its own): the status
  bar's button and the Connection panel say so, with the server's last heartbeat (read on the
  reads worker when the desk starts, then every half minute)."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

from voipdesk.ui import theme
from voipdesk.ui.shared_connection import (
    GOOD,
    UNSURE,
    PaletteFollower,
    SharedConnectionPanel,
    UnreachableLine,
    database_line,
    unsure_color,
)

if TYPE_CHECKING:
    from voipdesk.store.heartbeats import Heartbeat
    from voipdesk.ui.bridge import ServicesBridge
    from voipdesk.ui.main_window import MainWindow

KEEPS_TRYING = "voipdesk keeps trying; what you see here may be out of date until it is back."


SERVER_RECEIVES = (
    "This desk is on the shared inbox: the server (voipdesk serve) receives every text for "
    "the team and stores it there. This computer runs no listener or tunnel of its own."
)
HEARTBEAT_EVERY_MS = 30_000
STALE_AFTER = 120.0  # seconds without a heartbeat before the server may be down


def when(seen_at: float, now: float) -> str:
    """14:05 today; 3 Dec 14:05 another day (the computer's local time)."""
    seen, today = time.localtime(seen_at), time.localtime(now)
    if seen[:3] == today[:3]:
        return time.strftime("%H:%M", seen)
    return f"{seen.tm_mday} {time.strftime('%b %H:%M', seen)}"


def server_line(beat: Heartbeat | None, now: float) -> tuple[str, bool]:
    """What the Connection panel says of the server, and whether it looks alive."""
    if beat is None:
        return (
            "The server has not been seen on this shared inbox yet: texts are received only "
            "while voipdesk serve runs.",
            False,
        )
    seen = f"Server last seen {when(beat.seen_at, now)} (on {beat.host})"
    if now - beat.seen_at > STALE_AFTER:
        return (
            f"{seen}. It may have stopped: texts that arrive while it is down may be lost. "
            "Ask whoever looks after it.",
            False,
        )
    return f"{seen}.", True


UNREACHABLE = "The shared inbox cannot be reached right now."


def unreachable_line(sentence: str) -> str:
    """The line's short words (the store's whole sentence, with the address and the server's
    reason, is its tooltip and in the log: at 800 px it filled six lines above the thread)."""
    return f"{UNREACHABLE} {KEEPS_TRYING}"


class SharedDesk:
    """Connects the shared inbox's signals to the window (made by MainWindow.attach)."""

    def __init__(self, window: MainWindow, bridge: ServicesBridge) -> None:
        self.window = window
        self.line = UnreachableLine()  # the shared store cannot be reached
        self.line.setAccessibleName("Shared inbox unreachable")
        self.line.button.hide()
        window.banners.insertWidget(0, self.line)
        bridge.sharedReload.connect(self.reload)
        bridge.sharedConversationsChanged.connect(self.conversations_changed)
        bridge.sharedStateChanged.connect(self.state_changed)
        # No listener here: the receiving status of this computer would only say "not running".
        bridge.receivingChanged.disconnect(window.receiving.set_status)
        self.beat: Heartbeat | None = None
        self.beat_read = False
        self.offline: str | None = None  # why the shared store cannot be reached, or None
        self.panel = SharedConnectionPanel()  # the Connection dialog's content
        if window.services is not None:  # the list says "Ana: …" for a team member's message
            window.conversation_model.sent_by_me = window.services.your_name.is_me
            window.services.your_name.changed.append(self.names_changed)
        window.receiving.use_panel(self.panel)
        # Light/dark switches: the status bar's dot and the line's tint follow.
        PaletteFollower(window, lambda: (self.show_server(), self.line.apply_colors()))
        self.timer = QTimer(window)
        self.timer.setInterval(HEARTBEAT_EVERY_MS)
        self.timer.timeout.connect(self.read_heartbeat)
        self.timer.start()
        self.show_server()
        self.read_heartbeat()

    def read_heartbeat(self) -> None:
        """The server's last heartbeat, on the reads worker (a network round trip)."""
        store = self.window.store
        if self.window.services is None or not self.window.isVisible():
            return  # (hidden, or shutting down: read when shown again)

        def arrived(beat: Heartbeat | None) -> None:
            if beat is not None:  # its time on this computer's clock: now less its age, which
                # the database's clock measured (the server's or this desk's may be minutes off)
                beat = replace(beat, seen_at=time.time() - beat.age)
            self.beat, self.beat_read = beat, True
            self.show_server()

        self.window.reads.request(store.last_heartbeat, arrived, lambda _exc: None)

    def show_server(self) -> None:
        """The status bar's button and the Connection dialog: the server receives (last seen
        when), and the database this desk is on."""
        window, now = self.window, time.time()
        if not self.beat_read:
            line, alive = "Checking when the server was last seen…", True
            text = "Shared inbox: the server receives"
        else:
            line, alive = server_line(self.beat, now)
            seen = when(self.beat.seen_at, now) if self.beat else "not yet"
            text = f"Shared inbox: server last seen {seen}"
        if self.offline:
            text = "Shared inbox: cannot be reached"
        button = window.receiving.button
        button.setText(text)
        button.setToolTip("Show the connection: who receives the team's texts")
        palette = window.palette()
        good = theme.success_text(palette)
        window.receiving.show_dot(
            theme.error_text(palette) if self.offline else good if alive else unsure_color(palette)
        )
        panel = self.panel
        panel.set_line(panel.receiving_label, SERVER_RECEIVES, GOOD)
        panel.set_line(panel.server_label, line, GOOD if alive else UNSURE)
        where = getattr(window.services.store, "path", "") if window.services else ""
        panel.set_line(panel.database_label, *database_line(str(where), self.offline))

    def names_changed(self) -> None:
        """This desk's user's name is known, or changed: the list's "You: …" follow."""
        model = self.window.conversation_model
        if model.rowCount():
            model.dataChanged.emit(model.index(0, 0), model.index(model.rowCount() - 1, 0))

    def reload(self) -> None:
        window = self.window
        window.conversation_model.refresh()
        if window.conversation_id is not None:
            window.thread.reload()

    def conversations_changed(self, conversation_ids: list[int]) -> None:
        window = self.window
        window.conversation_model.update_conversations(conversation_ids)
        if window.conversation_id in conversation_ids:
            window.thread.refresh_header()

    def state_changed(self, sentence: str | None) -> None:
        self.offline = sentence
        self.show_server()
        if sentence:
            self.line.apply_colors()
            self.line.label.setText(unreachable_line(sentence))
            self.line.label.setToolTip(sentence)
            self.line.show()
        else:
            self.line.hide()
