"""psycopg's errors as the store's sentences: what went wrong with the shared database, and what
to do, in plain words. The URL is said without its password; libpq's messages never carry one."""

from __future__ import annotations

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import PoolTimeout

from voipdesk.store.errors import StoreUnavailable


def unavailable(where: str, exc: BaseException) -> StoreUnavailable:
    """A StoreUnavailable saying why the shared database at `where` cannot be used."""
    reason = _first_line(exc)
    low = reason.lower()
    if isinstance(exc, pg_errors.InvalidSchemaName | pg_errors.UndefinedTable):
        # A role without USAGE on the schema sees neither it nor its tables.
        sentence = (
            f"The shared database {where} has no voipdesk tables this database role may use "
            f"({reason}). Start `voipdesk serve` on it once as the database's owner (it creates "
            "them), then ask whoever runs the database to grant this role the rights the "
            "README lists (Keeping the shared database safe)."
        )
    elif isinstance(exc, pg_errors.InsufficientPrivilege):
        sentence = (
            f"The shared database {where} refused this change: the database role voipdesk "
            f"signs in as is not allowed to make it ({reason}). Ask whoever runs the database "
            "to grant that role the rights the README lists (Keeping the shared database safe)."
        )
    elif "password authentication failed" in low or "no password supplied" in low:
        sentence = (
            f"The shared database {where} refused the password (or none was given). Check the "
            "user name and the password (Settings → Shared inbox, or your PGPASSFILE)."
        )
    elif "does not exist" in low and "database" in low:
        sentence = (
            f"The server at {where} has no such database. Check the database name in the "
            "address, or create the database first."
        )
    elif "ssl" in low or "certificate" in low:
        sentence = (
            f"voipdesk could not make a secure connection to the shared database {where} "
            f"({reason}). Check sslmode and that sslrootcert names the server's certificate "
            "authority."
        )
    elif isinstance(exc, PoolTimeout | psycopg.OperationalError):
        sentence = (
            f"voipdesk cannot reach the shared database {where} ({reason}). Check that the "
            "database server is running and that this computer can reach it; messages are "
            "kept there and nothing is lost."
        )
    else:
        sentence = f"The shared database {where} cannot be used now ({reason})."
    return StoreUnavailable(where, reason, sentence)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # libpq puts the useful part last ("connection to server ... failed: Connection refused").
    line = lines[0] if lines else text
    return line.rstrip(".")
