"""MessageWindow: which pages of one conversation are loaded, and the run and day flags of their
rows. No Qt: ThreadModel maps its rows to roles and its events to Qt's model signals."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable

from voipdesk.core.models import Message, Status
from voipdesk.ui.reading import AT_ONCE, Latest, Reader
from voipdesk.ui.thread.newest_again import NewestAgain
from voipdesk.ui.thread.paging import Edges, Jump, Pages, WindowEvents, read_jump

__all__ = ["ATTENTION", "MessageWindow", "Pages", "WindowEvents"]

# Statuses that keep their own status line even inside a run of bubbles.
ATTENTION = frozenset({Status.FAILED, Status.UNKNOWN, Status.PENDING})
# (shown, handed) status pairs no change makes: the listener's delivery report can be announced
# before the outbox's answer to the send it reports on, so the answer arrives stale.
_STALE = frozenset({(Status.DELIVERED, Status.QUEUED), (Status.FAILED, Status.QUEUED)})


class MessageWindow(NewestAgain):
    """One conversation's messages, oldest first: a window of at most `window_pages` pages of
    the thread. It opens on the newest page; pages the user scrolls to are added at one end and
    the far end is dropped, so a scroll through years of history costs neither memory nor
    layout time (a QListView lays out every row it has). Pages are asked of the store through
    `reader` and put in when they arrive (one at a time: `fetching`); messages stored or changed
    are applied from the Message objects handed to it. A pause of more than `run_break` seconds
    between two messages starts a new run of bubbles."""

    def __init__(
        self,
        store: Pages,
        conversation_id: int,
        *,
        page: int = 60,
        window_pages: int = 10,
        run_break: float,
        events: WindowEvents | None = None,
        first: list[Message] | None = None,
        reader: Reader = AT_ONCE,
    ) -> None:
        """`first`: the newest page, when the caller has read it (else it is asked for)."""
        self._store = store
        self._cid = conversation_id
        self._page = page
        self._limit = page * max(window_pages, 2)
        self._run_break = run_break
        self._events = events if events is not None else WindowEvents()
        self.reader = reader
        self._rows: list[Message] = []
        self._has_older = False
        self._has_newer = False  # newer messages exist below the window (it was moved up)
        self._asking = Latest()  # the one page on its way
        self._putting = False
        # Messages applied while a page is on its way, by id: newer than what it may bring.
        self._heard: dict[int, Message] = {}
        # row = _pos[id] + _shift, so prepending k rows is `_shift += k`, not a renumbering.
        self._shift = 0
        self._pos: dict[int, int] = {m.id: row for row, m in enumerate(self._rows)}
        self._days: dict[int, tuple[int, int]] = {}
        self._removed: set[int] = set()  # discarded: a late change to one does not bring it back
        self._built = False
        if first is not None:
            self._take_newest(first)
        else:
            self.show_newest(force=True)
        self._built = True

    # -- lookups ------------------------------------------------------------------------------
    @property
    def conversation_id(self) -> int:
        return self._cid

    def __len__(self) -> int:
        return len(self._rows)

    def row_for(self, message_id: int) -> int:
        """The row of a loaded message, or -1."""
        pos = self._pos.get(message_id)
        return -1 if pos is None else pos + self._shift

    def message(self, row: int) -> Message | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def message_by_id(self, message_id: int) -> Message | None:
        return self.message(self.row_for(message_id))

    def messages(self) -> list[Message]:
        """The loaded messages, oldest first (a copy)."""
        return list(self._rows)

    def has_older(self) -> bool:
        return self._has_older

    def has_newer(self) -> bool:
        """Whether the thread goes on below the last loaded row (the window is not at the end)."""
        return self._has_newer

    def can_fetch_older(self) -> bool:
        return self._has_older and not self.fetching

    @property
    def fetching(self) -> bool:
        """Whether a page is on its way (or going in)."""
        return self._asking.pending or self._putting

    def close(self) -> None:
        """The window is let go: a page still on its way is dropped when it comes."""
        self._asking.drop()

    # -- run and day flags of a row ---------------------------------------------------------------
    def day_start(self, row: int) -> bool:
        """Whether the row is the first of its day (a day separator goes above it)."""
        return row == 0 or self._day_of(self._rows[row - 1]) != self._day_of(self._rows[row])

    def run_start(self, row: int) -> bool:
        """Whether the row starts a run of bubbles from one side."""
        return row == 0 or self._breaks(self._rows[row - 1], self._rows[row])

    def is_last(self, row: int) -> bool:
        return row + 1 >= len(self._rows)

    def show_meta(self, row: int) -> bool:
        """Whether time and status go under the row's bubble: it ends a run, or needs attention."""
        message = self._rows[row]
        return (
            self.is_last(row)
            or self._breaks(message, self._rows[row + 1])
            or message.status in ATTENTION
            or message.send_at is not None  # sent later: its line says when it was scheduled
        )

    def _day_of(self, message: Message) -> tuple[int, int]:
        day = self._days.get(message.id)
        if day is None:
            local = time.localtime(message.timestamp)
            day = self._days[message.id] = (local.tm_year, local.tm_yday)
        return day

    def _breaks(self, before: Message, after: Message) -> bool:
        """Whether `after` starts a new run of bubbles."""
        return (
            before.direction is not after.direction
            or self._day_of(before) != self._day_of(after)
            or abs(after.timestamp - before.timestamp) > self._run_break
            or before.sent_by != after.sent_by  # (the shared inbox: another of the team)
        )

    # -- paging: a page is asked for, and put in when it arrives -----------------------------------
    def _ask(self, read: Callable[[], object], arrived: Callable[[object], None]) -> None:
        def put(result: object) -> None:
            heard, self._heard = self._heard, {}
            self._putting = True  # no other page is asked for while this one goes in
            try:
                arrived(result)
                if heard:  # what was applied meanwhile is newer than what the page may hold
                    self.apply(heard.values())
            finally:
                self._putting = False
            self._events.arrived()

        self._asking.ask(self.reader, read, put)

    def _take_newest(self, rows: list[Message]) -> None:
        self._rows = [m for m in rows if m.id not in self._removed]
        self._has_older = len(rows) == self._page
        self._renumber()

    def fetch_older(self) -> None:
        """Ask for the next older page; it goes above what is loaded (dropping the newest rows
        when the window is full)."""
        if self.fetching or not self._has_older:
            return
        store, cid, page = self._store, self._cid, self._page
        before = self._rows[0].id if self._rows else None

        def arrived(older: list[Message]) -> None:
            if (self._rows[0].id if self._rows else None) == before:  # else: moved meanwhile
                self._prepend(older, has_older=len(older) == page)
                self._trim(keep_newest=False)

        self._ask(lambda: store.messages(cid, before_id=before, limit=page), arrived)

    def fetch_newer(self) -> None:
        """Ask for the next newer page; it goes below what is loaded (dropping the oldest rows
        when the window is full); the way back down after the window moved up."""
        if self.fetching or not self._has_newer:
            return
        store, cid, page = self._store, self._cid, self._page
        after = self._rows[-1].id if self._rows else 0

        def arrived(newer: list[Message]) -> None:
            if (self._rows[-1].id if self._rows else 0) == after and self._has_newer:
                self._has_newer = len(newer) == page
                self._append(newer)
                self._trim(keep_newest=True)

        self._ask(lambda: store.messages_after(cid, after, limit=page), arrived)

    def show_newest(self, *, force: bool = False) -> None:
        """Go back to the newest page (the user sent a message while reading old history); a
        page on its way for elsewhere is dropped."""
        if not (self._has_newer or force):
            return
        store, cid, page = self._store, self._cid, self._page

        def arrived(rows: list[Message]) -> None:
            if not self._built:  # answered at once, while being made: no model to tell yet
                self._take_newest(rows)
            else:
                self._reload(rows, has_older=len(rows) == page, has_newer=False)

        self._ask(lambda: store.messages(cid, limit=page), arrived)

    def ensure_loaded(
        self, message_id: int, done: Callable[[bool], None] | None = None, *, tries: int = 3
    ) -> bool:
        """Make message_id one of the rows: older pages are loaded down to it when they fit in
        the window, else the window moves to it. done(found) is told when it is (False: not in
        this thread); returns whether it is one of the rows already on return."""
        if message_id in self._pos:
            if done is not None:
                done(True)
            return True
        store, cid = self._store, self._cid
        edges = self._edges()

        def arrived(jump: Jump | None) -> None:
            if jump is not None and self._edges() != edges and jump.how != "reload":
                if tries > 1:  # the window moved meanwhile (messages arrived): ask again
                    self.ensure_loaded(message_id, done, tries=tries - 1)
                    return
                jump = None
            if jump is not None:
                self._jump(jump)
            if done is not None:
                done(message_id in self._pos)

        page, limit = self._page, self._limit
        self._ask(lambda: read_jump(store, cid, message_id, edges, page=page, limit=limit), arrived)
        return message_id in self._pos

    def _edges(self) -> Edges:
        first, last = (self._rows[0].id, self._rows[-1].id) if self._rows else (None, None)
        return Edges(first, last, self._has_older, self._has_newer, len(self._rows))

    def _jump(self, jump: Jump) -> None:
        if jump.how == "append":
            self._append(jump.rows)
            self._trim(keep_newest=True)
        elif jump.how == "prepend":
            self._prepend(jump.rows, has_older=jump.has_older)
            self._trim(keep_newest=False)
        else:
            self._reload(jump.rows, has_older=jump.has_older, has_newer=jump.has_newer)

    # -- messages stored or changed -------------------------------------------------------------
    def apply(self, messages: Iterable[Message]) -> None:
        """Messages were stored or changed, as the store committed them: applied as given, the
        store is not read. New ones of this thread go in (local echo included), loaded ones are
        updated in place, other threads are ignored. One handed over stale (see _STALE) leaves
        the newer state shown; a discarded one (remove()) does not come back."""
        mine = sorted((m for m in messages if m.conversation_id == self._cid), key=lambda m: m.id)
        if not mine:
            return
        if self._asking.pending:
            self._heard.update((m.id, m) for m in mine)
        newest = self._rows[-1].id if self._rows else 0
        arrived: list[Message] = []
        for message in mine:
            row = self.row_for(message.id)
            if row >= 0:
                if (self._rows[row].status, message.status) not in _STALE:
                    self._replace(row, message)
            elif message.id in self._removed:
                continue
            elif message.id > newest:
                arrived.append(message)
            elif self._belongs_inside(message.id):
                # Stored before the newest loaded row but announced after it (another thread
                # committed it first): it goes where it belongs.
                self._insert(message)
        if arrived and not self._has_newer:  # else it shows when the user scrolls down to it
            self._append(arrived)
            self._trim(keep_newest=True)

    def _belongs_inside(self, message_id: int) -> bool:
        """Whether a message not loaded sits between loaded rows (not in a page not loaded)."""
        if not self._rows:
            return False
        return not self._has_older or message_id > self._rows[0].id

    def remove(self, message_id: int) -> None:
        """Take a message out (it was discarded)."""
        self._removed.add(message_id)
        self._heard.pop(message_id, None)
        row = self.row_for(message_id)
        if row < 0:
            return
        self._events.about_to_remove(row, row)
        del self._rows[row]
        self._renumber()
        self._events.removed()
        for neighbour in (row - 1, row):
            if 0 <= neighbour < len(self._rows):
                self._events.changed(neighbour)

    def drop_older(self, keep: int) -> None:
        """Keep only the newest `keep` rows (the older ones page back in when scrolled to)."""
        self._trim(keep_newest=True, limit=keep)

    # -- changing -----------------------------------------------------------------------------
    def _replace(self, row: int, message: Message) -> None:
        current = self._rows[row]
        if message == current:
            return
        moved = message.timestamp != current.timestamp
        self._rows[row] = message
        self._days.pop(message.id, None)
        self._events.changed(row)
        for neighbour in (row - 1, row + 1) if moved else ():
            if 0 <= neighbour < len(self._rows):
                self._events.changed(neighbour)

    def _insert(self, message: Message) -> None:
        row = bisect.bisect_left(self._rows, message.id, key=lambda m: m.id)
        self._events.about_to_insert(row, row)
        self._rows.insert(row, message)
        self._renumber()
        self._events.inserted()
        for neighbour in (row - 1, row + 1):
            if 0 <= neighbour < len(self._rows):
                self._events.changed(neighbour)
        self._trim(keep_newest=True)

    def _prepend(self, older: list[Message], *, has_older: bool) -> None:
        self._has_older = has_older
        older = [m for m in older if m.id not in self._removed]
        if not older:
            return
        count = len(older)
        self._events.about_to_insert(0, count - 1)
        self._rows[0:0] = older
        self._shift += count
        for row, message in enumerate(older):
            self._pos[message.id] = row - self._shift
        self._events.inserted()
        if len(self._rows) > count:  # the old first row may lose its day separator / run start
            self._events.changed(count)

    def _append(self, newer: list[Message]) -> None:
        newer = [m for m in newer if m.id not in self._pos and m.id not in self._removed]
        if not newer:
            return
        first = len(self._rows)
        self._events.about_to_insert(first, first + len(newer) - 1)
        for message in newer:
            self._pos[message.id] = len(self._rows) - self._shift
            self._rows.append(message)
        self._events.inserted()
        if first > 0:  # the old last row may no longer end a run
            self._events.changed(first - 1)

    def _trim(self, *, keep_newest: bool, limit: int | None = None) -> None:
        """Drop rows at one end beyond the window (or beyond `limit` rows)."""
        excess = len(self._rows) - (self._limit if limit is None else max(limit, 1))
        if excess <= 0:
            return
        first = 0 if keep_newest else len(self._rows) - excess
        self._events.about_to_remove(first, first + excess - 1)
        gone = self._rows[first : first + excess]
        del self._rows[first : first + excess]
        for message in gone:
            del self._pos[message.id]
            self._days.pop(message.id, None)
        if keep_newest:
            self._shift -= excess
            self._has_older = True
        else:
            self._has_newer = True
        self._events.removed()
        self._events.changed(0 if keep_newest else len(self._rows) - 1)  # the new edge row

    def _reload(self, rows: list[Message], *, has_older: bool, has_newer: bool) -> None:
        """Replace the window (a jump to elsewhere in the thread)."""
        self._events.about_to_reset()
        self._rows = [m for m in rows if m.id not in self._removed]
        self._has_older = has_older
        self._has_newer = has_newer
        self._days.clear()
        self._renumber()
        self._events.was_reset()

    def _renumber(self) -> None:
        self._shift = 0
        self._pos = {m.id: row for row, m in enumerate(self._rows)}
