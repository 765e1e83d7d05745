"""What stops voipdesk from using its data folder, said to a person: a folder it cannot write
(and why), or a damaged message database (and what was kept, and how to repair it). On stderr
for the commands; in a window too when the app was started from the desktop, where nobody
reads stderr. Also `voipdesk repair`."""

from __future__ import annotations

import sys
from pathlib import Path

from voipdesk.store.errors import StoreDamaged, StoreError, unwritable_sentence

EXIT_OK, EXIT_ERROR = 0, 1


def folder_problem(data_dir: Path) -> str | None:
    """The sentence for a data folder nothing can be written to, or None when it can be."""
    from voipdesk.store.damage import unwritable_reason

    reason = unwritable_reason(data_dir)
    return None if reason is None else unwritable_sentence(data_dir, reason)


def folder_error_sentence(exc: OSError, fallback: str | Path) -> str:
    """The sentence for a data folder that could not even be made (resolve_data_dir)."""
    from voipdesk.store.opening import folder_error

    folder = Path(exc.filename) if exc.filename else Path(fallback)
    return unwritable_sentence(folder, folder_error(folder, exc))


def say(text: str, *, window: bool, title: str = "voipdesk cannot start") -> None:
    """Print the sentence on stderr; when `window`, show it in a dialog too (if there is a
    display to show it on)."""
    print(text if text.startswith("voipdesk ") else f"voipdesk: {text}", file=sys.stderr)
    if window:
        from voipdesk.ui.problem_dialog import show_problem

        show_problem(title, text)


def run_app(
    data_dir: Path, *, demo: bool, hidden: bool = False, database: str | None = None
) -> int:
    """The app (which offers to repair a database it finds damaged as it starts, in a window);
    a data folder it cannot use is said in a window too."""
    from voipdesk.app import run

    try:
        return run(data_dir, demo=demo, hidden=hidden, database=database)
    except StoreError as exc:
        say(str(exc), window=True)
        return EXIT_ERROR


def cmd_repair(data_dir: Path) -> int:
    """`voipdesk repair`: check the database; when it is damaged, move every message that can
    still be read into a new one (store.salvage), keeping the damaged file aside."""
    from voipdesk.instance import AlreadyRunning, InstanceLock
    from voipdesk.store import database_path, open_store
    from voipdesk.store.salvage import RepairFailed, repair

    path = database_path(data_dir)
    if not path.exists():
        print(f"voipdesk: there is no message database in {data_dir}.", file=sys.stderr)
        return EXIT_ERROR
    try:
        lock = InstanceLock.acquire(data_dir, "repair")
    except AlreadyRunning as exc:
        print(f"voipdesk: {exc}: quit it first, then repair.", file=sys.stderr)
        return EXIT_ERROR
    try:
        try:
            print("Checking the message database…", file=sys.stderr, flush=True)
            with open_store(data_dir) as store:
                store.check()
        except StoreDamaged:
            print("It is damaged: repairing it…", file=sys.stderr, flush=True)
        else:
            print("The message database is not damaged: nothing to repair.", file=sys.stderr)
            return EXIT_OK
        try:
            result = repair(path)
        except RepairFailed as exc:
            print(f"voipdesk: {exc}", file=sys.stderr)
            return EXIT_ERROR
        print(result.sentence(), file=sys.stderr)
        return EXIT_OK
    finally:
        lock.release()
