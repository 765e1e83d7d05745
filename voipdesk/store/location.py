"""Opening a store from its location: a data folder (SQLite), or a PostgreSQL URL (store/pg/)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from voipdesk.store.connection import database_path
from voipdesk.store.errors import StoreUnavailable, is_url
from voipdesk.store.store import Store

# What a store location may be: a data folder, or a database URL.
Location = Path | str


# Callers hold a location, never a file path, so a server backend can come in behind it.
def open_store(
    location: Location,
    *,
    clock: Callable[[], float] | None = None,
    read_only: bool = False,
    sends: bool = True,
) -> Store:
    """The store at `location`, opened on the calling thread. A data folder holds the SQLite
    file; a postgresql:// URL is the shared store (store/pg/, the same public methods). Raises
    StoreError (store.errors): damaged, read-only, too new, or unavailable. `sends=False`: a
    store that never claims a message to send (the window's reads): on the shared store it
    holds no send-owner session (store/pg/owner.py), a connection and a lock on the server.
    `clock` (tests): the store's time, instead of this computer's (and the shared store's
    database's)."""
    if is_url(location):
        where = redacted(str(location))
        scheme = urlsplit(str(location)).scheme.lower()
        if scheme in ("postgres", "postgresql"):
            from voipdesk.store.pg import PgStore  # psycopg only for those who use it

            return PgStore(str(location), clock=clock, read_only=read_only, sends=sends)  # type: ignore[return-value]
        raise StoreUnavailable(
            where,
            f"unknown kind of database: {scheme}",
            f"voipdesk does not know the kind of database at {where}: give a data folder.",
        )
    return Store(database_path(Path(location)), clock=clock or time.time, read_only=read_only)


class StoreOpener:
    """Opens the store at one location each time it is called, on the calling thread: what a
    worker that needs its own connection (the listener's store thread) is given. str() says
    where, for sentences (never a password)."""

    def __init__(self, location: Location, **options: object) -> None:
        self.location = location
        self._options = options

    def __call__(self) -> Store:
        return open_store(self.location, **self._options)  # type: ignore[arg-type]

    def __str__(self) -> str:
        if is_url(self.location):
            return redacted(str(self.location))
        return str(database_path(Path(self.location)))

    def __repr__(self) -> str:
        return f"StoreOpener({str(self)!r})"


class LentStore:
    """Gives one store that is already open to each caller, instead of opening another, for
    a worker that would open its own (the listener's writer and its check): `voipdesk serve`
    lends its pool of connections to the shared store. What is lent cannot be closed by the
    borrower; its owner closes it. str() says where, as StoreOpener's."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __call__(self) -> _Lent:
        return _Lent(self.store)

    def __str__(self) -> str:
        path = getattr(self.store, "path", "")
        return redacted(path) if isinstance(path, str) else str(path)

    def __repr__(self) -> str:
        return f"LentStore({str(self)!r})"


class _Lent:
    """The lent store, with close() (and the end of a `with`) doing nothing."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def close(self) -> None:
        """Its owner closes it."""

    def __enter__(self) -> _Lent:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def redacted(url: str) -> str:
    """A database URL without its password (in its user part, or a password= parameter), for
    sentences and logs."""
    parts = urlsplit(url)
    if parts.password is None and "password" not in parts.query.lower():
        return url
    if "password" in parts.query.lower():
        query = [
            (k, "***" if k.lower() == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        parts = parts._replace(query=urlencode(query, safe="/*"))
    if parts.password is None:
        return urlunsplit(parts)
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    netloc = f"{parts.username}:***@{host}" if parts.username else f"***@{host}"
    return urlunsplit(parts._replace(netloc=netloc))
