"""`voipdesk migrate`: copy this computer's message history (the data folder's SQLite file) into
the shared store on PostgreSQL. The copying is the store's (store/pg/local_copy.py); this says
what it does, as it goes and when it is done."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

EPILOG = (
    "exit status:\n"
    "  0   done: everything is in the shared store (also when it was there already)\n"
    "  1   a store cannot be used: no message database in the data folder, the shared\n"
    "      database cannot be reached or set up, or another voipdesk uses the data folder\n"
    "      (quit it first); run it again once fixed: nothing is copied twice\n"
    "  2   bad usage: no URL (--database or VOIPDESK_DATABASE_URL), not a PostgreSQL URL,\n"
    "      or a password in the URL on the command line\n"
    "  130 stopped by Ctrl+C: run it again to finish (nothing is copied twice)"
)


def add_parser(sub, data_dir: argparse.ArgumentParser) -> None:
    from voipdesk.store.choice import ENV

    migrate = sub.add_parser(
        "migrate",
        parents=[data_dir],
        help="copy this computer's messages into a shared database",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Copy the message history of the data folder into the shared store on "
        "PostgreSQL: conversations, messages, contacts, blocked numbers and scheduled "
        "messages (drafts and settings stay here). Running it again copies only what is "
        "missing. Messages waiting to be sent move to the shared outbox and are never sent "
        "from this computer too.",
        epilog=EPILOG,
    )
    migrate.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help=f"the shared PostgreSQL database to copy into (postgresql://user@host/dbname; env "
        f"{ENV}); the password goes in a password file (PGPASSFILE), never in the URL on the "
        "command line",
    )


def _n(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class _Progress:
    """A line on stderr about once a second while messages are copied."""

    def __init__(self) -> None:
        self._last = 0.0

    def __call__(self, result) -> None:
        now = time.monotonic()
        if now - self._last < 1.0 and result.done < result.total:
            return
        self._last = now
        percent = 100 * result.done // max(result.total, 1)
        print(
            f"  {result.done:,} of {result.total:,} messages ({percent}%)",
            file=sys.stderr,
            flush=True,
        )


def summary(result, where: str) -> list[str]:
    """What the copy did, in sentences."""
    lines = [
        f"Copied {_n(result.messages, 'message')} in "
        f"{_n(len(result.conversations), 'conversation')} to {where}; "
        f"{result.already:,} already there."
    ]
    extra = []
    if result.contacts:
        extra.append(_n(result.contacts, "contact"))
    if result.blocked:
        extra.append(_n(result.blocked, "blocked number"))
    if result.scheduled:
        extra.append(
            f"{_n(result.scheduled, 'scheduled message')} (moved: sent from the shared inbox "
            f"at {'its' if result.scheduled == 1 else 'their'} time, not from here)"
        )
    if extra:
        lines.append("Also copied: " + ", ".join(extra) + ".")
    pending = result.outbox.get("pending", 0)
    unknown = result.outbox.get("unknown", 0)
    if pending:
        one = pending == 1
        lines.append(
            f"{_n(pending, 'message')} waiting to be sent now {'waits' if one else 'wait'} in "
            "the shared outbox: `voipdesk serve` (or a desktop using the shared inbox) sends "
            f"{'it' if one else 'them'}."
        )
    if unknown:
        one = unknown == 1
        lines.append(
            f"{_n(unknown, 'message')} may or may not have been sent (sending was "
            f"interrupted): in the shared inbox {'it says' if one else 'they say'} so, and "
            f"{'is' if one else 'are'} sent again only if you choose to."
        )
    moved = pending + unknown
    if moved:
        lines.append(
            f"On this computer {'it is' if moved == 1 else 'they are'} marked as moved, so "
            f"{'it is' if moved == 1 else 'they are'} never sent from here too."
        )
    lines.append("Drafts and settings stay on this computer.")
    return lines


def run(data_dir: Path, database: str | None) -> int:
    from voipdesk.instance import AlreadyRunning, InstanceLock, stop_hint
    from voipdesk.store import open_store
    from voipdesk.store.choice import ENV
    from voipdesk.store.connection import database_path
    from voipdesk.store.location import redacted
    from voipdesk.store.pg.local_copy import copy_local_history

    if database is None:
        print(
            "voipdesk: migrate needs the shared database: give --database "
            f"postgresql://user@host/dbname, or set {ENV}. Nothing was copied.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if not database_path(data_dir).exists():
        print(
            f"voipdesk: there is no message history in {data_dir} to copy (no "
            f"{database_path(data_dir).name}). Give the folder with --data-dir.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    try:
        lock = InstanceLock.acquire(data_dir, "migrate")
    except AlreadyRunning as exc:
        print(
            f"voipdesk: {exc.holder.describe()} is using the data folder {data_dir}: "
            f"{stop_hint(exc.holder)}, then run migrate again. Nothing was copied.",
            file=sys.stderr,
        )
        return EXIT_ERROR
    where = redacted(database)
    started = time.monotonic()
    with lock, open_store(data_dir) as local, open_store(database) as shared:
        print(f"Copying the messages of {data_dir} to {where}…", file=sys.stderr, flush=True)
        result = copy_local_history(local, shared, progress=_Progress())  # type: ignore[arg-type]
    for line in summary(result, where):
        print(line)
    print(f"Done in {time.monotonic() - started:.1f} s.", file=sys.stderr)
    return EXIT_OK
