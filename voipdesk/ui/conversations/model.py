"""The conversation list's model: conversations newest first, paged, kept in step without resets."""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable, Iterable
from enum import IntEnum

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Signal

from voipdesk.core.models import Conversation, Direction, Message
from voipdesk.core.phone import display
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.conversations.draft import draft_preview
from voipdesk.ui.conversations.sender import SentByMe, who_sent
from voipdesk.ui.listmodel import ACCESSIBLE as _ACCESSIBLE
from voipdesk.ui.listmodel import DISPLAY as _DISPLAY
from voipdesk.ui.listmodel import ROLE_BASE as _ROLE_BASE
from voipdesk.ui.listmodel import PagedListModel
from voipdesk.ui.reading import AT_ONCE, Latest, Reader


class ConversationRole(IntEnum):
    """Data roles of ConversationListModel."""

    Conversation = _ROLE_BASE
    Id = _ROLE_BASE + 1
    PeerNumber = _ROLE_BASE + 2
    DisplayName = _ROLE_BASE + 3
    LastBody = _ROLE_BASE + 4
    Timestamp = _ROLE_BASE + 5
    Unread = _ROLE_BASE + 6
    Via = _ROLE_BASE + 7  # the own number, formatted, when the user texts from several; else None
    Preview = _ROLE_BASE + 8  # the last message's one-line preview (preview_text)
    Draft = _ROLE_BASE + 20  # the unsent draft ("" when none)


def _sort_key(conversation: Conversation) -> tuple[float, int]:
    # The store's order (last_ts DESC, id DESC) as an ascending key, for bisect.
    return (-conversation.last_timestamp, -conversation.id)


def preview_text(conversation: Conversation, sent_by_me: SentByMe | None = None) -> str:
    """The one-line preview of a conversation's last message ("Ana: …": sender.py)."""
    if conversation.last_message_id is None and conversation.scheduled:
        return "Scheduled message" if conversation.scheduled == 1 else "Scheduled messages"
    body = " ".join(conversation.last_body.split())
    if not body:  # an MMS without text (core.media is not needed for a first screen of texts)
        from voipdesk.core.media import preview_word

        body = preview_word(conversation.last_attachments)
    if conversation.last_direction is not Direction.OUT:
        return body
    return f"{who_sent(conversation, sent_by_me)}: {body}"


