"""Fill a store file with many messages quickly, straight through SQL (for plan tests)."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from voipdesk.store import Store

WORDS = [
    *("hello", "meet", "lunch", "tomorrow", "dinner", "train", "late", "running", "coffee"),
    *("thanks", "call", "later", "ok", "see", "you", "soon", "parcel", "delivered", "invoice"),
    *("paid", "weekend", "football", "birthday", "party", "school", "pickup"),
]
OWN = "+447700900001"


def peer(i: int) -> str:
    return f"+4477009{i:05d}"


def fill(path: Path, messages: int, conversations: int, *, seed: int = 1) -> None:
    """Create a store at `path` holding `messages` messages over `conversations` threads.
    Conversation 1 gets a tenth of all messages; the rest are spread at random."""
    Store(path).close()  # the real schema, migrations and pragmas
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        # sqlite_stat1 made now, while the file is small: the schema that grows with it then
        # keeps its pages at the start, and the file ends in message pages (damaged.make).
        conn.execute("ANALYZE")
        trigger = conn.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'messages_fts_insert'"
        ).fetchone()[0]
        rnd = random.Random(seed)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO conversations (id, own_number, peer_number) VALUES (?, ?, ?)",
            [(i, OWN, peer(i)) for i in range(1, conversations + 1)],
        )
        # The FTS index is built once at the end: one 'rebuild' is far faster than a trigger
        # per row, and gives the same index.
        conn.execute("DROP TRIGGER messages_fts_insert")

        def rows():
            for i in range(messages):
                cid = 1 if i % 10 == 0 else rnd.randint(1, conversations)
                inbound = i % 2 == 1
                yield (
                    cid,
                    "in" if inbound else "out",
                    " ".join(rnd.choices(WORDS, k=6)),
                    "received" if inbound else "queued",
                    1_700_000_000.0 + i,
                    f"mdr-{i}" if inbound else f"out-{i}",
                    1_700_000_000 + i,
                )

        conn.executemany(
            "INSERT INTO messages (conversation_id, direction, body, type, status, created_at,"
            " provider_id, provider_ts) VALUES (?, ?, ?, 'sms', ?, ?, ?, ?)",
            rows(),
        )
        conn.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")
        conn.execute(trigger)
        conn.execute(
            "UPDATE conversations SET"
            " last_message_id = (SELECT max(id) FROM messages m WHERE m.conversation_id ="
            " conversations.id),"
            " last_ts = (SELECT max(created_at) FROM messages m WHERE m.conversation_id ="
            " conversations.id)"
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")  # the planner then sees the real shape of the data
    finally:
        conn.close()
