"""The SQLite schema and its forward migrations (PRAGMA user_version is the schema version)."""

from __future__ import annotations

import sqlite3

from voipdesk.core.models import Status

# The outbox: outgoing messages the provider has not accepted yet. Defined here, once: the
# messages_outbox partial index below is built on this condition. Queries that want one status
# repeat it (`m.` + it) because SQLite cannot infer that `status = 'pending'` implies the IN
# list: a lookup instead of a full scan. Changing it would change a released migration.
OUTBOX_STATUSES = (Status.SENDING, Status.PENDING, Status.UNKNOWN)
IN_OUTBOX = "status IN ({})".format(", ".join(f"'{s.value}'" for s in OUTBOX_STATUSES))

# Each entry moves the schema from version i to i+1. Never edit a released entry: append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE conversations (
        id INTEGER PRIMARY KEY,
        own_number TEXT NOT NULL,
        peer_number TEXT NOT NULL,
        last_message_id INTEGER,
        last_ts REAL NOT NULL DEFAULT 0,
        unread_count INTEGER NOT NULL DEFAULT 0,
        draft TEXT NOT NULL DEFAULT '',
        UNIQUE (own_number, peer_number)
    );
    CREATE INDEX conversations_recent ON conversations (last_ts DESC, id DESC);

    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        body TEXT NOT NULL,
        type TEXT NOT NULL DEFAULT 'sms',
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        provider_id TEXT,
        provider_ts INTEGER,
        error_code TEXT,
        error_text TEXT,
        raw TEXT,
        attachments TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        owner_pid INTEGER
    );
    -- A thread's newest page, and older pages by keyset: (conversation_id, id) range scans.
    CREATE INDEX messages_thread ON messages (conversation_id, id);
    -- Inbound messages are unique by the provider's mdr_id.
    CREATE UNIQUE INDEX messages_inbound_mdr ON messages (provider_id) WHERE direction = 'in';
    CREATE INDEX messages_outbound_ref ON messages (provider_id)
        WHERE direction = 'out' AND provider_id IS NOT NULL;
    CREATE INDEX messages_outbox ON messages (status)
        WHERE """
    + IN_OUTBOX
    + """;

    CREATE VIRTUAL TABLE messages_fts USING fts5 (
        body, content = 'messages', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF body ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, body) VALUES ('delete', old.id, old.body);
        INSERT INTO messages_fts (rowid, body) VALUES (new.id, new.body);
    END;

    CREATE TABLE contacts (
        number TEXT PRIMARY KEY,
        name TEXT NOT NULL
    );
    """,
    # 1 -> 2: a delivery report that arrives before the send answer stored the provider's id
    # is kept here, keyed by that id, and applied when the id gets stored (Store.update_outgoing).
    """
    CREATE TABLE pending_status (
        provider_id TEXT PRIMARY KEY,
        status TEXT NOT NULL,
        raw TEXT,
        received_at REAL NOT NULL
    );
    CREATE INDEX pending_status_age ON pending_status (received_at);
    """,
    # 2 -> 3: when the last send attempt of an outgoing message began (a Retry that fails
    # again then shows that it tried, and when). NULL: only the first attempt, at created_at.
    """
    ALTER TABLE messages ADD COLUMN last_attempt_at REAL;
    """,
    # 3 -> 4, send later: a scheduled message waits in scheduled_messages (not in messages, no
    # reader of the thread, the list, search or the outbox sees it) until the outbox takes it
    # at its time: one transaction deletes it here and inserts it into messages as sending,
    # where every rule of the outbox applies. messages.send_at keeps the time it was
    # scheduled for (NULL for a message sent at once), so its bubble can say it was late.
    """
    CREATE TABLE scheduled_messages (
        id INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        body TEXT NOT NULL,
        send_at REAL NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE INDEX scheduled_messages_due ON scheduled_messages (send_at);
    CREATE INDEX scheduled_messages_thread ON scheduled_messages (conversation_id, send_at);
    ALTER TABLE messages ADD COLUMN send_at REAL;
    """,
    # 4 -> 5: block, mute, mark unread, opt-outs (store/flags.py). A blocked number's texts are
    # stored but count as read and its conversations leave the list; a muted conversation raises no
    # notification; marked_unread shows a conversation unread until it is opened; opted_out is
    # set by an inbound STOP and cleared by START (core/optout.py).
    """
    ALTER TABLE conversations ADD COLUMN muted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN marked_unread INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE conversations ADD COLUMN opted_out INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE blocked_numbers (
        number TEXT PRIMARY KEY,
        blocked_at REAL NOT NULL
    );
    """,
    # 5 -> 6: `voipdesk serve` writes a heartbeat here about every 30 s (store/heartbeats.py), one
    # row per serve process (role and host), so a desktop can say when the server was last seen.
    """
    CREATE TABLE heartbeats (
        role TEXT NOT NULL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        started_at REAL NOT NULL,
        seen_at REAL NOT NULL,
        PRIMARY KEY (role, host)
    );
    """,
    # 6 -> 7: every message gets a stable unique id (messages.uid, 32 hex digits, made when the
    # message is stored: store/messages.py _insert), which a copy of it keeps: `voipdesk migrate`
    # (store/pg/local_copy.py) recognises a message it copied before by it. Existing ones get one.
    """
    ALTER TABLE messages ADD COLUMN uid TEXT;
    UPDATE messages SET uid = lower(hex(randomblob(16))) WHERE uid IS NULL;
    CREATE UNIQUE INDEX messages_uid ON messages (uid);
    """,
    # 7 -> 8: who sent an outgoing message, by the name a desk on the shared inbox gives ("Sent
    # by Ana" in the team's threads); empty on a desk of one's own.
    """
    ALTER TABLE messages ADD COLUMN sent_by TEXT;
    """,
    # 8 -> 9: who scheduled a message (Send later) on the shared inbox: the message the outbox
    # makes of it when it is due says so ("Sent by Ana"), whichever voipdesk sends it.
    """
    ALTER TABLE scheduled_messages ADD COLUMN sent_by TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer voipdesk."""


def too_new_sentence(version: int) -> str:
    """What to say about a database whose schema `version` is newer than this voipdesk's."""
    return (
        f"This message database was written by a newer voipdesk (schema {version}, "
        f"this version knows {SCHEMA_VERSION}). Update voipdesk to open it."
    )


def migrate(conn: sqlite3.Connection) -> int:
    """Bring the database to SCHEMA_VERSION; return the version it had before."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SchemaTooNewError(too_new_sentence(version))
        for step in range(version, SCHEMA_VERSION):
            for statement in _split(MIGRATIONS[step]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return version


def _split(script: str) -> list[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    statements, buf = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buf += line
        if sqlite3.complete_statement(buf):
            statements.append(buf.strip())
            buf = ""
    if buf.strip():
        statements.append(buf.strip())
    return statements
