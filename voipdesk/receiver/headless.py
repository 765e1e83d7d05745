"""`python -m voipdesk.receiver.headless`: `voipdesk listen` by its module (it runs on the
services floor: voipdesk/services/listen.py)."""

from __future__ import annotations

import argparse
import sys


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m voipdesk.receiver.headless",
        description="Receive messages on the webhook without the GUI; one line per message.",
    )
    parser.add_argument("--data-dir", help="where the database and settings are")
    parser.add_argument("--port", type=int, help="listener port (0: a free one)")
    parser.add_argument("--tunnel", choices=("ngrok", "none"), help="expose it through ngrok")
    return parser.parse_args(argv)


if __name__ == "__main__":
    from voipdesk.services.listen import main
    from voipdesk.settings import resolve_data_dir

    args = _parse(None)
    sys.exit(main(resolve_data_dir(args.data_dir), args.port, args.tunnel))
