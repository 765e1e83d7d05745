"""A MessageWindow's outside: the store reads it pages with, as plain functions of what it had
loaded when it asked (they run on a worker thread, see ui/reading.py, so they touch nothing but
the store), and the events it tells its model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from voipdesk.core.models import Message


class Pages(Protocol):
    """The reads a window pages with (the Store has them)."""

    def message(self, message_id: int) -> Message | None: ...

    def messages(
        self, conversation_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Message]: ...

    def messages_after(
        self, conversation_id: int, after_id: int, *, limit: int = -1
    ) -> list[Message]: ...


@dataclass(frozen=True, slots=True)
class Edges:
    """What a window had loaded when it asked: its first and last ids, whether the thread goes
    on beyond them, and how many rows it held."""

    first: int | None
    last: int | None
    has_older: bool
    has_newer: bool
    count: int


@dataclass(frozen=True, slots=True)
class Jump:
    """How to make a message one of the rows: rows to append, to prepend, or to load in place
    of the window (`how` is "append", "prepend" or "reload")."""

    how: str
    rows: list[Message]
    has_older: bool = False
    has_newer: bool = False


def read_jump(
    store: Pages, cid: int, message_id: int, edges: Edges, *, page: int, limit: int
) -> Jump | None:
    """The reads that bring message_id into a window with these edges (None: it is not in this
    thread). Older pages are read down to it when they fit in the window, else the pages around
    it are read in place of the window."""
    message = store.message(message_id)
    if message is None or message.conversation_id != cid:
        return None
    if edges.last is not None and message_id > edges.last and not edges.has_newer:
        newer = store.messages_after(cid, edges.last, limit=limit)
        if any(m.id == message_id for m in newer):
            return Jump("append", newer)
    elif edges.first is not None and message_id < edges.first and edges.has_older:
        gathered: list[Message] = []
        before = edges.first
        while len(gathered) + edges.count < limit:
            older = store.messages(cid, before_id=before, limit=page)
            gathered[0:0] = older
            has_older = len(older) == page
            if not has_older or older[0].id <= message_id:
                return Jump("prepend", gathered, has_older=has_older)
            before = older[0].id
    half = page // 2
    older = store.messages(cid, before_id=message_id + 1, limit=half + 1)
    newer = store.messages_after(cid, message_id, limit=page - half)
    return Jump(
        "reload",
        older + newer,
        has_older=len(older) == half + 1,
        has_newer=len(newer) == page - half,
    )


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

    def arrived(self) -> None:
        """A page asked for has arrived and is in (the view lays the rows out again)."""
