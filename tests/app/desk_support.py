"""A desk of the shared inbox as a real app process (tests/app/desk_process.py: `voipdesk` on
Qt's offscreen platform, with a probe), started, asked and stopped from a test or a benchmark.

The database URL reaches it through VOIPDESK_DATABASE_URL and its password, if any, through
PGPASSWORD or PGPASSFILE: never on a command line. Each desk has its own data folder (settings:
its number, "Your name") and its own TMPDIR (Qt's single-instance socket of a desk that had to
be killed goes with it)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.app.desk_process import ENV as PROBE_ENV
from voipdesk.sandbox import DEMO_ACCOUNT, SandboxThread
from voipdesk.settings import Settings
from voipdesk.store.choice import ENV as DATABASE_ENV

ROOT = Path(__file__).resolve().parents[2]


def desk_folder(folder: Path, own: str, name: str) -> Path:
    """A desk's data folder: its number and its user's name ("Sent by <name>")."""
    settings = Settings.load(folder)
    settings.numbers = [own]
    settings.your_name = name
    settings.save()
    return folder


class DeskProcess:
    """`python -m tests.app.desk_process --data-dir FOLDER`, a desk on `database`."""

    def __init__(
        self,
        folder: Path,
        database: str,
        sandbox: SandboxThread,
        *,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.folder = folder
        self.socket_path = str(folder / "probe.sock")  # (short: a Unix socket path has ~100 B)
        tmp = folder / "tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIPDESK_", "PG"))}
        env.update(
            QT_QPA_PLATFORM="offscreen",
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # never the real keyring
            TMPDIR=str(tmp),
            XDG_CONFIG_HOME=str(folder / "config"),  # (its start-at-login entry: not the user's)
            VOIPDESK_TUNNEL="none",
            VOIPDESK_API_URL=sandbox.send_url,
            VOIPDESK_ACCOUNT_ID=DEMO_ACCOUNT.account_id,
            VOIPDESK_API_TOKEN=DEMO_ACCOUNT.api_token,
            **{DATABASE_ENV: database, PROBE_ENV: self.socket_path},
        )
        env.update(extra_env or {})  # (a password, another display...)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        self.log = open(folder / "desk.stderr", "w+b")  # noqa: SIM115 (closed by stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.app.desk_process", "--data-dir", str(folder)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self._conn: socket.socket | None = None
        self._buffer = b""

    # -- talking to it ----------------------------------------------------------------------------
    def connect(self, timeout: float = 60.0) -> None:
        """Wait until the app has started and its probe answers."""
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"the desk exited {self.proc.returncode}:\n{self.stderr()}")
            try:
                conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                conn.connect(self.socket_path)
            except OSError:
                conn.close()
                assert time.monotonic() < deadline, f"the desk did not start:\n{self.stderr()}"
                time.sleep(0.05)
                continue
            conn.settimeout(30)
            self._conn = conn
            return

    def ask(self, do: str, **args) -> dict:
        assert self._conn is not None, "the desk has stopped"
        self._conn.sendall((json.dumps({"do": do, **args}) + "\n").encode("utf-8"))
        while b"\n" not in self._buffer:
            chunk = self._conn.recv(1 << 20)
            if not chunk:
                raise AssertionError(f"the desk hung up:\n{self.stderr()}")
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        answer = json.loads(line)
        assert answer.pop("ok"), answer.get("error")
        return answer

    def state(self) -> dict:
        return self.ask("state")

    def until(self, what: str, check: Callable[[dict], object], timeout: float = 20.0) -> dict:
        """The desk's state once check(state) holds (asked every 50 ms)."""
        deadline = time.monotonic() + timeout
        while True:
            state = self.state()
            if state["ready"] and check(state):
                return state
            if time.monotonic() > deadline:
                raise AssertionError(f"the desk never showed {what}; it holds:\n{state}")
            time.sleep(0.05)

    def thread(self) -> list[str]:
        """The open thread's messages as its model holds them."""
        return [row["body"] for row in self.state().get("thread", [])]

    # -- ending it --------------------------------------------------------------------------------
    def quit(self, timeout: float = 20.0) -> int:
        """Quit as the user does (the tray's Quit); its exit code."""
        if self.proc.poll() is None and self._conn is not None:
            self.ask("quit")
        try:
            return self.proc.wait(timeout)
        finally:
            self.kill()

    def kill(self) -> None:
        """Ended, whatever it was doing (a finalizer's last word); idempotent."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if os.path.exists(self.socket_path):
            os.unlink(self.socket_path)
        if not self.log.closed:
            self.log.close()

    def stderr(self) -> str:
        with open(self.folder / "desk.stderr", "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]
