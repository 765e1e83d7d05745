"""The open-file limit the webhook listener lives within (guard.py keeps it under it): raised to
the system's maximum at start, and a connection budget that leaves room for the rest of
voipdesk."""

from __future__ import annotations

import contextlib
import logging
import os
import sys

log = logging.getLogger("voipdesk.receiver")

MAX_CONNECTIONS = 1000  # the tunnel agent uses a handful at once; a burst of webhooks, hundreds
ACCEPT_BATCH = 32  # sockets accepted per wake-up of the listening socket
# Open files kept free for the rest of voipdesk (SQLite and its journal, logs, the tunnel
# agent's pipes, HTTPS to the provider, Qt), plus the accepted sockets whose evicted
# counterparts are not closed yet (asyncio closes a socket one loop iteration later).
RESERVE_FILES = 128 + 3 * ACCEPT_BATCH


def raise_open_file_limit() -> tuple[int, int] | None:
    """Lift the soft RLIMIT_NOFILE to the hard limit; (before, after), or None where there is
    none (Windows). Descriptors past 1,023 (which select() cannot watch) only exist where the old
    limit would have refused them; asyncio uses epoll/kqueue and Qt poll()."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    targets = [hard]
    if sys.platform == "darwin" or hard == resource.RLIM_INFINITY:
        targets.append(min(hard, 10240))  # macOS refuses more than OPEN_MAX (10,240)
    for target in targets:
        if target == soft or (target != resource.RLIM_INFINITY and target < soft):
            return soft, soft
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            continue
        log.info("open-file limit raised from %d to %s", soft, target)
        return soft, target
    return soft, soft


def connection_budget(cap: int = MAX_CONNECTIONS) -> int:
    """How many connections the listener may keep: the cap, or fewer when the open-file limit
    leaves less room beside the files already open and RESERVE_FILES."""
    try:
        import resource
    except ImportError:
        return cap
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft == resource.RLIM_INFINITY:
        return cap
    return max(8, min(cap, soft - _open_files() - RESERVE_FILES))


def _open_files() -> int:
    for folder in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return len(os.listdir(folder))
    return 64  # a guess for a platform with neither
