"""`voipdesk backup` and `voipdesk restore FILE` (the parser and dispatch are in cli.py)."""

from __future__ import annotations

import sys
from pathlib import Path

# Exit statuses of `voipdesk restore` (and `backup`), as the README lists them.
EXIT_OK = 0
EXIT_ERROR = 1  # the data folder or the disk: nothing was changed
EXIT_BAD_FILE = 2  # FILE is missing, unreadable, not a voipdesk backup, damaged or too new
EXIT_BUSY = 75  # another voipdesk runs on the data folder: quit it and try again

RESTORE_EPILOG = (
    "exit status:\n"
    "  0   restored; the database that was there is kept aside (its name is printed)\n"
    "  2   FILE cannot be restored: missing, not a voipdesk backup, damaged, or written by\n"
    "      a newer voipdesk; nothing was changed\n"
    "  75  another voipdesk (the app or `voipdesk listen`) is running on the data folder:\n"
    "      quit it and run the command again; nothing was changed\n"
    "  1   the data folder could not be written (a full disk...); nothing was changed"
)


def _say(text: str) -> None:
    print(f"voipdesk: {text}", file=sys.stderr)


def cmd_backup(data_dir: Path) -> int:
    """Make a backup now; print where it went."""
    from voipdesk.store.backup import KEEP, BackupError, make_backup

    try:
        path = make_backup(data_dir)
    except BackupError as exc:
        _say(f"no backup was made: {exc}.")
        return EXIT_ERROR
    print(path)
    print(f"Backed up your messages (the newest {KEEP} backups are kept).", file=sys.stderr)
    return EXIT_OK


def cmd_restore(data_dir: Path, file: str) -> int:
    """Put the backup FILE in place of the message database, keeping the current one aside."""
    from voipdesk.instance import AlreadyRunning, InstanceLock
    from voipdesk.store.backup import backup_dir
    from voipdesk.store.restore import RestoreError, restore

    backup = Path(file).expanduser().absolute()
    elsewhere = f" voipdesk's backups are in {backup_dir(data_dir)}."
    if not backup.is_file():
        _say(f"{backup} does not exist or is not a file. Nothing was changed.{elsewhere}")
        return EXIT_BAD_FILE
    try:
        lock = InstanceLock.acquire(data_dir, "restore")
    except AlreadyRunning as exc:
        _say(
            f"{exc.holder.describe()} is using the data folder {data_dir}. Quit it, then run "
            "`voipdesk restore` again. Nothing was changed."
        )
        return EXIT_BUSY
    except OSError as exc:
        _say(f"cannot use the data folder {data_dir}: {exc.strerror or exc}. Nothing was changed.")
        return EXIT_ERROR
    try:
        done = restore(data_dir, backup)
    except RestoreError as exc:
        _say(f"{exc} Nothing was changed." + ("" if exc.kind in ("too_new", "io") else elsewhere))
        return EXIT_ERROR if exc.kind == "io" else EXIT_BAD_FILE
    finally:
        lock.release()
    count = f"{done.messages} message" + ("" if done.messages == 1 else "s")
    print(f"Restored {count} from {backup}.")
    if done.kept_aside:
        print(
            f"The database that was there is kept as {done.kept_aside[0]}; "
            "delete it once you no longer need it."
        )
    return EXIT_OK
