"""MessageWindow: which pages of one conversation are loaded, and the run and day flags of their
rows. No Qt: ThreadModel maps its rows to roles and its events to Qt's model signals."""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable
from typing import Protocol

from voipdesk.core.models import Message, Status

# Statuses that keep their own status line even inside a run of bubbles.
ATTENTION = frozenset({Status.FAILED, Status.UNKNOWN, Status.PENDING})
# (shown, handed) status pairs no change makes: the listener's delivery report can be announced
# before the outbox's answer to the send it reports on, so the answer arrives stale.
_STALE = frozenset({(Status.DELIVERED, Status.QUEUED), (Status.FAILED, Status.QUEUED)})


class Pages(Protocol):
    """The reads a window pages with (the Store has them)."""

    def message(self, message_id: int) -> Message | None: ...

    def messages(
        self, conversation_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Message]: ...

    def messages_after(
        self, conversation_id: int, after_id: int, *, limit: int = -1
    ) -> list[Message]: ...


class WindowEvents:
    """What a window tells its model, in the order a Qt model announces it: rows about to be
    inserted or removed and then done, a reset about to happen and then done, a row changed
    (its message, or a neighbour that decides its flags). Does nothing; a model overrides it."""

    def about_to_insert(self, first: int, last: int) -> None:
        """Rows first..last are about to be inserted."""

    def inserted(self) -> None:
        """The rows announced by about_to_insert are in."""

    def about_to_remove(self, first: int, last: int) -> None:
        """Rows first..last (still there) are about to go."""

    def removed(self) -> None:
        """The rows announced by about_to_remove are gone."""

    def about_to_reset(self) -> None:
        """Every row is about to be replaced."""

    def was_reset(self) -> None:
        """The window holds its new rows."""

    def changed(self, row: int) -> None:
        """The row's message or flags changed."""


def _day(ts: float) -> tuple[int, int]:
    local = time.localtime(ts)
    return local.tm_year, local.tm_yday


