"""What the tunnel's tests share: the fake agent, an upstream, a file server, status records."""

from __future__ import annotations

import io
import os
import socket
import sys
import tarfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from voipdesk.receiver import agent_owner
from voipdesk.receiver.tunnel import Tunnel, TunnelState, TunnelStatus

FAKE = Path(__file__).with_name("fake_ngrok.py")
TOKEN = "2fAkEtOkEn_0123456789abcdefGHIJKLmnopqrstuvWXyz"
WEBHOOK = "/webhook/s3cret-path"
BACKOFF = (0.05, 0.4)


def write_agent(path: Path, **env: str) -> Path:
    """A fake `ngrok` program at path: a sh wrapper, since pyngrok execs ngrok_path directly."""
    path.parent.mkdir(parents=True, exist_ok=True)
    exports = "".join(f"export {key}={value}\n" for key, value in env.items())
    path.write_text(f'#!/bin/sh\n{exports}exec "{sys.executable}" "{FAKE}" "$@"\n')
    path.chmod(0o755)
    return path


def wait_until(condition: Callable[[], object], timeout: float = 5.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what or condition}"
        time.sleep(0.02)


def agents_running(config: Path) -> list[int]:
    """Live processes started with this config (the fake agent's command line names it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            continue
        if str(config).encode() in cmdline and b"start" in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def agent_pids(data_dir: Path, owner: int | None = None) -> list[int]:
    """The agents data_dir/ngrok/agent.pid records for `owner` (default: this process)."""
    records = agent_owner.read(data_dir / "ngrok" / "agent.pid")
    return [r.pid for r in records if r.owner == (owner or os.getpid())]


def agent_pid(tunnel: Tunnel) -> int:
    (pid,) = agent_pids(tunnel.config_path.parent.parent)
    return pid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Statuses:
    """Collects on_status calls (from the tunnel's threads)."""

    def __init__(self) -> None:
        self.seen: list[TunnelStatus] = []
        self._cond = threading.Condition()

    def __call__(self, status: TunnelStatus) -> None:
        with self._cond:
            self.seen.append(status)
            self._cond.notify_all()

    def wait_for(self, state: TunnelState, problem: str | None = None, after: int = 0) -> int:
        """Wait for a status at index >= after; returns its index."""

        def found() -> int | None:
            for i, status in enumerate(self.seen[after:], after):
                if status.state is state and (problem is None or status.problem == problem):
                    return i
            return None

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, 8.0), (
                f"no {state}/{problem} after #{after} in {self.states}"
            )
            return found()  # type: ignore[return-value]

    @property
    def states(self) -> list[str]:
        return [str(s.state) for s in self.seen]


class Upstream:
    """A real HTTP server on 127.0.0.1 standing in for the webhook listener."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                ok = self.path == WEBHOOK
                body = b"voipdesk webhook ready\n" if ok else b"Not Found"
                self.send_response(200 if ok else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        self.running = True

    def close(self) -> None:
        if self.running:
            self.running = False
            self.server.shutdown()
            self.server.server_close()
            self._thread.join(5)


class FileServer:
    """Serves one file (an agent archive) over HTTP and counts requests."""

    def __init__(self, data: bytes, status: int = 200) -> None:
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ngrok-v3-stable.tgz"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(5)


def agent_archive(tmp_path: Path, **env: str) -> bytes:
    """An ngrok-style .tgz holding the fake agent as `ngrok`."""
    program = write_agent(tmp_path / "archive-src" / "ngrok", **env)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(program, arcname="ngrok")
    return buffer.getvalue()
