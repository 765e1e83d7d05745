"""When the open conversation counts as read: only once the person has looked at it.

A conversation is marked read when its newest message is in view in a window that is shown,
active and not minimised, and the person has shown they are there: they opened it themselves,
or (for the one opened at start) did something in the window or came back to it. A message that
arrives while the window is in the background stays unread until they come back and see it.
The first unread message gets an "Unread messages" divider above it while the thread is open."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QModelIndex, QObject, Qt, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from voipdesk.core.models import Direction, Message

if TYPE_CHECKING:
    from voipdesk.ui.main_window import MainWindow

DIVIDER_PAGES = 10  # pages read to find the first unread (beyond: the oldest of them)
_INPUT = (QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.Wheel)


class ReadMarker(QObject):
    """Decides when the window's open conversation is read, and places its unread divider."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.present = True  # the person has acted in the window since it opened this thread
        self._watching_input = False
        self._input_after_paint = False  # the input filter waits for the first paint
        self._was_active = False  # the window has been active
        self._away = False  # ...and then another window was, or it was minimised or hidden
        self._unread_here = False  # the open thread has unread messages not yet marked
        self._placing = None  # the thread model whose divider is being looked for (read)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(0)
        self._soon.timeout.connect(self.check)
        bar = window.thread.list_view.verticalScrollBar()
        bar.valueChanged.connect(self.check_soon)
        bar.rangeChanged.connect(self.check_soon)
        window.installEventFilter(self)

    # -- what happens ----------------------------------------------------------------------------
    def opened(self, unread: int, *, by_person: bool) -> None:
        """A conversation was opened with `unread` unread messages, by the person (a click, a
        notification, a search result) or for them (the newest one, at start)."""
        self._unread_here = unread > 0
        if unread:
            self._place_divider(unread)
        if by_person:
            self._set_present()
        else:
            self.present = False
            if not self._watching_input:
                self._watching_input = True
                self._watch_input()
        self.check_soon()

    def incoming(self, messages: Iterable[Message]) -> None:
        """Messages were received (the thread and list already show them)."""
        model = self.window.thread.model
        mine = [
            m
            for m in messages
            if model is not None
            and m.conversation_id == model.conversation_id
            and m.direction is Direction.IN
        ]
        if not mine:
            return
        if not self.seen_now() and not self._unread_here:
            model.set_unread_from(min(m.id for m in mine))  # the first the person has not seen
        self._unread_here = True
        self.check_soon()

    def check_soon(self, *_args: object) -> None:
        self._soon.start()

    # -- deciding ----------------------------------------------------------------------------------
    def seen_now(self) -> bool:
        """The person is looking at the open thread's newest message right now."""
        w = self.window
        model = w.thread.model
        return (
            self.present
            and model is not None
            and w.isVisible()
            and w.isActiveWindow()
            and not w.isMinimized()
            and not w.showing_welcome()
            and w.thread.list_view.isVisible()
            and w.thread.list_view.at_bottom()
            and not model.has_newer()
        )

    def check(self) -> None:
        w = self.window
        conversation_id = w.conversation_id
        if conversation_id is None or w.services is None:
            return  # (the services are attached after the first paint; they check again)
        if not self._unread_here or self._placing is not None or not self.seen_now():
            return
        # Read up to the newest message drawn: one stored after it (a change the shared inbox's
        # feed has not brought yet, a text the listener is still telling) stays unread.
        model = w.thread.model
        newest = model.message(model.rowCount() - 1)
        if newest is None:
            return  # nothing drawn yet (its rows arriving move the scroll bar: checked again)
        self._unread_here = False
        w.services.mark_read(conversation_id, newest.id)  # the list follows: conversationRead

    # -- where the divider goes --------------------------------------------------------------------
    def _place_divider(self, unread: int) -> None:
        """Above the `unread`-th newest message received (or the oldest of DIVIDER_PAGES pages),
        and, when more are unread than fit, start the thread there. The pages before the
        loaded ones are read on the window's reads worker, never on the GUI thread."""
        thread = self.window.thread
        model = thread.model
        if model is None:
            return
        first, left = None, unread
        for row in range(model.rowCount() - 1, -1, -1):
            message = model.message(row)
            if message is not None and message.direction is Direction.IN:
                first, left = message.id, left - 1
                if left <= 0:
                    break
        oldest = model.message(0)
        if left <= 0 or oldest is None or not model.canFetchMore(QModelIndex()):
            self._set_divider(model, first)
            return
        store, cid, page = thread._store, model.conversation_id, thread.page

        def read() -> int | None:  # (on the reads worker)
            found, wanted, before = first, left, oldest.id
            for _ in range(DIVIDER_PAGES - 1):
                older = store.messages(cid, before_id=before, limit=page)
                for message in reversed(older):
                    if message.direction is Direction.IN:
                        found, wanted = message.id, wanted - 1
                        if wanted <= 0:
                            return found
                if len(older) < page:
                    break
                before = older[0].id
            return found

        def arrived(found: int | None) -> None:
            if thread.model is not model or found is None:
                self._placing = None
                self.check_soon()
                return
            model.ensure_loaded(found, lambda _ok: self._set_divider(model, found))

        def failed(_exc: Exception) -> None:
            self._placing = None

        # Not read meanwhile: the thread shows its newest messages until it moves to the first
        # unread, and the person has not seen those above.
        self._placing = model
        thread.reads.request(read, arrived, failed)

    def _set_divider(self, model, first: int | None) -> None:
        self._placing = None
        if model is not self.window.thread.model:
            return  # another conversation was opened meanwhile
        self.check_soon()
        model.set_unread_from(first)
        if first is not None:  # more unread than fit: start at the first of them
            self.window.thread.list_view.start_at(first)

    # -- the person's presence -------------------------------------------------------------------
    def _watch_input(self) -> None:
        """Watch the whole application's input, once the window has painted: input waits for
        the first paint anyway (ui/application.py), and a filter on every object in it would make
        PySide build the Python type of each object it passes (~100 Qt classes, ~40 ms)."""
        if not self.window.painted:
            if not self._input_after_paint:
                self._input_after_paint = True
                # Queued: after the whole first paint pass (the window paints before its
                # children, and each child's paint would pass through the filter).
                self.window.firstPainted.connect(
                    self._watch_input, Qt.ConnectionType.QueuedConnection
                )
            return
        if self._input_after_paint:
            self._input_after_paint = False
            self.window.firstPainted.disconnect(self._watch_input)
        if self._watching_input:
            QApplication.instance().installEventFilter(self)

    def _set_present(self) -> None:
        self.present = True
        if self._watching_input:
            self._watching_input = False
            QApplication.instance().removeEventFilter(self)
        self.check_soon()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if watched is self.window:
            if kind == QEvent.Type.ActivationChange:
                if self.window.isActiveWindow():
                    if self._away and not self.present:
                        self._set_present()  # back to the window after being elsewhere
                    self._was_active, self._away = True, False
                elif self._was_active:
                    self._away = True
                self.check_soon()
            elif kind in (QEvent.Type.WindowStateChange, QEvent.Type.Show):
                self.check_soon()
        if (
            self._watching_input
            and kind in _INPUT
            and isinstance(watched, QWidget)
            and watched.window() is self.window
        ):
            self._set_present()
        return False
