"""Command line: the GUI, --demo, --self-test, and the headless send / export / listen / serve
commands."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

from voipdesk import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_TEMPFAIL = 0, 1, 2, 75
# `voipdesk send` whose request may have reached the provider without an answer: NOT 75, which
# scripts (and mail systems) read as "try again later": a retry could send the message twice.
EXIT_UNKNOWN = 3
EXIT_BAD_TIME = 5  # `voipdesk send --at` with a time that cannot be read or is past
QUICK_RETRIES = (0.5, 1.5)  # seconds between the CLI's own quick attempts
LONGEST_WAIT_S = 10.0  # a longer Retry-After ends `voipdesk send` with 75 instead of waiting


def build_parser() -> argparse.ArgumentParser:
    data_dir = argparse.ArgumentParser(add_help=False)
    data_dir.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="where the database, settings and logs live (env VOIPDESK_DATA_DIR; "
        "default: your user data folder)",
    )
    parser = argparse.ArgumentParser(
        prog="voipdesk",
        description="Text from your computer through your VoIP Number account.",
        parents=[data_dir],
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    send = sub.add_parser(
        "send",
        parents=[data_dir],
        help="send one SMS",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Send one SMS through the outbox (stored before it is sent).",
        epilog="exit status:\n"
        "  0   sent: the provider's id is printed (nothing, and a line on stderr, when\n"
        "      VoIP Number accepted it without giving an id)\n"
        "  2   not sent: refused by the provider (its code and a sentence), or bad input\n"
        "  75  not sent yet: VoIP Number could not be reached, or asked voipdesk to wait\n"
        "      more than 10 s (the wait is printed); the message stays in the outbox and\n"
        "      the voipdesk app (or `voipdesk serve`) sends it later (do not send it\n"
        "      again)\n"
        "  3   may or may not have been sent (no answer after the request left): never\n"
        "      retried automatically; check before sending it again\n"
        "  1   another error (the database or the data folder)\n"
        "  6   not sent: the recipient texted STOP to this number (--anyway sends)\n"
        "with --at TIME:\n"
        "  0   scheduled: when it will be sent is printed, in your local time\n"
        "  5   TIME cannot be read or is not in the future: nothing was scheduled",
    )
    send.add_argument("--to", required=True, metavar="NUMBER", help="recipient")
    send.add_argument(
        "--at",
        metavar="TIME",
        help="send it later, at TIME (ISO 8601, e.g. 2026-12-05T09:00; without an offset it is "
        "this computer's local time): the running voipdesk app sends it then, or at its next "
        "start if it is closed at that time",
    )
    send.add_argument("--from", dest="sender", metavar="NUMBER", help="one of your numbers")
    send.add_argument(
        "--anyway", action="store_true", help="send even though the recipient texted STOP"
    )
    send.add_argument("text", nargs="+", help="the message (use - to read it from stdin)")
    from voipdesk.store.choice import add_option as add_database_option

    add_database_option(send)

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


def cmd_send(args: argparse.Namespace, data_dir: Path, database: str | None = None) -> int:
    from voipdesk.core.phone import InvalidNumber, normalize
    from voipdesk.provider.errors import ProviderError
    from voipdesk.settings import Settings

    settings = Settings.load(data_dir)
    _warn(settings.problems)
    country = settings.effective_country
    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    text = text.rstrip("\n")
    if not text.strip():
        return _fail("the message is empty; nothing was sent.")
    send_at = None
    if args.at is not None:
        from voipdesk.send_later_cli import read_time

        send_at = read_time(args.at)
        if send_at is None:
            return EXIT_BAD_TIME
    try:
        to = normalize(args.to, country)
    except InvalidNumber as exc:
        return _fail(f"--to: {exc} Nothing was sent.")
    sender_text = args.sender or settings.default_number
    if not sender_text:
        return _fail(
            "no From number: pass --from with one of your VoIP Number numbers, "
            "or add your numbers in Settings."
        )
    try:
        sender = normalize(sender_text, country)
    except InvalidNumber as exc:
        return _fail(f"--from: {exc} Nothing was sent.")
    account_id, token = settings.effective_account_id, settings.secret("api_token")
    for code, missing in (
        ("USER_ACCOUNT_MISSING", not account_id),
        ("API_TOKEN_MISSING", not token),
    ):
        if missing:
            error = ProviderError(code, "")
            return _fail(
                f"{code}: {error.sentence} (Or set VOIPDESK_ACCOUNT_ID / "
                "VOIPDESK_API_TOKEN.) Nothing was sent."
            )
    where = database or data_dir  # the shared store, or the data folder's file
    if not args.anyway:
        from voipdesk.opt_out_cli import refuse_opted_out

        refused = refuse_opted_out(where, sender, to, later=args.at is not None)
        if refused is not None:
            return refused
    if args.at is not None:
        from voipdesk.send_later_cli import schedule

        return schedule(where, sender, to, text, send_at)
    import asyncio

    return asyncio.run(_send(settings, where, sender, to, text, account_id, token or ""))


async def _send(
    settings, location: Path | str, sender: str, to: str, text: str, account_id: str, token: str
) -> int:
    import asyncio
    import time

    import httpx

    from voipdesk.core.models import Status
    from voipdesk.logs import register_secret
    from voipdesk.outbox import Outbox, wait_text
    from voipdesk.provider.client import VoipNumberClient
    from voipdesk.store import open_store

    register_secret(token)
    store = open_store(location)
    try:
        async with httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0)) as http:
            client = VoipNumberClient(
                http, url=settings.effective_api_url, account_id=account_id, api_token=token
            )
            outbox = Outbox(store, client, hold_on_credentials=False)
            await outbox.recover()
            message = await outbox.send(sender, to, text)
            for pause in QUICK_RETRIES:
                if message.status is not Status.PENDING:
                    break
                asked = outbox.not_before - time.time()  # the provider's Retry-After, if any
                if asked > LONGEST_WAIT_S:
                    break
                await asyncio.sleep(max(pause, asked))
                message = await outbox.resend(message.id) or message
    finally:
        store.close()
    if message.status in (Status.QUEUED, Status.DELIVERED):
        if message.provider_id is None:  # stdout stays empty: there is no id to read
            print(
                f"voipdesk: VoIP Number accepted message {message.id} but gave no message id, "
                "so none is printed. It is stored as sent: do not send it again.",
                file=sys.stderr,
            )
        else:
            print(message.provider_id)
        return EXIT_OK
    if message.status is Status.FAILED:
        print(f"{message.error_code}: {message.error_text}", file=sys.stderr)
        return EXIT_USAGE
    if message.status is Status.PENDING:
        asked = outbox.not_before - time.time()
        why = (
            f"VoIP Number asked voipdesk to wait {wait_text(asked)} before sending again."
            if asked > 0
            else message.error_text
        )
        when = "once the wait is over, when it next runs" if asked > 0 else None
        print(
            f"voipdesk: {why} The message is kept in the outbox (message {message.id}): the "
            f"voipdesk app (or `voipdesk serve`) sends it "
            f"{when or 'when it next runs with a connection'}, so do not send it again.",
            file=sys.stderr,
        )
        return EXIT_TEMPFAIL  # never left the outbox: the app's retry loop sends it
    # UNKNOWN: it may have reached the provider. Never retried automatically, and not 75.
    text = message.error_text or "No answer came from VoIP Number"
    why = text.partition(", so this message may or may not")[0].rstrip(". ")
    print(
        f"voipdesk: {why}, so message {message.id} may or may not have been sent. It is not "
        "retried automatically, so it is never sent twice: check the Messaging page of your "
        "VoIP Number dashboard (app.voipnumber.net/messaging) or ask the recipient, and run "
        "`voipdesk send` again only if it did not arrive.",
        file=sys.stderr,
    )
    return EXIT_UNKNOWN


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
    args = build_parser().parse_args(argv)
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
    try:  # send and export may use a shared database (store/choice.py); the rest, not yet
        database = chosen_database(getattr(args, "database", None), os.environ, args.command)
    except DatabaseRefused as exc:
        return _fail(str(exc))
    if not args.self_test:
        setup_logging(None if read_only else data_dir, verbose=args.verbose)
    try:
        if args.command == "send":
            return cmd_send(args, data_dir, database)
        if args.command == "export":
            return cmd_export(args, database or data_dir, read_only=read_only)
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

            return serve(args, data_dir)
        if args.self_test:
            from voipdesk.selftest import run as self_test

            return self_test(verbose=args.verbose)
        return startproblems.run_app(data_dir, demo=args.demo, hidden=args.hidden)
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
