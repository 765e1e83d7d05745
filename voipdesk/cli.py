"""Command line: the GUI, --demo, --self-test, and the headless send / export / listen / serve
commands (a command with more to it has its parser and its run in <command>_cli.py)."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from voipdesk import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_TEMPFAIL = 0, 1, 2, 75


class _NotPlain(Exception):
    """The command line is more than the app's own options (see _parse)."""


class _AppOnly(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise _NotPlain(message)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line. The app as the desktop starts it (its own options, no command) is
    parsed without building the commands' parsers (their modules and help: ~3 ms before the
    first paint); anything else, help and every error included, by the whole parser."""
    try:
        args = build_parser(commands=False).parse_args(argv)
    except _NotPlain:
        return build_parser().parse_args(argv)
    args.command = None
    return args


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="where the database, settings and logs live (env VOIPDESK_DATA_DIR; "
        "default: your user data folder)",
    )
    parser = (argparse.ArgumentParser if commands else _AppOnly)(
        prog="voipdesk",
        description="Text from your computer through your VoIP Number account.",
        parents=[data_dir],
        add_help=commands,  # (-h: the whole parser's help, with the commands)
    )
    parser.add_argument("--version", action="version", version=f"voipdesk {__version__}")
    parser.add_argument("--demo", action="store_true", help="try voipdesk on a built-in sandbox")
    parser.add_argument(
        "--self-test", action="store_true", help="start offscreen, check receive and send, quit"
    )
    parser.add_argument(
        "--hidden",
        action="store_true",
        help="start in the tray without a window (how voipdesk starts when you log in)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log to stderr too")
    from voipdesk.store.choice import add_option as add_database_option

    add_database_option(parser)  # the app as a desk on the shared inbox
    if not commands:
        return parser
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    from voipdesk.send_cli import add_parser as add_send

    add_send(sub, data_dir)  # `voipdesk send`

    export = sub.add_parser(
        "export",
        parents=[data_dir],
        help="write every stored message",
        description="Write every stored message as JSON or CSV. JSON is always literal. CSV is "
        "safe to open in a spreadsheet: a cell that starts with = + - @, a tab or a carriage "
        "return (which a spreadsheet would run as a formula) starts with a ' instead, shown "
        "as plain text; phone numbers like +447700900001 are left as they are. --raw writes "
        "CSV cells exactly as stored.",
    )
    export.add_argument("--format", choices=("json", "csv"), default="json")
    export.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    export.add_argument(
        "--raw",
        action="store_true",
        help="CSV: write formula-like cells as stored, without the protective ' (JSON is "
        "always literal)",
    )

    add_database_option(export)

    listen = sub.add_parser(
        "listen",
        parents=[data_dir],
        help="receive messages headless",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Receive messages without the window: one line per message, until Ctrl+C.",
        epilog="exit status:\n"
        "  0   stopped (Ctrl+C or SIGTERM)\n"
        "  2   could not start (the port is taken, or the database cannot be opened)\n"
        "  4   another voipdesk (the app or `listen`) receives on this data folder: the\n"
        "      message names it; only one at a time can",
    )
    listen.add_argument(
        "--port", type=int, default=None, help="listener port (default: a free one)"
    )
    listen.add_argument("--tunnel", choices=("ngrok", "none"), default=None)

    from voipdesk.serve_cli import add_parser as add_serve

    add_serve(sub, data_dir)  # `voipdesk serve`
    from voipdesk.migrate_cli import add_parser as add_migrate

    add_migrate(sub, data_dir)  # `voipdesk migrate`
    from voipdesk.backup_cli import RESTORE_EPILOG

    sub.add_parser("backup", parents=[data_dir], help="back up the message database now")
    restore = sub.add_parser(
        "restore",
        parents=[data_dir],
        help="put a backup in place of the message database",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Check FILE, keep the current database aside, then put FILE in its place.",
        epilog=RESTORE_EPILOG,
    )
    restore.add_argument("file", metavar="FILE", help="a backup (from the data folder's backups/)")
    sub.add_parser(
        "repair",
        parents=[data_dir],
        help="repair a damaged message database",
        description="Check the message database; when it is damaged, move every message that "
        "can still be read into a new one. The damaged file is kept in a damaged-* folder.",
    )
    return parser


def _fail(text: str, code: int = EXIT_USAGE) -> int:
    print(f"voipdesk: {text}", file=sys.stderr)
    return code


def _warn(problems: list[str]) -> None:
    """What settings.json could not provide: said on stderr, the command goes on."""
    for problem in problems:
        print(f"voipdesk: warning: {problem}", file=sys.stderr)


def cmd_export(args: argparse.Namespace, location: Path | str, *, read_only: bool = False) -> int:
    from voipdesk import export
    from voipdesk.store import open_store

    store = open_store(location, read_only=read_only)
    if store.missed_journal:
        _warn(["the newest messages may be missing: their journal (voipdesk.sqlite3-wal) "
               "cannot be read from a folder that cannot be written."])  # fmt: skip
    try:
        if args.out:
            count = export.write_file(
                store.all_messages(), Path(args.out), args.format, safe=not args.raw
            )
            print(f"Exported {count} messages to {args.out}", file=sys.stderr)
        else:
            # JSON and CSV are UTF-8 whatever the console's code page (a cp1252 pipe on Windows
            # would crash on the first emoji), and no newline translation: a body's own "\n"
            # must not become "\r\n" inside a CSV field.
            if hasattr(sys.stdout, "reconfigure"):
                sys.stdout.reconfigure(encoding="utf-8", newline="")
            count = export.write(store.all_messages(), sys.stdout, args.format, safe=not args.raw)
            print(f"Exported {count} messages", file=sys.stderr)
    except OSError as exc:
        return _fail(
            f"could not write {args.out or 'the export'}: {exc.strerror or exc}", EXIT_ERROR
        )
    finally:
        store.close()
    return EXIT_OK


def _ensure_stdio() -> None:
    """A windowed program (the Windows bundle's voipdesk.exe, pythonw) starts with sys.stdout and
    sys.stderr set to None; libraries that write to them unguarded (pyngrok's installer progress)
    would crash, so they get the null device instead."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115


def _restore_library_path() -> None:
    """The Linux bundle's launcher points LD_LIBRARY_PATH at the bundle's own libraries (glib,
    X11, fontconfig, OpenSSL... as old as the build machine's). voipdesk is linked by the time this
    runs; the programs it starts, like the browser xdg-open opens for a link, must get the user's
    own libraries back, or they can fail with "undefined symbol" errors."""
    if not getattr(sys, "frozen", False) or not sys.platform.startswith("linux"):
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)  # saved by PyInstaller's launcher
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


def main(argv: list[str] | None = None) -> int:
    # Starting up allocates a lot and frees little: the cyclic collector would walk it some 70
    # times (~15 ms) before the window paints. It is back on once the window has painted
    # (app.run), at once for the other commands, and in any case when main() returns.
    gc.disable()
    try:
        return _main(argv)
    finally:
        gc.enable()


def _main(argv: list[str] | None) -> int:
    _ensure_stdio()
    _restore_library_path()
    args = _parse(argv)
    if args.command or args.self_test or args.demo:
        gc.enable()
    from voipdesk import startproblems
    from voipdesk.logs import setup_logging
    from voipdesk.settings import resolve_data_dir
    from voipdesk.store import SchemaTooNewError, StoreError, StoreUnavailable
    from voipdesk.store.choice import DatabaseRefused, chosen_database

    window = not (args.command or args.self_test)  # the app: started from the desktop
    try:
        data_dir = resolve_data_dir(getattr(args, "data_dir", None))
    except OSError as exc:
        chosen = getattr(args, "data_dir", None) or os.environ.get("VOIPDESK_DATA_DIR", "")
        startproblems.say(startproblems.folder_error_sentence(exc, chosen), window=window)
        return EXIT_ERROR
    problem = None if args.self_test else startproblems.folder_problem(data_dir)
    read_only = problem is not None and args.command == "export"  # reading works read-only
    if problem is not None and not read_only:
        startproblems.say(problem, window=window)
        return EXIT_ERROR
    try:  # send, export, serve, migrate may use a shared database (store/choice.py)
        command = args.command or (None if args.self_test or args.demo else "app")
        database = chosen_database(getattr(args, "database", None), os.environ, command)
    except DatabaseRefused as exc:
        return _fail(str(exc))
    if not args.self_test:
        setup_logging(None if read_only else data_dir, verbose=args.verbose)
    try:
        if args.command == "send":
            from voipdesk.send_cli import run as send

            return send(args, data_dir, database)
        if args.command == "export":
            return cmd_export(args, database or data_dir, read_only=read_only)
        if args.command == "migrate":
            from voipdesk.migrate_cli import run as migrate

            return migrate(data_dir, database)
        if args.command in ("backup", "restore"):
            from voipdesk import backup_cli

            if args.command == "backup":
                return backup_cli.cmd_backup(data_dir)
            return backup_cli.cmd_restore(data_dir, args.file)
        if args.command == "repair":
            return startproblems.cmd_repair(data_dir)
        if args.command == "listen":
            from voipdesk.services.listen import main as listen

            return listen(data_dir, args.port, args.tunnel)
        if args.command == "serve":
            from voipdesk.serve_cli import run as serve

            return serve(args, data_dir, database)
        if args.self_test:
            from voipdesk.selftest import run as self_test

            return self_test(verbose=args.verbose)
        return startproblems.run_app(
            data_dir, demo=args.demo, hidden=args.hidden, database=database
        )
    except StoreUnavailable as exc:  # locked for too long, a database server unreachable...
        if isinstance(exc.path, str):  # a database server's: the sentence names it
            startproblems.say(str(exc), window=window)
            return EXIT_ERROR
        return _fail(f"cannot use the message database in {data_dir}: {exc.reason}", EXIT_ERROR)
    except (SchemaTooNewError, StoreError) as exc:  # damaged; a folder that cannot be written
        startproblems.say(str(exc), window=window)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a fault of voipdesk's own: said in a sentence, the details logged
        import logging

        logging.getLogger("voipdesk").exception("stopped by an unexpected error")
        where = "" if args.self_test else f" The details are in {data_dir / 'logs'}."
        startproblems.say(
            f"voipdesk stopped because of an error of its own ({type(exc).__name__}).{where} "
            "Nothing you typed is lost: start it again, and please report this if it repeats.",
            window=window,
        )
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
