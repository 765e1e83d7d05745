"""`python -m voipdesk.sandbox`: run the sandbox alone, to point a voipdesk (or curl) at it."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
import threading

from voipdesk.sandbox.server import DEMO_ACCOUNT, Account, Sandbox

ECHO_NUMBER = "+447700900100"
USAGE_LINE = "type FROM TO TEXT and Enter to deliver an inbound message"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line of the stand-alone sandbox."""
    numbers = " ".join(sorted(DEMO_ACCOUNT.numbers))
    parser = argparse.ArgumentParser(
        prog="python -m voipdesk.sandbox",
        description="Run the VoIP Number sandbox alone.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=f"the demo account (used unless --account is given):\n"
        f"  account ID  {DEMO_ACCOUNT.account_id}\n"
        f"  API token   {DEMO_ACCOUNT.api_token}\n"
        f"  numbers     {numbers}\n"
        f"  {ECHO_NUMBER} answers whatever it is sent\n\n"
        "send through it:\n"
        "  VOIPDESK_API_URL=http://127.0.0.1:8790/v1/sms/send "
        f"VOIPDESK_ACCOUNT_ID={DEMO_ACCOUNT.account_id} \\\n"
        f"  VOIPDESK_API_TOKEN={DEMO_ACCOUNT.api_token} voipdesk send "
        f"--from {min(DEMO_ACCOUNT.numbers)} --to {ECHO_NUMBER} 'Hello'",
    )
    parser.add_argument("--port", type=int, default=8790, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--webhook", help="webhook URL for every number of the account")
    parser.add_argument("--account", help="account ID (default: the demo account)")
    parser.add_argument("--token", help="API token of --account")
    parser.add_argument(
        "--number", action="append", default=[], help="an SMS number of --account (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.account and (not args.token or not args.number):
        parser.error("--account needs --token and at least one --number")
    if not args.account and (args.token or args.number):
        parser.error("--token and --number need --account")
    return args


def _read_stdin(loop: asyncio.AbstractEventLoop, sandbox: Sandbox) -> None:
    # os.read, not sys.stdin: a daemon thread blocked inside the buffered reader can hold its
    # lock at interpreter shutdown and abort the process ("could not acquire lock for <stdin>").
    pending = b""
    while True:
        try:
            chunk = os.read(0, 4096)
        except OSError:
            return
        if not chunk:
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            parts = line.decode("utf-8", "replace").strip().split(None, 2)
            if not parts:
                continue
            if len(parts) < 3:
                print(USAGE_LINE, flush=True)
                continue
            try:
                future = asyncio.run_coroutine_threadsafe(sandbox.deliver(*parts), loop)
                record = future.result()
            except (RuntimeError, asyncio.CancelledError):  # the loop is shutting down
                return
            if record.url is None:  # TO is not one of the account's numbers (or has no webhook)
                print(f"not delivered {parts[0]} -> {parts[1]}: {record.error}", flush=True)
                continue
            outcome = f"HTTP {record.status}" if record.status is not None else record.error
            print(f"delivered {parts[0]} -> {parts[1]} to {record.url}: {outcome}", flush=True)


async def serve(args: argparse.Namespace) -> None:
    """Run until SIGINT/SIGTERM."""
    account = Account(args.account, args.token, set(args.number)) if args.account else DEMO_ACCOUNT
    sandbox = Sandbox([account])
    if args.webhook:
        for number in account.numbers:
            sandbox.set_webhook(number, args.webhook)
    sandbox.add_responder(ECHO_NUMBER, lambda text: f"You said: {text}")
    await sandbox.start(port=args.port)
    try:
        print(f"sandbox: {sandbox.send_url}")
        print(f"account: {account.account_id}")
        print(f"token:   {account.api_token}")
        print(f"numbers: {' '.join(sorted(account.numbers))}")
        print(f"webhook: {args.webhook or '(none; pass --webhook URL)'}")
        print(f"echo contact: {ECHO_NUMBER}; {USAGE_LINE}", flush=True)
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
                loop.add_signal_handler(sig, stop.set)
        threading.Thread(target=_read_stdin, args=(loop, sandbox), daemon=True).start()
        await stop.wait()
    finally:
        await sandbox.stop()
        print("sandbox: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = parse_args(argv)
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:  # where signal handlers are unavailable (Windows)
        pass
    except OSError as exc:
        print(f"sandbox: cannot listen on 127.0.0.1:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
