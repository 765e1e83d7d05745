"""What the listener's tests share: a webhook body, what is on the file, raw exchanges."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

from voipdesk.core.models import Message
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store

SECRET = "test-secret-Zm9vYmFyYmF6cXV4"
OWN, PEER = "+447476553275", "+447445459147"


class Inbox:
    """Collects what on_messages reports, from the listener's thread."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.calls = 0
        self._cond = threading.Condition()

    def __call__(self, messages: list[Message]) -> None:
        with self._cond:
            self.calls += 1
            self.messages.extend(messages)
            self._cond.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Message]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.messages) >= count, timeout), (
                f"on_messages reported {len(self.messages)} of {count}"
            )
            return list(self.messages)


def payload(mdr_id: str = "mdr-1", body: str = "text sent in SMS", **extra: object) -> dict:
    return webhook_body(PEER, OWN, body, mdr_id=mdr_id, ts=1716204585, **extra)


def stored(db: Path) -> list[Message]:
    """What a second, independent Store sees on the file."""
    with Store(db) as store:
        return list(store.all_messages())


def raw_exchange(port: int, data: bytes | list[bytes], *, timeout: float = 5.0) -> bytes:
    """Send raw bytes (pieces sent one by one), half-close, return all the server answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        for piece in [data] if isinstance(data, bytes) else data:
            sock.sendall(piece)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer
