"""Repairing a damaged database: every row that can still be read, moved into a new file.

Python's sqlite3 has no `.recover` (that is the sqlite3 shell's), so the method is this one:
the damaged file is opened read-only and each table is read in rowid ranges (`WHERE rowid
BETWEEN lo AND hi`); a range that fails is halved, down to single rows, and the rows that still
cannot be read are skipped and counted. What is read goes into a fresh database made by the
store's own schema (Store), whose search index is then rebuilt, and whose conversations point
at their newest surviving message. Only then does it take the damaged file's place; the damaged
file and its -wal stay in the `damaged-*` folder kept when the damage was found (or kept now).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from voipdesk.private import fsync_dir
from voipdesk.store import damage
from voipdesk.store.errors import StoreError
from voipdesk.store.store import Store

log = logging.getLogger("voipdesk.store")

TABLES = ("conversations", "messages", "contacts", "pending_status", "scheduled_messages")
_RANGE = 512  # rows per read; a failing range is halved down to one row
_ROWS_PER_PAGE = 1000  # more rows than fit in a page: a bound for rowids when max() fails


class RepairFailed(StoreError):
    """Nothing was replaced; str() says why and what to do."""


@dataclass
class Repaired:
    """What `repair` did: rows copied and lost per table, and where the damaged file is."""

    kept: Path
    copied: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    rebuilt: int = 0  # conversations made again for messages whose own could not be read

    def sentence(self) -> str:
        messages, lost = self.copied.get("messages", 0), self.lost.get("messages", 0)
        text = f"Repaired: {messages} messages were moved into a new database"
        text += f"; {lost} could not be read and are lost." if lost else ", and none was lost."
        other = sum(v for k, v in self.lost.items() if k != "messages")
        if other:
            text += f" {other} other records (conversations, contacts) could not be read."
        return text + f" The damaged file is kept in {self.kept}."


def repair(path: Path, *, progress: Callable[[str, int], None] | None = None) -> Repaired:
    """Move every readable row of the database at `path` into a new one that takes its place.
    Run it only while nothing else has the file open (the CLI takes the data folder's lock)."""
    path = Path(path)
    if not path.exists():
        raise RepairFailed(path, f"There is no message database at {path} to repair.")
    kept = _kept_copy(path)
    target = path.with_name(path.name + ".repairing")
    _remove(target)
    Store(target).close()  # the store's own schema, pragmas and migrations
    try:
        result = Repaired(kept)
        with (
            contextlib.closing(_open_source(path)) as src,
            contextlib.closing(sqlite3.connect(target, isolation_level=None)) as dst,
        ):
            dst.execute("PRAGMA foreign_keys = OFF")
            dst.execute("BEGIN")
            triggers = _drop_fts_triggers(dst)
            for table in TABLES:
                _copy_table(src, dst, table, result, progress)
            _orphans(dst, result)
            _tidy(dst)
            for sql in triggers:
                dst.execute(sql)
            dst.execute("COMMIT")
            _unreachable(src, target, result)
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise RepairFailed(path, "The new database did not pass SQLite's check.")
        if not any(result.copied.values()):
            raise RepairFailed(
                path,
                f"Nothing could be read from the damaged database {path}, so it was left as it "
                f"is (a copy is kept in {kept}). Restore a backup of it if you have one.",
            )
        for suffix in ("-wal", "-shm"):  # the damaged file's own; the kept copy has its -wal
            _remove(Path(f"{path}{suffix}"))
        os.replace(target, path)
        fsync_dir(path.parent)
    finally:
        for suffix in ("", "-wal", "-shm"):
            _remove(Path(f"{target}{suffix}"))
    damage.forget(path)
    log.warning("repaired %s: copied %s, lost %s", path, result.copied, result.lost)
    return result


def _kept_copy(path: Path) -> Path:
    known = damage.known(path)
    if known is not None and known.kept is not None:
        return known.kept
    kept, error = damage.keep_aside(path)
    if kept is None:
        raise RepairFailed(
            path,
            f"voipdesk could not keep a copy of the damaged database before repairing it "
            f"({error}), so it did not touch it. Free some space in {path.parent} and try again.",
        )
    return kept


def _open_source(path: Path) -> sqlite3.Connection:
    """The damaged file, read-only: nothing here writes to it."""
    uri = "file:" + quote(str(path.resolve())) + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.execute("PRAGMA query_only = 1")
    return conn


def _drop_fts_triggers(dst: sqlite3.Connection) -> list[str]:
    rows = dst.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'messages_fts_%'"
    ).fetchall()
    for name, _sql in rows:
        dst.execute(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in rows]


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")').fetchall()]


