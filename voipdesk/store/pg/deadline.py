"""A round trip on a connection answered within a deadline, or the connection cut.

A connection whose route went silent somewhere that still takes its bytes (a proxy, a NAT, a
server that hangs) never fails by TCP's own timeouts: the bytes are acknowledged, no answer
comes, and psycopg waits for ever. Cutting the socket (shutdown) ends that wait with psycopg's
OperationalError, which the store turns into StoreUnavailable."""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import psycopg

T = TypeVar("T")

# How long a check's round trip (a pooled connection before use, the send-owner connection)
# may go unanswered before its connection is cut.
CHECK_WITHIN_S = 3.0  # under the wait for a pooled connection (WAIT_FOR_CONNECTION, 5 s)
# How long a store call (a read, or a write's whole transaction) may go unanswered on its pooled
# connection before the connection is cut and the call says the database cannot be reached.
# Far above any call's own time (a search over a million messages, a batch of `migrate`): a
# call that reaches it is waiting on a route that went silent, not on a slow query.
CALL_WITHIN_S = 20.0
# TCP keepalives for every connection the store keeps open: a route that dropped a connection
# without a word (no FIN, no RST) is found by the kernel within about 25 s even while a query
# waits for its answer, and bytes left unacknowledged for 20 s end the connection.
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
    "tcp_user_timeout": 20_000,  # ms
}


def within(conn: psycopg.Connection, seconds: float, fn: Callable[[], T]) -> T:
    """fn() (a round trip on conn); conn is cut when it has not returned after `seconds`."""
    key = _WATCHDOG.watch(conn, seconds)
    try:
        return fn()
    finally:
        _WATCHDOG.forget(key)


class _Watchdog:
    """One thread that cuts each connection whose round trip outlived its deadline. (A timer
    thread per round trip cost about 0.3 ms each time, started and stopped: more than the
    round trip itself, on every pooled connection handed out.) The thread sleeps until the
    nearest deadline, at most IDLE_S; a new deadline wakes it only when it is nearer."""

    IDLE_S = 1.0

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._watched: dict[int, tuple[float, psycopg.Connection]] = {}
        self._keys = itertools.count()
        self._until = 0.0  # when the thread wakes next
        self._thread: threading.Thread | None = None

    def watch(self, conn: psycopg.Connection, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        with self._lock:
            key = next(self._keys)
            self._watched[key] = (deadline, conn)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="voipdesk-deadlines", daemon=True
                )
                self._thread.start()
            elif deadline < self._until:
                self._lock.notify()
        return key

    def forget(self, key: int) -> None:
        with self._lock:
            self._watched.pop(key, None)

    def _run(self) -> None:
        with self._lock:
            while True:
                now = time.monotonic()
                for key, (deadline, conn) in list(self._watched.items()):
                    if deadline <= now:
                        del self._watched[key]
                        cut(conn)
                nearest = min((d for d, _ in self._watched.values()), default=now + self.IDLE_S)
                self._until = min(nearest, now + self.IDLE_S)
                self._lock.wait(self._until - now)


_WATCHDOG = _Watchdog()


def cut(conn: psycopg.Connection) -> None:
    """Shut the connection's socket down, both ways: a wait on it ends at once."""
    with (
        contextlib.suppress(OSError, psycopg.Error),
        socket.socket(fileno=os.dup(conn.fileno())) as sock,
    ):
        sock.shutdown(socket.SHUT_RDWR)
