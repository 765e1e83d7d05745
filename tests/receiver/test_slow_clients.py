"""Idle and trickling connections must not starve the webhook listener (issue 12, item 6).

Real sockets against a real Listener and SQLite file: in this process with short timeouts, and
in a child process under a desktop's open-file limit.
"""

from __future__ import annotations

import contextlib
import json
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from voipdesk.receiver.guard import Limits
from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store

resource = pytest.importorskip("resource")  # open-file limits are POSIX

SECRET = "slow-clients-secret-Zm9vYmFy"
IDLE, TRICKLING, WEBHOOKS = 1100, 100, 20
ROOT = Path(__file__).resolve().parents[2]


def webhook(port: int, mdr_id: str, *, deadline: float = 1.0) -> tuple[int, float]:
    """POST one webhook on a new connection, as the tunnel agent does: (status, seconds)."""
    body = json.dumps(
        webhook_body("+447445459147", "+447476553275", "hello", mdr_id=mdr_id, ts=1716204585)
    ).encode()
    head = (
        f"POST /webhook/{SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=deadline) as sock:
        sock.sendall(head + body)
        answer = b""
        while chunk := sock.recv(4096):
            answer += chunk
    return int(answer.split(b" ", 2)[1]), time.monotonic() - start


class Crowd:
    """Connections that send nothing, and connections that send header bytes one at a time."""

    def __init__(self, port: int, idle: int = IDLE, trickling: int = TRICKLING) -> None:
        self.idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(idle)]
        self.trickling = [socket.create_connection(("127.0.0.1", port)) for _ in range(trickling)]
        self.opened_at = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        line = f"POST /webhook/{SECRET} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode()
        sent = 0
        while not self._stop.wait(0.05):  # 20 bytes a second on each
            byte = line[sent : sent + 1] or b"a"
            sent += 1
            for sock in self.trickling:
                with contextlib.suppress(OSError):  # closed by the server
                    sock.send(byte)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.idle + self.trickling:
            sock.close()


def closed_by_server(socks: list[socket.socket], within: float) -> tuple[list[bytes], int]:
    """Wait up to `within` s for the server to close each socket: (what each received, how
    many are still open)."""
    answers = {sock.fileno(): b"" for sock in socks}
    by_fd = {sock.fileno(): sock for sock in socks}
    poller = select.poll()  # not select(): these descriptors go past 1,024
    for fd in by_fd:
        poller.register(fd, select.POLLIN)
    end = time.monotonic() + within
    while by_fd and time.monotonic() < end:
        for fd, _event in poller.poll(50):
            try:
                chunk = by_fd[fd].recv(4096)
            except ConnectionResetError:
                chunk = b""
            answers[fd] += chunk
            if not chunk:
                poller.unregister(fd)
                del by_fd[fd]
    return list(answers.values()), len(by_fd)


def stored_ids(db: Path) -> set[str]:
    with Store(db) as store:
        return {m.provider_id for m in store.all_messages()}


@pytest.fixture
def roomy_limit() -> Iterator[None]:
    """This process holds both ends of every connection: about 2,500 files."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        pytest.skip(f"the hard open-file limit ({hard}) is too low for this test")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


# -- in this process, with short timeouts ------------------------------------------------------
def test_webhooks_get_through_and_silent_or_trickling_connections_are_closed_at_the_header_timeout(
    tmp_path: Path, roomy_limit: None
) -> None:
    db = tmp_path / "db.sqlite3"
    # Room for every connection, so that only the header timeout can close them.
    limits = Limits(headers=0.8, max_connections=5000)
    listener = Listener(db, SECRET, limits=limits)
    listener.start()
    crowd = Crowd(listener.port)
    try:
        for n in range(WEBHOOKS):
            status, took = webhook(listener.port, f"mdr-{n}")
            assert status == 200 and took < 1.0, (status, took)
        assert stored_ids(db) == {f"mdr-{n}" for n in range(WEBHOOKS)}

        wait = limits.headers + 2.0 - (time.monotonic() - crowd.opened_at)
        _, still_open = closed_by_server(crowd.idle, within=wait)
        assert still_open == 0, f"{still_open} silent connections outlived the header timeout"
        answers, still_open = closed_by_server(crowd.trickling, within=0.5)
        assert still_open == 0, f"{still_open} trickling connections outlived the timeout"
        assert all(a.startswith(b"HTTP/1.1 408 ") for a in answers)  # told why
        assert webhook(listener.port, "after")[0] == 200
    finally:
        crowd.close()
        listener.stop()


def test_the_header_timeout_does_not_cut_a_request_that_is_being_answered(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db.sqlite3"
    listener = Listener(db, SECRET, limits=Limits(headers=0.3, body=2.0, idle=0.6))
    listener.start()
    try:
        body = json.dumps(
            webhook_body("+447445459147", "+447476553275", "slow", mdr_id="slow", ts=1716204585)
        ).encode()
        head = (
            f"POST /webhook/{SECRET} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", listener.port), timeout=5) as sock:
            sock.sendall(head + body[:10])
            time.sleep(0.5)  # the body takes longer than the header timeout: still fine
            sock.sendall(body[10:])
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
            # Kept alive, then closed after the idle timeout without a word.
            started = time.monotonic()
            assert sock.recv(4096) == b""
            assert 0.4 < time.monotonic() - started < 2.0
        assert stored_ids(db) == {"slow"}
    finally:
        listener.stop()


# -- a listener in its own process, under a desktop's open-file limit -----------------------
@pytest.mark.parametrize(
    ("soft", "hard"),
    [(1024, None), (512, 512)],
    ids=["desktop-soft-limit-1024", "hard-limit-512"],
)
def test_under_a_low_open_file_limit_webhooks_are_answered_within_a_second(
    tmp_path: Path, roomy_limit: None, soft: int, hard: int | None
) -> None:
    db = tmp_path / "db.sqlite3"
    cmd = [sys.executable, "-m", "tests.receiver.listener_child", str(db), SECRET]
    cmd += ["--soft", str(soft)] + (["--hard", str(hard)] if hard else [])
    child = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    crowd = None
    try:
        info = json.loads(child.stdout.readline())
        if hard is None:  # the soft limit was raised to the hard one at start
            assert info["soft"] == info["hard"] == resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        crowd = Crowd(info["port"])
        time.sleep(0.2)  # let the listener take them all in
        for n in range(WEBHOOKS):
            status, took = webhook(info["port"], f"mdr-{n}")
            assert status == 200 and took < 1.0, (status, took)
    finally:
        if crowd is not None:
            crowd.close()
        _, err = child.communicate(timeout=20)  # closing its stdin stops it
    stderr = err.decode()
    assert "Too many open files" not in stderr
    assert len(stderr.splitlines()) <= 2, stderr[:2000]  # one warning, not a flood
    assert stored_ids(db) == {f"mdr-{n}" for n in range(WEBHOOKS)}
