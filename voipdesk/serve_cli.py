"""`voipdesk serve`'s command line (it runs on the services floor: services/serve.py)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub, data_dir: argparse.ArgumentParser) -> None:
    serve = sub.add_parser(
        "serve",
        parents=[data_dir],
        help="receive and send, always on (for a server)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Receive messages and send the outbox without the window, until SIGTERM "
        "or Ctrl+C: `listen` plus the sender (messages queued by `voipdesk send` or the app, "
        "and scheduled messages when they are due, each sent at most once).",
        epilog="exit status:\n"
        "  0   stopped (SIGTERM or Ctrl+C)\n"
        "  1   the message database cannot be used at start (damaged, not writable, a\n"
        "      database server that cannot be reached, or a schema too new)\n"
        "  2   the listener could not start (the port is taken), or the command line was\n"
        "      refused (a password inside the --database URL)\n"
        "  4   another voipdesk (the app, `listen` or `serve`) receives on this data\n"
        "      folder: the message names it; only one at a time can",
    )
    serve.add_argument("--port", type=int, default=None, help="listener port (default: a free one)")
    serve.add_argument("--tunnel", choices=("ngrok", "none"), default=None)
    serve.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="a shared PostgreSQL database (postgresql://user@host/dbname; env "
        "VOIPDESK_DATABASE_URL) instead of the data folder's file: every serve and desktop on "
        "it shares its messages, outbox and webhook address. The password goes in a password "
        "file (PGPASSFILE) or the environment, never in the URL on the command line.",
    )


def run(args: argparse.Namespace, data_dir: Path, database: str | None) -> int:
    """`database`: the URL chosen (store/choice.py: the option, else VOIPDESK_DATABASE_URL)."""
    from voipdesk.services.serve import main

    return main(data_dir, args.port, args.tunnel, database)
