"""What can go wrong with the message database, as errors whose text is a sentence for the user.

Callers outside store/ catch these, never sqlite3's own exceptions: a damaged file and a folder
that cannot be written are different problems with different remedies, and say so."""

from __future__ import annotations

from pathlib import Path

from voipdesk.store.schema import SchemaTooNewError

REPAIR_COMMAND = "voipdesk repair"


class StoreError(Exception):
    """The message database cannot be used; str() is a sentence for the user."""

    def __init__(self, path: Path | str, sentence: str) -> None:
        super().__init__(sentence)
        # The database file; for a database server, its URL as said (never with a password).
        self.path: Path | str = path if is_url(path) else Path(path)


def is_url(location: Path | str) -> bool:
    """Whether a store location is a URL (a database server) rather than a path."""
    return isinstance(location, str) and "://" in location


class StoreDamaged(StoreError):
    """The database file is damaged (SQLite reports it corrupt, or it is not a database).

    `kept` is the folder holding a byte-identical copy of the file (and its -wal) as it was on
    disk when the damage was found, or None when that copy could not be made (`keep_error` says
    why). Once a file is found damaged, voipdesk writes nothing more to it."""

    def __init__(
        self,
        path: Path,
        detail: str,
        *,
        kept: Path | None = None,
        keep_error: str | None = None,
    ) -> None:
        self.detail = detail
        self.kept = kept
        self.keep_error = keep_error
        super().__init__(path, damaged_sentence(Path(path), kept, keep_error))


class StoreReadOnly(StoreError):
    """The database (or its folder) cannot be written: permissions or a read-only disk."""

    def __init__(self, path: Path, reason: str) -> None:
        self.reason = reason
        super().__init__(path, unwritable_sentence(Path(path).parent, reason))


class StoreUnavailable(StoreError):
    """The store cannot be used now: locked by another program for too long, a disk that fails
    or is full, an operation interrupted, or a kind of store this voipdesk cannot use."""

    def __init__(self, path: Path | str, reason: str, sentence: str | None = None) -> None:
        self.reason = reason
        super().__init__(
            path,
            sentence
            or f"The message database {path} cannot be used ({reason}). Check that the folder "
            "exists and is writable, and that no other program holds the database.",
        )


class StoreTooNew(StoreError, SchemaTooNewError):
    """The database was written by a newer voipdesk (a schema this version does not know)."""


def unwritable_sentence(folder: Path, reason: str) -> str:
    """What happened and what to do, for a data folder that cannot be written."""
    return (
        f"voipdesk cannot write to its data folder {folder} ({reason}). It keeps your "
        "messages, settings and logs there: make the folder writable by your user, or choose "
        "another one with --data-dir (or VOIPDESK_DATA_DIR), then start voipdesk again."
    )


def damaged_sentence(path: Path, kept: Path | None, keep_error: str | None) -> str:
    """What happened and what to do, for a damaged database."""
    text = (
        f"The message database {path} is damaged, so voipdesk stopped using it: nothing more is "
        "written to it, and messages cannot be received until it is repaired."
    )
    if kept is not None:
        text += f" A copy of the damaged file, exactly as it was, is kept in {kept}."
    else:
        text += (
            f" voipdesk could not keep a copy of it ({keep_error or 'unknown reason'}): "
            "do not delete the file."
        )
    text += (
        f" To repair it, quit voipdesk and run `{REPAIR_COMMAND}` (or choose Repair in the app): "
        "it moves every message that can still be read into a new database."
    )
    return text
