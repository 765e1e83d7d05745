"""`voipdesk serve`'s command line (it runs on the services floor: services/serve.py)."""

from __future__ import annotations

import argparse
import os
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
        "  1   the message database cannot be used (damaged, not writable, or a --database\n"
        "      this version cannot use)\n"
        "  2   the listener could not start (the port is taken)\n"
        "  4   another voipdesk (the app, `listen` or `serve`) receives on this data\n"
        "      folder: the message names it; only one at a time can",
    )
    serve.add_argument("--port", type=int, default=None, help="listener port (default: a free one)")
    serve.add_argument("--tunnel", choices=("ngrok", "none"), default=None)
    serve.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="where messages are kept (env VOIPDESK_DATABASE_URL; default: the data folder's "
        "file). PostgreSQL is not supported yet.",
    )


def run(args: argparse.Namespace, data_dir: Path) -> int:
    from voipdesk.services.serve import main

    database = args.database or os.environ.get("VOIPDESK_DATABASE_URL") or None
    return main(data_dir, args.port, args.tunnel, database)
