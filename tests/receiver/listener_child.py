"""A Listener in a process of its own, under a chosen open-file limit (as on a desktop).

python -m tests.receiver.listener_child DB SECRET [--soft N] [--hard N]
Lowers this process's RLIMIT_NOFILE as asked, starts the Listener, prints one JSON line
({"port": ..., "soft": ..., "hard": ...}: the limit once the listener runs), and stops when
stdin closes.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from pathlib import Path

from voipdesk.receiver.listener import Listener


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("db", type=Path)
    parser.add_argument("secret")
    parser.add_argument("--soft", type=int)
    parser.add_argument("--hard", type=int)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    hard = args.hard or hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(args.soft or soft, hard), hard))
    listener = Listener(args.db, args.secret)
    listener.start()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    print(json.dumps({"port": listener.port, "soft": soft, "hard": hard}), flush=True)
    sys.stdin.read()
    listener.stop()


if __name__ == "__main__":
    main()
