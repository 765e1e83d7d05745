"""Store: the heartbeat of `voipdesk serve`, so that a desktop can say when the server was last
seen ("server last seen 2 minutes ago")."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from voipdesk.store.shared import SharedMixin

SERVE = "serve"


@dataclass(frozen=True)
class Heartbeat:
    """One serve process's last sign of life (times in seconds since 1970)."""

    role: str
    host: str
    pid: int
    started_at: float
    seen_at: float


class HeartbeatsMixin(SharedMixin):
    """One row per (role, host), rewritten at each beat (both stores use this mixin:
    store/shared.py)."""

    def beat(self, started_at: float, *, role: str = SERVE) -> Heartbeat:
        """Record that this process is alive now; returns what was written."""
        beat = Heartbeat(role, socket.gethostname(), os.getpid(), started_at, self._clock())
        self._write(
            lambda c: c.execute(
                "INSERT INTO heartbeats (role, host, pid, started_at, seen_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (role, host) DO UPDATE SET"
                " pid = excluded.pid, started_at = excluded.started_at,"
                " seen_at = excluded.seen_at",
                (beat.role, beat.host, beat.pid, beat.started_at, beat.seen_at),
            )
        )
        return beat

    def last_heartbeat(self, role: str = SERVE) -> Heartbeat | None:
        """The most recent heartbeat of any process in `role` (None: never seen)."""
        rows = self._read(
            "SELECT role, host, pid, started_at, seen_at FROM heartbeats WHERE role = ?"
            " ORDER BY seen_at DESC LIMIT 1",
            (role,),
        )
        return Heartbeat(*rows[0]) if rows else None
