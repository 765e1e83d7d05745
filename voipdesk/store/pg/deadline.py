"""A round trip on a connection answered within a deadline, or the connection cut.

A connection whose route went silent somewhere that still takes its bytes (a proxy, a NAT, a
server that hangs) never fails by TCP's own timeouts: the bytes are acknowledged, no answer
comes, and psycopg waits for ever. Cutting the socket (shutdown) ends that wait with psycopg's
OperationalError, which the store turns into StoreUnavailable."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
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
    cutter = threading.Timer(seconds, cut, (conn,))
    cutter.daemon = True
    cutter.start()
    try:
        return fn()
    finally:
        cutter.cancel()


def cut(conn: psycopg.Connection) -> None:
    """Shut the connection's socket down, both ways: a wait on it ends at once."""
    with (
        contextlib.suppress(OSError, psycopg.Error),
        socket.socket(fileno=os.dup(conn.fileno())) as sock,
    ):
        sock.shutdown(socket.SHUT_RDWR)
