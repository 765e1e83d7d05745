"""Rows to objects: the columns a Message or Conversation is read from, and IN-list chunks."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence

from voipdesk.core.models import Conversation, Direction, Message, Status

MESSAGE_COLUMNS = (
    "m.id, m.conversation_id, m.direction, c.own_number, c.peer_number, m.body, m.type, m.status,"
    " m.created_at, m.provider_id, m.provider_ts, m.error_code, m.error_text, m.raw,"
    " m.attachments, m.attempts, m.next_attempt_at, m.last_attempt_at, m.send_at, m.sent_by"
)
# A conversation is listed once it has a message, or one scheduled (`voipdesk send --at` or the
# New message dialog's Send later, to someone not texted yet).
LISTED = (
    "(c.last_message_id IS NOT NULL OR c.id IN (SELECT conversation_id FROM scheduled_messages))"
)
MESSAGE_FROM = "messages m JOIN conversations c ON c.id = m.conversation_id"
CONVERSATION_SELECT = (
    "SELECT c.id, c.own_number, c.peer_number, c.last_message_id, COALESCE(m.body, ''),"
    " m.direction, c.last_ts, c.unread_count, k.name, m.attachments,"
    " c.marked_unread, c.muted, c.opted_out,"
    " (SELECT count(*) FROM scheduled_messages s WHERE s.conversation_id = c.id), m.sent_by"
    " FROM conversations c"
    " LEFT JOIN messages m ON m.id = c.last_message_id"
    " LEFT JOIN contacts k ON k.number = c.peer_number"
)


def message_from_row(row: sqlite3.Row | tuple) -> Message:
    attachments = tuple(json.loads(row[14])) if row[14] else ()
    return Message(
        id=row[0],
        conversation_id=row[1],
        direction=Direction(row[2]),
        own_number=row[3],
        peer_number=row[4],
        body=row[5],
        type=row[6],
        status=Status(row[7]),
        created_at=row[8],
        provider_id=row[9],
        provider_ts=row[10],
        error_code=row[11],
        error_text=row[12],
        raw=row[13],
        attachments=attachments,
        attempts=row[15],
        next_attempt_at=row[16],
        last_attempt_at=row[17],
        send_at=row[18],
        sent_by=row[19],
    )


def conversation_from_row(row: tuple) -> Conversation:
    return Conversation(
        id=row[0],
        own_number=row[1],
        peer_number=row[2],
        last_message_id=row[3],
        last_body=row[4],
        last_direction=Direction(row[5]) if row[5] else None,
        last_timestamp=row[6],
        unread_count=row[7] or row[10],  # marked unread: shown as one unread
        display_name=row[8],
        last_attachments=tuple(json.loads(row[9])) if row[9] else (),
        muted=bool(row[11]),
        opted_out=bool(row[12]),
        scheduled=row[13],
        last_sent_by=row[14],
    )


CHUNK = 500  # values per IN (...) list, well under SQLite's oldest limit of 999 variables


def in_lists(values: Sequence) -> Iterator[tuple[Sequence, str]]:
    """`values` in chunks, each with its "?, ?, ..." for an IN (...) list."""
    for start in range(0, len(values), CHUNK):
        chunk = values[start : start + CHUNK]
        yield chunk, ", ".join("?" * len(chunk))
