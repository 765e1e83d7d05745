"""Copying a local history (a data folder's SQLite store) into the shared store on PostgreSQL:
what `voipdesk migrate` does (migrate_cli.py). Not to be confused with store/pg/migrate.py,
which brings the shared schema up to date.

What is copied: conversations (numbers, mute, marked unread, opted out, unread count, their
order), every message in and out with its status, times, attempts, error, provider id or mdr_id,
media links and who sent it (sent_by), contacts, blocked numbers and scheduled messages (with
who scheduled them). Not drafts (they stay with each desk) and not settings or secrets (they are
not in the store).

Running it again changes nothing: each message keeps its stable id (messages.uid), and one the
shared store holds already is skipped, as is an inbound message it received itself (the same
mdr_id). Messages go in batches, one transaction each, in the local store's order (which is a
thread's order), so a copy stopped midway and run again completes without duplicates.

The local outbox moves, so that nothing is sent twice: a message waiting to be retried
(pending) stays pending in the shared store, where `voipdesk serve` (or a desk) sends it; one
that was being sent (sending) or whose outcome is unknown is `unknown` there (it may have reached
the provider: it is never sent again by itself; the user sends it again or discards it). On this
computer each of them is then marked failed ("moved to the shared inbox"), so this computer
never sends it too. Scheduled messages move the same way: copied, then removed here.

A conversation the shared store has already keeps its own mute, marked-unread, opt-out and
unread count (the copied messages count as read there); a new one takes this computer's. Threads
are in id order, so messages copied into a conversation the shared store already has come after
its own: `migrate` is best run before `serve` receives into the shared store (README says so).

A NUL character (valid in SQLite, refused by PostgreSQL) becomes U+FFFD, as in every write to the
shared store (store/text.py): the Tx cleans every text parameter, search words included."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from voipdesk.core.models import Status
from voipdesk.store.pg.changes import log_changes_here, record_changes
from voipdesk.store.pg.connection import Tx
from voipdesk.store.pg.search import body_tokens
from voipdesk.store.rows import in_lists
from voipdesk.store.schema import IN_OUTBOX
from voipdesk.store.text import without_nul

if TYPE_CHECKING:
    from voipdesk.store.pg.store import PgStore
    from voipdesk.store.store import Store

BATCH = 2000  # messages per transaction

# The shared store's status for a message of the local outbox (the others keep theirs).
OUTBOX_STATUS = {
    Status.PENDING.value: Status.PENDING.value,
    Status.SENDING.value: Status.UNKNOWN.value,
    Status.UNKNOWN.value: Status.UNKNOWN.value,
}
MOVED_CODE = "moved"
MOVED_TEXT = "Moved to the shared inbox, which sends it (Retry here would send it twice)."
INTERRUPTED_TEXT = (
    "This message was being sent when it was copied to the shared inbox, so it may or may not "
    "have been sent. Send it again, or discard it."
)

_LOCAL_COLUMNS = (
    "uid, conversation_id, direction, body, type, status, created_at, provider_id, provider_ts,"
    " error_code, error_text, raw, attachments, attempts, next_attempt_at, last_attempt_at,"
    " send_at, sent_by"
)
# The arrays of one batch, in _LOCAL_COLUMNS' order, then the search words.
_ARRAY_TYPES = (
    "text", "bigint", "text", "text", "text", "text", "float8", "text", "bigint",
    "text", "text", "text", "text", "int", "float8", "float8", "float8", "text", "text",
)  # fmt: skip
_INSERT_BATCH = (
    f"INSERT INTO messages ({_LOCAL_COLUMNS}, search)"
    f" SELECT {', '.join('u.c' + str(i) for i in range(18))},"
    " array_to_tsvector(string_to_array(u.c18, ' '))"
    " FROM unnest("
    + ", ".join(f"%s::{t}[]" for t in _ARRAY_TYPES)
    + ") WITH ORDINALITY AS u("
    + ", ".join(f"c{i}" for i in range(19))
    + ", ord) ORDER BY u.ord"
    # Already there: the same uid (copied before), or the same mdr_id (received there too).
    " ON CONFLICT DO NOTHING RETURNING conversation_id, id, created_at, status"
)
_TOUCH_BATCH = (
    "UPDATE conversations c SET"
    " last_message_id = GREATEST(COALESCE(c.last_message_id, 0), u.mid),"
    " last_ts = GREATEST(c.last_ts, u.ts)"
    " FROM unnest(%s::bigint[], %s::bigint[], %s::float8[]) AS u(cid, mid, ts)"
    " WHERE c.id = u.cid"
)


@dataclass
class CopyResult:
    """What a copy did (so far, while it runs)."""

    total: int = 0  # messages in the local store
    messages: int = 0  # copied
    already: int = 0  # there before (copied by an earlier run, or received there too)
    conversations: set[int] = field(default_factory=set)  # local ids with a message copied
    new_conversations: int = 0
    contacts: int = 0
    blocked: int = 0
    scheduled: int = 0  # moved (copied, or there already, then removed here)
    outbox: dict[str, int] = field(default_factory=dict)  # shared status -> messages moved
    batches: int = 0

    @property
    def done(self) -> int:
        return self.messages + self.already


Progress = Callable[[CopyResult], None]


def copy_local_history(
    source: Store, target: PgStore, *, batch: int = BATCH, progress: Progress | None = None
) -> CopyResult:
    """Copy everything of `source` (a SQLite store) that `target` lacks; `progress` is called
    after each committed batch. Raises the store errors of either side."""
    result = CopyResult()
    _give_uids(source)
    result.total = source.message_count()
    conversations = _copy_conversations(source, target, result)
    _copy_names(source, target, result)
    last = 0
    while True:
        rows = source._read(
            f"SELECT id, {_LOCAL_COLUMNS} FROM messages WHERE id > ? ORDER BY id LIMIT ?",
            (last, batch),
        )
        if not rows:
            break
        last = rows[-1][0]
        _copy_batch(source, target, [r[1:] for r in rows], conversations, result)
        result.batches += 1
        if progress is not None:
            progress(result)
    _move_scheduled(source, target, conversations, result)
    return result


def _give_uids(source: Store) -> None:
    """A message stored before uids existed has one since the schema's migration; this covers
    rows written by anything else (a salvage of an old file)."""
    source._write(
        lambda c: c.execute(
            "UPDATE messages SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL"
        )
    )


def _copy_conversations(source: Store, target: PgStore, result: CopyResult) -> dict[int, int]:
    """Every local conversation in the shared store; local id -> shared id. One the shared
    store has already keeps its own flags and unread count; a new one takes the local ones
    (its draft stays here)."""
    rows = source._read(
        "SELECT id, own_number, peer_number, last_ts, unread_count, muted, marked_unread,"
        " opted_out FROM conversations ORDER BY id"
    )
    if not rows:
        return {}
    columns = [list(c) for c in zip(*rows, strict=True)]

    def tx(t: Tx) -> tuple[int, dict[tuple[str, str], int]]:
        added = t.execute(
            "INSERT INTO conversations (own_number, peer_number, last_ts, unread_count, muted,"
            " marked_unread, opted_out) SELECT * FROM unnest(%s::text[], %s::text[],"
            " %s::float8[], %s::int[], %s::int[], %s::int[], %s::int[])"
            " ON CONFLICT (own_number, peer_number) DO NOTHING RETURNING id",
            columns[1:],
        ).fetchall()
        ids = t.execute(
            "SELECT c.own_number, c.peer_number, c.id FROM conversations c"
            " JOIN unnest(%s::text[], %s::text[]) AS u(own, peer)"
            " ON c.own_number = u.own AND c.peer_number = u.peer",
            columns[1:3],
        ).fetchall()
        return len(added), {(own, peer): cid for own, peer, cid in ids}

    added, shared = target._write(tx)
    result.new_conversations = added
    return {r[0]: shared[(without_nul(r[1]), without_nul(r[2]))] for r in rows}


def _copy_names(source: Store, target: PgStore, result: CopyResult) -> None:
    """Contacts and blocked numbers the shared store lacks (a name it has stays)."""
    contacts = source._read("SELECT number, name FROM contacts")
    blocked = source._read("SELECT number, blocked_at FROM blocked_numbers")

    def tx(t: Tx) -> tuple[int, int]:
        named = t.execute(
            "INSERT INTO contacts (number, name) SELECT * FROM unnest(%s::text[], %s::text[])"
            " ON CONFLICT (number) DO NOTHING RETURNING number",
            [[r[0] for r in contacts], [r[1] for r in contacts]],
        ).fetchall()
        barred = t.execute(
            "INSERT INTO blocked_numbers (number, blocked_at)"
            " SELECT * FROM unnest(%s::text[], %s::float8[])"
            " ON CONFLICT (number) DO NOTHING RETURNING number",
            [[r[0] for r in blocked], [r[1] for r in blocked]],
        ).fetchall()
        return len(named), len(barred)

    result.contacts, result.blocked = target._write(tx)


def _copy_batch(
    source: Store,
    target: PgStore,
    rows: list[tuple],
    conversations: dict[int, int],
    result: CopyResult,
) -> None:
    """One batch of local message rows (in _LOCAL_COLUMNS' order) in one transaction; then its
    outbox messages leave the local outbox."""
    moving = [row[0] for row in rows if row[5] in OUTBOX_STATUS]  # uids of outbox messages
    local_of = {conversations[row[1]]: row[1] for row in rows}

    def tx(t: Tx) -> list[tuple]:
        present = {
            r[0]
            for r in t.execute(
                "SELECT uid FROM messages WHERE uid = ANY(%s::text[])", ([r[0] for r in rows],)
            )
        }
        fresh = [row for row in rows if row[0] not in present]
        if not fresh:  # a run again, or one that stopped after this batch
            return []
        log_changes_here(t)  # a change per message and per conversation, logged at the end
        added = t.execute(_INSERT_BATCH, _arrays(fresh, conversations)).fetchall()
        newest: dict[int, tuple[int, float]] = {}
        for cid, mid, ts, _ in added:
            old_mid, old_ts = newest.get(cid, (0, 0.0))
            newest[cid] = (max(old_mid, mid), max(old_ts, ts))
        if newest:
            t.execute(
                _TOUCH_BATCH,
                [list(newest), [v[0] for v in newest.values()], [v[1] for v in newest.values()]],
            )
        # New ids are above every id there: each conversation's last message moved.
        messages = sorted(((cid, mid) for cid, mid, *_ in added), key=lambda m: m[1])
        record_changes(t, messages, list(newest))
        return added

    added = target._write(tx)
    result.messages += len(added)
    result.already += len(rows) - len(added)
    result.conversations.update(local_of[cid] for cid, *_ in added)
    for *_, status in added:
        if status in (Status.PENDING.value, Status.UNKNOWN.value):
            result.outbox[status] = result.outbox.get(status, 0) + 1
    if moving:
        _leave_local_outbox(source, moving)


def _arrays(rows: list[tuple], conversations: dict[int, int]) -> list[list]:
    """Local message rows as the columns _INSERT_BATCH takes: shared conversation ids, outbox
    statuses as the shared store keeps them, and each body's search words."""
    arrays: list[list] = [[] for _ in _ARRAY_TYPES]
    for row in rows:
        values = list(row)
        values[1] = conversations[row[1]]
        status = row[5]
        if status in OUTBOX_STATUS:
            values[5] = OUTBOX_STATUS[status]
            if status == Status.SENDING.value and not row[10]:
                values[10] = INTERRUPTED_TEXT
        values.append(" ".join(body_tokens(without_nul(row[3] or ""))))
        for array, value in zip(arrays, values, strict=True):
            array.append(value)
    return arrays


def _leave_local_outbox(source: Store, uids: list[str]) -> None:
    """The local outbox messages now in the shared store: marked failed here, never sent from
    this computer too."""

    def tx(c: object) -> None:
        for chunk, marks in in_lists(uids):
            c.execute(  # type: ignore[attr-defined]
                "UPDATE messages SET status = 'failed', error_code = ?, error_text = ?,"
                " next_attempt_at = NULL, owner_pid = NULL"
                f" WHERE uid IN ({marks}) AND {IN_OUTBOX}",
                (MOVED_CODE, MOVED_TEXT, *chunk),
            )

    source._write(tx)


def _move_scheduled(
    source: Store, target: PgStore, conversations: dict[int, int], result: CopyResult
) -> None:
    """Scheduled messages into the shared store (where the outbox takes each at its time), then
    out of the local one. One there already (the same conversation, text, time and creation:
    a run stopped between the two) is not added again."""
    rows = source._read(
        "SELECT id, conversation_id, body, send_at, created_at, sent_by FROM scheduled_messages"
        " ORDER BY id"
    )
    if not rows:
        return

    def tx(t: Tx) -> None:
        for _, cid, body, send_at, created_at, sent_by in rows:
            same = (conversations[cid], body, send_at, created_at)
            t.execute(
                "INSERT INTO scheduled_messages"
                " (conversation_id, body, send_at, created_at, sent_by)"
                " SELECT %s, %s, %s, %s, %s WHERE NOT EXISTS (SELECT 1 FROM scheduled_messages"
                " WHERE conversation_id = %s AND body = %s AND send_at = %s AND created_at = %s)",
                (*same, sent_by, *same),
            )

    target._write(tx)

    def forget(c: object) -> None:
        for chunk, marks in in_lists([r[0] for r in rows]):
            c.execute(f"DELETE FROM scheduled_messages WHERE id IN ({marks})", chunk)  # type: ignore[attr-defined]

    source._write(forget)
    result.scheduled = len(rows)
