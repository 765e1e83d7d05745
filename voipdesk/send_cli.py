"""`voipdesk send`: its command line, and one SMS sent through the outbox (stored before it is
sent, a few quick attempts, then an exit status that says whether sending it again is safe).
`--at` is in send_later_cli.py, the STOP check in opt_out_cli.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from voipdesk.cli import EXIT_OK, EXIT_TEMPFAIL, EXIT_USAGE, _fail, _warn

# `voipdesk send` whose request may have reached the provider without an answer: NOT 75, which
# scripts (and mail systems) read as "try again later": a retry could send the message twice.
EXIT_UNKNOWN = 3
EXIT_BAD_TIME = 5  # `voipdesk send --at` with a time that cannot be read or is past
QUICK_RETRIES = (0.5, 1.5)  # seconds between the CLI's own quick attempts
LONGEST_WAIT_S = 10.0  # a longer Retry-After ends `voipdesk send` with 75 instead of waiting


def add_parser(sub, data_dir: argparse.ArgumentParser) -> None:
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


def run(args: argparse.Namespace, data_dir: Path, database: str | None = None) -> int:
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

        # (on the shared inbox, who scheduled it: the team sees "Sent by" under it when sent)
        sent_by = settings.effective_your_name if database else None
        return schedule(where, sender, to, text, send_at, sent_by)
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
            if isinstance(location, str):  # the shared inbox: the team sees who sent it
                outbox.sent_by = settings.effective_your_name
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