class ConversationListModel(PagedListModel):
    """Conversations newest first, loaded from the store a page at a time."""

    PAGE = 200
    ROLES = ConversationRole
    severalOwnNumbersChanged = Signal()  # several_own_numbers flipped
    ownNumbersChanged = Signal()  # own_numbers changed

    def __init__(
        self,
        store: Store,
        *,
        country: str = "GB",
        reads: Reader = AT_ONCE,
        parent: QObject | None = None,
    ):
        super().__init__(parent)
        self.reads = reads  # (the window's: its first reads already answer on a worker)
        self._store = store
        self.country = country
        self._rows: list[Conversation] = []
        # Own numbers among the conversations: with more than one, rows say which they are on
        # (the same person texted from two numbers is two conversations).
        self._own_numbers: set[str] = set()
        # Conversation id -> the newest message id the store had when it marked it read.
        self._read_upto: dict[int, int] = {}
        self.drafts: dict[int, str] = {}  # conversation id -> unsent text (read first, below)
        self.sent_by_me: SentByMe | None = None  # on the shared inbox (ui/shared_desk.py)
        self._drafts_set: set[int] | None = set()  # ones set before the stored drafts came
        self._own_read, self._refreshing, self._names_read = Latest(), Latest(), Latest()
        self.reads.request(store.drafts, self._drafts_are)
        self._update_own_numbers()
        self.fetchMore(QModelIndex())

    # -- Qt model interface ---------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> object:
        conversation = self.row_at(index)
        if conversation is None:
            return None
        if role == _DISPLAY or role == ConversationRole.DisplayName:
            return self.display_name(conversation)
        if role == ConversationRole.Conversation:
            return conversation
        if role == ConversationRole.Id:
            return conversation.id
        if role == ConversationRole.PeerNumber:
            return conversation.peer_number
        if role == ConversationRole.LastBody:
            return conversation.last_body
        if role == ConversationRole.Timestamp:
            return conversation.last_timestamp
        if role == ConversationRole.Unread:
            return conversation.unread_count
        if role == ConversationRole.Via:
            return self.via(conversation)
        if role == ConversationRole.Draft:
            return self.drafts.get(conversation.id, "")
        if role == ConversationRole.Preview:
            return self.preview(conversation)
        if role == _ACCESSIBLE:
            unread = f", {conversation.unread_count} unread" if conversation.unread_count else ""
            unread += ", muted" if conversation.muted else ""
            when = theme.relative_time(conversation.last_timestamp)
            via = self.via(conversation)
            on = f", via {via}" if via else ""
            return (
                f"{self.display_name(conversation)}{unread}{on}, {when}: "
                f"{draft_preview(self.drafts.get(conversation.id)) or self.preview(conversation)}"
            )
        return None

    def preview(self, conversation: Conversation) -> str:
        return preview_text(conversation, self.sent_by_me)

    def set_draft(self, conversation_id: int, text: str) -> None:
        """A conversation's draft changed (the list says "Draft: …" while there is one)."""
        text = text if text.strip() else ""
        if self._drafts_set is not None:
            self._drafts_set.add(conversation_id)
        if self.drafts.get(conversation_id, "") == text:
            return
        if text:
            self.drafts[conversation_id] = text
        else:
            self.drafts.pop(conversation_id, None)
        index = self.index_for(conversation_id)
        if index.isValid():
            self.dataChanged.emit(index, index)

    def _drafts_are(self, stored: dict[int, str]) -> None:
        """The drafts as stored (read at start): one set (or cleared) meanwhile is newer."""
        newer, self._drafts_set = self._drafts_set or set(), None
        self.drafts = {c: t for c, t in stored.items() if c not in newer} | self.drafts
        if stored and self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def _page_read(self) -> Callable[[], object]:
        store, limit, offset = self._store, self.PAGE, len(self._rows)
        return lambda: store.conversations(limit=limit, offset=offset)

    def _page_arrived(self, result: object) -> list[Conversation]:
        page: list[Conversation] = result  # type: ignore[assignment]
        self._at_end = len(page) < self.PAGE
        known = {c.id for c in self._rows}  # rows that moved up since the offset was counted
        return [c for c in page if c.id not in known]

    # -- lookups ----------------------------------------------------------------------------------
    def display_name(self, conversation: Conversation) -> str:
        """The contact's name, else the number formatted for people."""
        return conversation.display_name or display(conversation.peer_number, self.country)

    @property
    def several_own_numbers(self) -> bool:
        return len(self._own_numbers) > 1

    @property
    def own_numbers(self) -> list[str]:
        """The own numbers that have conversations, sorted (as last read: no store call)."""
        return sorted(self._own_numbers)

    def via(self, conversation: Conversation) -> str | None:
        """The own number a conversation is on, formatted, when the user has several; else None."""
        if not self.several_own_numbers:
            return None
        return display(conversation.own_number, self.country)

    def _update_own_numbers(self, added: set[str] | None = None) -> None:
        """The own numbers in use: `added` to those known, else read again from the store."""
        if added is None:
            store = self._store
            self._own_read.ask(self.reads, lambda: set(store.own_numbers()), self._own_numbers_are)
        else:
            self._own_numbers_are(self._own_numbers | added)

    def _own_numbers_are(self, numbers: set[str]) -> None:
        before, changed = self.several_own_numbers, numbers != self._own_numbers
        self._own_numbers = numbers
        if changed:
            self.ownNumbersChanged.emit()
        if before != self.several_own_numbers:
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))
            self.severalOwnNumbersChanged.emit()

    def row_of(self, conversation_id: int) -> int:
        """The row of a loaded conversation, or -1."""
        for row, conversation in enumerate(self._rows):
            if conversation.id == conversation_id:
                return row
        return -1

    def index_for(self, conversation_id: int) -> QModelIndex:
        """The index of a loaded conversation (invalid when it is not loaded)."""
        row = self.row_of(conversation_id)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def conversation(self, row: int) -> Conversation | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- keeping up with the store ----------------------------------------------------------------
    def apply(self, messages: Iterable[Message]) -> None:
        """Messages were stored or changed: a conversation's newer message becomes its preview
        and time (an inbound one adds to its unread count) and the conversation moves to where
        it now sorts (the top, for a new message), from the messages themselves. Only a
        conversation not loaded yet is read from the store (its contact name and unread count
        are not in a message) and placed when it arrives. Selection and scrolling survive."""
        added, unknown = set(), set()
        for message in sorted(messages, key=lambda m: m.id):
            row = self.row_of(message.conversation_id)
            if row < 0:
                unknown.add(message.conversation_id)
                continue
            fresh = self._with_message(self._rows[row], message)
            if fresh is None:
                continue  # a status change, or a message it already shows
            added.add(fresh.own_number)
            self._place(message.conversation_id, fresh)
        if added - self._own_numbers:
            self._update_own_numbers(added)
        if unknown:
            self._look_up(unknown, newer_only=True)

    def _look_up(self, conversation_ids: set[int], *, newer_only: bool = False) -> None:
        """Read these conversations and put each where it now belongs when they arrive
        (`newer_only`: unless the row shows a newer message by then)."""
        store, wanted = self._store, sorted(conversation_ids)

        def arrived(found: list[tuple[int, Conversation | None]]) -> None:
            recount = False
            for conversation_id, fresh in found:
                row = self.row_of(conversation_id)
                shown = self._rows[row].last_message_id or 0 if row >= 0 else 0
                if fresh is not None and newer_only and shown >= (fresh.last_message_id or 0):
                    continue  # applied meanwhile from a newer message
                upto = self._read_upto.get(conversation_id, 0)
                if fresh is not None and (fresh.last_message_id or 0) <= upto:
                    fresh = dataclasses.replace(fresh, unread_count=0)  # marked read meanwhile
                recount = self._place(conversation_id, fresh) or recount
            if recount:
                self._update_own_numbers()

        self.reads.request(lambda: [(c, store.conversation(c)) for c in wanted], arrived)

    def _with_message(self, conversation: Conversation, message: Message) -> Conversation | None:
        """The conversation with `message` as its newest (None when it is not newer): the
        store's rule (store/messages.py TOUCH_CONVERSATION) applied to what the row knows."""
        if conversation.last_message_id is not None and message.id <= conversation.last_message_id:
            return None
        unread = conversation.unread_count
        if message.direction is Direction.IN and message.id > self._read_upto.get(
            conversation.id, 0
        ):
            unread += 1
        return dataclasses.replace(
            conversation,
            last_message_id=message.id,
            last_body=message.body,
            last_attachments=message.attachments,
            last_direction=message.direction,
            last_sent_by=message.sent_by,
            last_timestamp=max(conversation.last_timestamp, message.created_at),  # (forward)
            unread_count=unread,
        )

    def mark_read(self, conversation_id: int, cleared: int, upto: int | None) -> None:
        """The store marked a conversation read: `cleared` messages, up to message `upto`
        (an inbound message up to it that is told later is not unread)."""
        if upto is not None:
            self._read_upto[conversation_id] = upto
        row = self.row_of(conversation_id)
        if row < 0 or not cleared:
            return
        conversation = self._rows[row]
        unread = max(conversation.unread_count - cleared, 0)
        if unread != conversation.unread_count:
            self._rows[row] = dataclasses.replace(conversation, unread_count=unread)
            index = self.index(row, 0)
            self.dataChanged.emit(index, index)

    def update_conversations(self, conversation_ids: Iterable[int]) -> None:
        """Re-read these conversations from the store and put each where it now belongs (after
        a message was discarded: the preview then comes from one the list was not given)."""
        self._look_up(set(conversation_ids))

    def _place(self, conversation_id: int, fresh: Conversation | None) -> bool:
        """Put a conversation's new state where it belongs (out of the list when it has no
        messages). Returns whether the set of own numbers in use may have changed."""
        row = self.row_of(conversation_id)
        if fresh is None or not fresh.listed:
            if row >= 0:
                self._remove(row)
            return self.several_own_numbers  # the last conversation on a number may have gone
        recount = fresh.own_number not in self._own_numbers
        others = self._rows[:row] + self._rows[row + 1 :] if row >= 0 else self._rows
        target = bisect.bisect_left(others, _sort_key(fresh), key=_sort_key)
        if target >= len(others) and not self._at_end:
            # It now sorts below what is loaded; the next page brings it (and keeps paging exact).
            if row >= 0:
                self._remove(row)
            return recount
        if row < 0:
            self.beginInsertRows(QModelIndex(), target, target)
            self._rows.insert(target, fresh)
            self.endInsertRows()
            return recount
        self._rows[row] = fresh
        if target != row:
            destination = target if target < row else target + 1
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
            self._rows.insert(target, self._rows.pop(row))
            self.endMoveRows()
        index = self.index(target, 0)
        self.dataChanged.emit(index, index)
        return recount

    def _remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()

    def refresh(self) -> None:
        """Re-read every loaded conversation (unread counts, last messages, order) without a
        reset, so the selection survives."""
        wanted = max(len(self._rows) + (self.PAGE if self._at_end else 0), self.PAGE)
        store = self._store

        def arrived(fresh: list[Conversation]) -> None:
            self._paging.drop()  # a page counted from the rows before
            self._at_end = len(fresh) < wanted
            self._reconcile(fresh)
            self._update_own_numbers()

        self._refreshing.ask(
            self.reads, lambda: store.conversations(limit=wanted, offset=0), arrived
        )

    def set_contacts_changed(self) -> None:
        """Contact names changed: show the new ones (read, then shown when they arrive)."""
        store = self._store
        self._names_read.ask(self.reads, store.contacts, self._names_are)

    def _names_are(self, names: dict[str, str]) -> None:
        changed = False
        for row, conversation in enumerate(self._rows):
            name = names.get(conversation.peer_number)
            if name != conversation.display_name:
                self._rows[row] = dataclasses.replace(conversation, display_name=name)
                changed = True
        if changed:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def _reconcile(self, fresh: list[Conversation]) -> None:
        by_id = {c.id: c for c in fresh}
        for row in reversed(range(len(self._rows))):
            if self._rows[row].id not in by_id:
                self._remove(row)
        known = {c.id for c in self._rows}
        missing = [c for c in fresh if c.id not in known]
        if missing:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(missing) - 1)
            self._rows.extend(missing)
            self.endInsertRows()
        old = self._rows
        previous = {c.id: c for c in old}
        order = [c.id for c in fresh]
        if [c.id for c in old] != order:
            self.layoutAboutToBeChanged.emit()
            new_row = {cid: row for row, cid in enumerate(order)}
            before = self.persistentIndexList()
            after = [
                self.index(new_row[old[p.row()].id], 0) if p.isValid() else QModelIndex()
                for p in before
            ]
            self._rows = list(fresh)
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()
        else:
            self._rows = list(fresh)
        changed = [row for row, c in enumerate(self._rows) if previous.get(c.id) != c]
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), 0))
