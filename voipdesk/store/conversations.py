"""Store: conversations, unread counts and drafts (both stores use this mixin: store/shared.py)."""

from __future__ import annotations

import sqlite3

from voipdesk.core.models import Conversation
from voipdesk.store.flags import NOT_BLOCKED
from voipdesk.store.rows import CONVERSATION_SELECT, LISTED, conversation_from_row
from voipdesk.store.shared import SharedMixin

# A conversation's stored draft: (text, conversation id). Also written with a sent message.
SET_DRAFT = "UPDATE conversations SET draft = ? WHERE id = ?"


class ConversationsMixin(SharedMixin):
    """Conversations between an own number and a peer, their unread counts and drafts."""

    def _conversation_id(self, conn: sqlite3.Connection, own: str, peer: str) -> int:
        """The conversation's id (created when new), its row locked until the commit in the
        shared store: writers of one conversation take turns from here, so its messages' ids
        are in the order they are committed (a thread's order is the order desks hear of its
        messages, and mark_read's `upto` is a point in it), as with SQLite's one writer."""
        # Look first: an upsert would write a new row version for every message (PostgreSQL).
        find = (
            "SELECT id FROM conversations WHERE own_number = ? AND peer_number = ?"
            + self._lock_rows()
        )
        row = conn.execute(find, (own, peer)).fetchone()
        if row is None:
            row = conn.execute(
                "INSERT INTO conversations (own_number, peer_number) VALUES (?, ?)"
                " ON CONFLICT (own_number, peer_number) DO NOTHING RETURNING id",
                (own, peer),
            ).fetchone()
        if row is None:  # another writer of the shared store created it a moment ago
            row = conn.execute(find, (own, peer)).fetchone()
        return row[0]

    def _lock_conversation(self, conn: sqlite3.Connection, conversation_id: int) -> None:
        """Take a conversation's turn to write messages (_conversation_id) by its id."""
        if self._lock_rows():  # (SQLite's one writer has it already)
            conn.execute(
                "SELECT id FROM conversations WHERE id = ?" + self._lock_rows(), (conversation_id,)
            )

    def conversation_for(self, own: str, peer: str) -> Conversation:
        """The conversation between two numbers, created empty if new."""
        cid = self._write(lambda c: self._conversation_id(c, own, peer))
        conv = self.conversation(cid)  # type: ignore[arg-type]
        assert conv is not None
        return conv

    def conversation(self, conversation_id: int) -> Conversation | None:
        rows = self._read(CONVERSATION_SELECT + " WHERE c.id = ?", (conversation_id,))
        return conversation_from_row(rows[0]) if rows else None

    def conversations(self, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """Conversations that have messages (or one scheduled), most recent first."""
        rows = self._read(
            CONVERSATION_SELECT
            + " WHERE "
            + LISTED
            + " AND "
            + NOT_BLOCKED
            + " ORDER BY c.last_ts DESC, c.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [conversation_from_row(r) for r in rows]

    def own_numbers(self) -> list[str]:
        """The user's own numbers that have conversations with messages, sorted."""
        # From one own number to the next along the (own_number, peer_number) index, rather
        # than through every conversation (1.3 ms for 10,000 of them before the first paint).
        rows = self._read(
            "WITH RECURSIVE owns(n) AS ("
            " SELECT min(own_number) FROM conversations"
            " UNION ALL SELECT (SELECT min(own_number) FROM conversations"
            " WHERE own_number > owns.n) FROM owns WHERE owns.n IS NOT NULL)"
            " SELECT n FROM owns WHERE n IS NOT NULL AND EXISTS (SELECT 1 FROM conversations c"
            " WHERE c.own_number = owns.n AND c.last_message_id IS NOT NULL) ORDER BY n"
        )
        return [r[0] for r in rows]

    def conversation_count(self) -> int:
        return self._read("SELECT count(*) FROM conversations WHERE last_message_id IS NOT NULL")[
            0
        ][0]

    def mark_read(self, conversation_id: int, *, upto: int | None = None) -> tuple[int, int | None]:
        """Mark a conversation read: (how many messages were unread and now are not, the
        newest message id it is read up to), so whoever keeps counts can follow without
        reading them again.

        `upto`: the newest message id the desk has drawn in it (None: everything stored). A
        text stored after that one (a desk's change feed had not brought it yet) stays
        unread: within a conversation, message ids are in the order they were stored."""

        def tx(conn: sqlite3.Connection) -> tuple[int, int | None]:
            row = conn.execute(
                "SELECT unread_count, last_message_id, marked_unread FROM conversations"
                " WHERE id = ?" + self._lock_rows(),
                (conversation_id,),
            ).fetchone()
            if row is None:
                return 0, None
            unread, newest, marked = row
            if upto is None or newest is None or upto >= newest:
                upto_id, stays = newest, 0
            else:
                # The unread ones are the thread's newest `unread` inbound messages (each one
                # received adds one; a mark read leaves only those after its bound): those
                # after `upto` stay unread.
                upto_id = upto
                stays = conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM messages WHERE conversation_id = ?"
                    " AND id > ? AND direction = 'in' LIMIT ?) AS after_upto",
                    (conversation_id, upto, unread),
                ).fetchone()[0]
            if unread != stays or marked:
                conn.execute(
                    "UPDATE conversations SET unread_count = ?, marked_unread = 0 WHERE id = ?",
                    (stays, conversation_id),
                )
            return (unread or marked) - stays, upto_id  # (marked unread: it counted as one)

        return self._write(tx)  # type: ignore[return-value]

    def unread_total(self) -> int:
        return self._read(
            "SELECT CAST(COALESCE(sum(CASE WHEN unread_count > 0 THEN unread_count"
            " ELSE marked_unread END), 0) AS BIGINT) FROM conversations"
        )[0][0]

    # A desk on the shared inbox keeps its drafts on its own computer (store/local_drafts.py).
    local_drafts = None

    def set_draft(self, conversation_id: int, text: str) -> None:
        if self.local_drafts is not None:
            return self.local_drafts.set(conversation_id, text)
        self._write(lambda c: c.execute(SET_DRAFT, (text, conversation_id)))

    def drafts(self) -> dict[int, str]:
        """Every conversation's unsent draft (conversation id -> text), those that have one."""
        if self.local_drafts is not None:
            return self.local_drafts.all()
        return dict(self._read("SELECT id, draft FROM conversations WHERE draft <> ''"))

    def draft(self, conversation_id: int) -> str:
        if self.local_drafts is not None:
            return self.local_drafts.get(conversation_id)
        rows = self._read("SELECT draft FROM conversations WHERE id = ?", (conversation_id,))
        return rows[0][0] if rows else ""
