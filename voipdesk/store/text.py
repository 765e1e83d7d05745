"""Text that PostgreSQL refuses: a NUL character is valid in a webhook body (and in SQLite) but
not in PostgreSQL's text. Both backends store it the same way: as U+FFFD, the replacement
character ("�"), so the message is kept, shows that something was there, and reads the same
whichever store holds it."""

from __future__ import annotations

import dataclasses
import functools
import operator
import sqlite3
from collections.abc import Callable, Iterable, Sequence

from voipdesk.core.models import InboundMessage, StatusUpdate

NUL = "\x00"
REPLACEMENT = "\ufffd"


def without_nul(value: str) -> str:
    return value.replace(NUL, REPLACEMENT) if NUL in value else value


def clean_args(args: Sequence | dict) -> Sequence | dict:
    """Query parameters with every text (and list of texts) free of NUL characters."""
    # Nearly always there is none: then the parameters as they are, looked over in one loop
    # (a webhook burst runs ~15 statements a message through here).
    for value in args.values() if isinstance(args, dict) else args:
        if isinstance(value, str):
            if NUL in value:
                break
        elif isinstance(value, list):
            break
    else:
        return args
    if isinstance(args, dict):
        return {k: _clean(v) for k, v in args.items()}
    return [_clean(v) for v in args]


def _clean(value: object) -> object:
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def item_without_nul(item: InboundMessage | StatusUpdate) -> InboundMessage | StatusUpdate:
    """What a webhook brought, with every text free of NUL characters (the one place both
    backends take it in: record_webhooks)."""
    # One look over the texts, all read at once (a burst stores thousands a second).
    names, values = _fields(type(item))
    changes = {
        name: without_nul(v)
        for name, v in zip(names, values(item), strict=True)
        if v.__class__ is str and NUL in v
    }
    if isinstance(item, InboundMessage) and any(NUL in a for a in item.attachments):
        changes["attachments"] = tuple(without_nul(a) for a in item.attachments)
    return dataclasses.replace(item, **changes) if changes else item


@functools.cache
def _fields(cls: type) -> tuple[tuple[str, ...], Callable[[object], tuple]]:
    """The dataclass's field names, and a function that reads them all from an instance."""
    names = tuple(f.name for f in dataclasses.fields(cls))
    getter = operator.attrgetter(*names)
    return names, (getter if len(names) > 1 else lambda item: (getter(item),))


class NulFree:
    """A sqlite3 connection whose statements take their text parameters without NUL characters,
    as PostgreSQL must (store/connection.py hands it to each write transaction)."""

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, args: Sequence | dict = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, clean_args(args))

    def executemany(self, sql: str, rows: Iterable[Sequence | dict]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, (clean_args(r) for r in rows))

    def __getattr__(self, name: str) -> object:
        return getattr(self._conn, name)