def _copy_table(
    src: sqlite3.Connection,
    dst: sqlite3.Connection,
    table: str,
    result: Repaired,
    progress: Callable[[str, int], None] | None,
) -> None:
    try:
        theirs = set(_columns(src, table))
    except sqlite3.DatabaseError:
        theirs = set()
    columns = [c for c in _columns(dst, table) if c in theirs]
    copied = lost = 0
    if columns:
        names = ", ".join(f'"{c}"' for c in columns)
        # (`id`, where there is one, is the rowid itself: ids, and what refers to them, stay.)
        insert = (
            f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
        )
        select = f'SELECT {names} FROM "{table}" WHERE rowid BETWEEN ? AND ? ORDER BY rowid'
        for rows, missing in _readable(src, select, _upper_bound(src, table)):
            lost += missing
            before = dst.total_changes
            dst.executemany(insert, rows)
            copied += dst.total_changes - before
            lost += len(rows) - (dst.total_changes - before)  # rows the schema refused
            if progress is not None:
                progress(table, copied)
    result.copied[table], result.lost[table] = copied, lost


def _upper_bound(src: sqlite3.Connection, table: str) -> int:
    with contextlib.suppress(sqlite3.DatabaseError, TypeError):
        return int(src.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0)
    with contextlib.suppress(sqlite3.DatabaseError):
        return int(src.execute("PRAGMA page_count").fetchone()[0]) * _ROWS_PER_PAGE
    return 0


def _readable(src: sqlite3.Connection, select: str, top: int) -> Iterator[tuple[list, int]]:
    """(rows read, rowids given up on) for each range in 1..top, halving failed ranges. A
    single row is read with `rowid = ?`, which, unlike a range, does not step on to the next
    (perhaps damaged) page."""
    one = select.replace("rowid BETWEEN ? AND ? ORDER BY rowid", "rowid = ?")
    for start in range(1, top + 1, _RANGE):
        pending = [(start, min(start + _RANGE - 1, top))]
        while pending:
            lo, hi = pending.pop()
            try:
                rows = src.execute(*((one, (lo,)) if lo == hi else (select, (lo, hi)))).fetchall()
            except sqlite3.DatabaseError:
                if lo == hi:
                    yield [], 1
                else:
                    mid = (lo + hi) // 2
                    pending += [(mid + 1, hi), (lo, mid)]  # lo..mid first
                continue
            yield rows, 0


def _unreachable(src: sqlite3.Connection, target: Path, result: Repaired) -> None:
    """Messages a damaged page above them hides from every rowid read, though an index still
    lists their ids: counted as lost too (when that index can be read)."""
    try:
        src.execute("ATTACH DATABASE ? AS fresh", (str(target),))
    except sqlite3.Error:
        return
    try:
        missing = src.execute(
            "SELECT count(*) FROM main.messages INDEXED BY messages_thread"
            " WHERE conversation_id IS NOT NULL AND id NOT IN (SELECT id FROM fresh.messages)"
        ).fetchone()[0]
        result.lost["messages"] = max(result.lost.get("messages", 0), missing)
    except sqlite3.Error:  # the index is damaged too: the count of failed reads stands
        pass
    finally:
        with contextlib.suppress(sqlite3.Error):
            src.execute("DETACH DATABASE fresh")


def _orphans(dst: sqlite3.Connection, result: Repaired) -> None:
    """Messages whose conversation could not be read get one back (with no numbers known, it
    is named after its id), so that they still show and export."""
    missing = dst.execute(
        "SELECT DISTINCT conversation_id FROM messages"
        " WHERE conversation_id NOT IN (SELECT id FROM conversations)"
    ).fetchall()
    for (cid,) in missing:
        dst.execute(
            "INSERT INTO conversations (id, own_number, peer_number) VALUES (?, '', ?)",
            (cid, f"unknown conversation {cid}"),
        )
    result.rebuilt = len(missing)


def _tidy(dst: sqlite3.Connection) -> None:
    """Each conversation points at its newest surviving message; the search index is rebuilt."""
    dst.execute(
        "UPDATE conversations SET last_message_id = (SELECT max(id) FROM messages m"
        " WHERE m.conversation_id = conversations.id)"
    )
    dst.execute(
        "UPDATE conversations SET last_ts = max(last_ts, COALESCE((SELECT created_at FROM"
        " messages m WHERE m.id = conversations.last_message_id), 0))"
    )
    dst.execute("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')")


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
