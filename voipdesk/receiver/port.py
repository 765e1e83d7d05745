"""Binding the listener's loopback port, and the sentence when that fails."""

from __future__ import annotations

import errno
import socket
import sys


class ListenerError(Exception):
    """The listener could not start; the text is a sentence for the user."""


def bind(host: str, port: int) -> socket.socket:
    """A listening, non-blocking socket on host:port (0: any free port); ListenerError if not."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform == "win32":
            # SO_REUSEADDR on Windows lets another program steal the port: use exclusive use.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            # Rebinding right after a restart must not fail on connections in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ListenerError(_bind_message(port, exc)) from exc
    return sock


def _bind_message(port: int, exc: OSError) -> str:
    if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
        return (
            f"Port {port} is already in use by another program. Pick another listener port "
            "in Settings, or leave it empty to use a free one."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, getattr(errno, "WSAEACCES", -1)):
        return (
            f"voipdesk is not allowed to listen on port {port}. Pick a port from 1024 to 65535 "
            "in Settings, or leave it empty to use a free one."
        )
    return f"The webhook listener could not start on port {port}: {exc.strerror or exc}."
