"""Store: the heartbeat of `voipdesk serve`, so that a desktop can say when the server was last
seen ("server last seen 2 minutes ago"). Its time is the database's clock (_now), and a desk
reads the heartbeat's age on that same clock: a server or desk whose own clock is minutes off
neither looks stopped while it runs nor alive once it has stopped."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field

from voipdesk.store.shared import SharedMixin

SERVE = "serve"


@dataclass(frozen=True)
class Heartbeat:
    """One serve process's last sign of life (times in seconds since 1970)."""

    role: str
    host: str
    pid: int
    started_at: float
    seen_at: float  # the database's clock
    # Seconds from seen_at to the database's now when it was read (0 as written).
    age: float = field(default=0.0, compare=False)


class HeartbeatsMixin(SharedMixin):
    """One row per (role, host), rewritten at each beat (both stores use this mixin:
    store/shared.py)."""

    def beat(self, started_at: float, *, role: str = SERVE) -> Heartbeat:
        """Record that this process is alive now (the database's now); returns what was
        written."""

        def tx(c: object) -> Heartbeat:
            beat = Heartbeat(role, socket.gethostname(), os.getpid(), started_at, self._now(c))
            c.execute(  # type: ignore[attr-defined]
                "INSERT INTO heartbeats (role, host, pid, started_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (role, host) DO UPDATE SET"
                " pid = excluded.pid, started_at = excluded.started_at,"
                " seen_at = excluded.seen_at",
                (beat.role, beat.host, beat.pid, beat.started_at, beat.seen_at),
            )
            return beat

        return self._write(tx)

    def last_heartbeat(self, role: str = SERVE) -> Heartbeat | None:
        """The most recent heartbeat of any process in `role` (None: never seen), with its age
        on the database's clock, read in the same statement."""
        now, args = self._now_column()
        rows = self._read(
            f"SELECT role, host, pid, started_at, seen_at, {now} - seen_at FROM heartbeats"
            " WHERE role = ? ORDER BY seen_at DESC LIMIT 1",
            (*args, role),
        )
        return Heartbeat(*rows[0]) if rows else None