class MessageWindow:
    """One conversation's messages, oldest first: a window of at most `window_pages` pages of
    the thread. It opens on the newest page; pages the user scrolls to are added at one end and
    the far end is dropped, so a scroll through years of history costs neither memory nor
    layout time (a QListView lays out every row it has). Messages stored or changed are applied
    from the Message objects handed to it; the store is read only to page. A pause of more than
    `run_break` seconds between two messages starts a new run of bubbles."""

    def __init__(
        self,
        store: Pages,
        conversation_id: int,
        *,
        page: int = 60,
        window_pages: int = 10,
        run_break: float,
        events: WindowEvents | None = None,
    ) -> None:
        self._store = store
        self._cid = conversation_id
        self._page = page
        self._limit = page * max(window_pages, 2)
        self._run_break = run_break
        self._events = events if events is not None else WindowEvents()
        self._rows: list[Message] = store.messages(conversation_id, limit=page)
        self._has_older = len(self._rows) == page
        self._has_newer = False  # newer messages exist below the window (it was moved up)
        self._fetching = False
        # row = _pos[id] + _shift, so prepending k rows is `_shift += k`, not a renumbering.
        self._shift = 0
        self._pos: dict[int, int] = {m.id: row for row, m in enumerate(self._rows)}
        self._days: dict[int, tuple[int, int]] = {}
        self._removed: set[int] = set()  # discarded: a late change to one does not bring it back

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
        return self._has_older and not self._fetching

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
            day = self._days[message.id] = _day(message.timestamp)
        return day

    def _breaks(self, before: Message, after: Message) -> bool:
        """Whether `after` starts a new run of bubbles."""
        return (
            before.direction is not after.direction
            or self._day_of(before) != self._day_of(after)
            or abs(after.timestamp - before.timestamp) > self._run_break
        )

    # -- paging (reads the store) ------------------------------------------------------------------
    def fetch_older(self) -> None:
        """Load the next older page and put it above what is loaded (dropping the newest rows
        when the window is full)."""
        if self._fetching or not self._has_older:
            return
        self._fetching = True
        try:
            before = self._rows[0].id if self._rows else None
            older = self._store.messages(self._cid, before_id=before, limit=self._page)
            self._prepend(older, has_older=len(older) == self._page)
            self._trim(keep_newest=False)
        finally:
            self._fetching = False

    def fetch_newer(self) -> None:
        """Load the next newer page below what is loaded (dropping the oldest rows when the
        window is full); the way back down after the window moved up."""
        if self._fetching or not self._has_newer:
            return
        self._fetching = True
        try:
            after = self._rows[-1].id if self._rows else 0
            newer = self._store.messages_after(self._cid, after, limit=self._page)
            self._has_newer = len(newer) == self._page
            self._append(newer)
            self._trim(keep_newest=True)
        finally:
            self._fetching = False

    def show_newest(self) -> None:
        """Go back to the newest page (the user sent a message while reading old history)."""
        if self._has_newer:
            rows = self._store.messages(self._cid, limit=self._page)
            self._reload(rows, has_older=len(rows) == self._page, has_newer=False)

    def ensure_loaded(self, message_id: int) -> bool:
        """Make message_id one of the rows: older pages are loaded down to it when they fit in
        the window, else the window moves to it. False if it is not in this thread."""
        if message_id in self._pos:
            return True
        message = self._store.message(message_id)
        if message is None or message.conversation_id != self._cid or self._fetching:
            return False
        self._fetching = True
        try:
            if self._rows and message_id > self._rows[-1].id and not self._has_newer:
                last = self._rows[-1].id
                self._append(self._store.messages_after(self._cid, last, limit=self._limit))
                self._trim(keep_newest=True)
            elif self._rows and message_id < self._rows[0].id and self._has_older:
                self._load_back_to(message_id)
            if message_id not in self._pos:
                self._centre_on(message_id)
        finally:
            self._fetching = False
        return message_id in self._pos

    def _load_back_to(self, message_id: int) -> None:
        """Prepend older pages down to message_id, in one go, if they fit in the window."""
        gathered: list[Message] = []
        before = self._rows[0].id
        while len(gathered) + len(self._rows) < self._limit:
            page = self._store.messages(self._cid, before_id=before, limit=self._page)
            gathered[0:0] = page
            has_older = len(page) == self._page
            if not has_older or page[0].id <= message_id:
                self._prepend(gathered, has_older=has_older)
                self._trim(keep_newest=False)
                return
            before = page[0].id

    def _centre_on(self, message_id: int) -> None:
        """Load the pages around message_id in place of the window."""
        half = self._page // 2
        older = self._store.messages(self._cid, before_id=message_id + 1, limit=half + 1)
        newer = self._store.messages_after(self._cid, message_id, limit=self._page - half)
        self._reload(
            older + newer,
            has_older=len(older) == half + 1,
            has_newer=len(newer) == self._page - half,
        )

    # -- messages stored or changed -------------------------------------------------------------
    def apply(self, messages: Iterable[Message]) -> None:
        """Messages were stored or changed, as the store committed them. New ones of this thread
        go in (local echo included), loaded ones are updated in place, other threads are ignored.
        The store is read for a loaded message only when what is handed over cannot be the
        latest: handed back unchanged (that is how a discard is announced, the message as it was
        before it was deleted) or stale (see _STALE)."""
        mine = sorted((m for m in messages if m.conversation_id == self._cid), key=lambda m: m.id)
        if not mine:
            return
        newest = self._rows[-1].id if self._rows else 0
        arrived: list[Message] = []
        for message in mine:
            row = self.row_for(message.id)
            if row >= 0:
                shown = self._rows[row]
                if message == shown or (shown.status, message.status) in _STALE:
                    fresh = self._store.message(message.id)
                    if fresh is None or fresh.conversation_id != self._cid:
                        self.remove(message.id)
                        continue
                    message = fresh
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
        row = self.row_for(message_id)
        if row < 0:
            return
        self._events.about_to_remove(row, row)
        self._removed.add(message_id)
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
        newer = [m for m in newer if m.id not in self._pos]
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
        self._rows = rows
        self._has_older = has_older
        self._has_newer = has_newer
        self._days.clear()
        self._renumber()
        self._events.was_reset()

    def _renumber(self) -> None:
        self._shift = 0
        self._pos = {m.id: row for row, m in enumerate(self._rows)}
