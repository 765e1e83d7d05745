"""`voipdesk listen` as a real process: output, clean stops, and no loss when it is killed."""

from __future__ import annotations

import asyncio
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import aiohttp
import httpx
import pytest

from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store, database_path

OWN, PEER = "+447476553275", "+447445459147"
BURST, CONCURRENCY = 2000, 100

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


class ListenProcess:
    """`python -m voipdesk.receiver.headless` (or `command`, e.g. ("voipdesk", "listen")) on a
    data dir, its output read as it comes."""

    def __init__(
        self,
        data_dir: Path,
        *extra: str,
        command: tuple[str, ...] = ("voipdesk.receiver.headless",),
        **env_extra: str,
    ) -> None:
        env = dict(os.environ)
        for name in ("VOIPDESK_WEBHOOK_PORT", "VOIPDESK_NGROK_AUTHTOKEN", "VOIPDESK_DATA_DIR"):
            env.pop(name, None)
        env.update(
            VOIPDESK_TUNNEL="none",
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # never the real keyring
        )
        env.update(env_extra)
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                *command,
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr = ""
        self._readers = [
            threading.Thread(target=self._read_stdout, daemon=True),
            threading.Thread(target=self._read_stderr, daemon=True),
        ]
        for reader in self._readers:
            reader.start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def next_line(self, timeout: float = 20.0) -> str | None:
        return self.lines.get(timeout=timeout)

    def webhook_url(self) -> str:
        line = self.next_line()
        assert line is not None and line.startswith("webhook: "), (line, self.finish())
        return line.removeprefix("webhook: ")

    def finish(self, timeout: float = 20.0) -> int:
        code = self.proc.wait(timeout)
        for reader in self._readers:
            reader.join(timeout)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return code

    def rest(self) -> list[str]:
        """Every stdout line after the ones already read (call after finish)."""
        out = []
        while (line := self.lines.get(timeout=5)) is not None:
            out.append(line)
        return out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()


def message(i: int, body: str | None = None) -> dict:
    return webhook_body(PEER, OWN, body or f"burst {i}", mdr_id=f"mdr-{i:05d}", ts=1716204585 + i)


def stored_ids(data_dir: Path) -> Counter[str]:
    with Store(database_path(data_dir)) as store:
        return Counter(m.provider_id for m in store.all_messages())


async def post_all(
    url: str,
    docs: list[dict],
    *,
    kill_after: int | None = None,
    pid: int | None = None,
    concurrency: int = CONCURRENCY,
) -> set[str]:
    """POST every doc, `concurrency` at a time; SIGKILL `pid` after `kill_after` 200s.
    Returns the mdr_ids that were answered 200."""
    acked: set[str] = set()
    pending: asyncio.Queue[dict] = asyncio.Queue()
    for doc in docs:
        pending.put_nowait(doc)
    timeout = aiohttp.ClientTimeout(total=30)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def worker() -> None:
            while not pending.empty():
                doc = pending.get_nowait()
                try:
                    async with session.post(url, json=doc) as resp:
                        await resp.read()
                        if resp.status != 200:
                            continue
                except (TimeoutError, aiohttp.ClientError, OSError):
                    continue  # the listener died under it: not acknowledged
                acked.add(doc["mdr_id"])
                if kill_after is not None and len(acked) == kill_after and pid is not None:
                    os.kill(pid, signal.SIGKILL)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return acked


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [150, 700, 1400])
def test_sigkill_mid_burst_loses_nothing_that_was_acknowledged(
    tmp_path: Path, kill_after: int
) -> None:
    docs = [message(i) for i in range(BURST)]
    first = ListenProcess(tmp_path, "--port", "0")
    try:
        url = first.webhook_url()
        acked = asyncio.run(post_all(url, docs, kill_after=kill_after, pid=first.proc.pid))
    finally:
        first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    assert kill_after <= len(acked) < BURST, "the kill did not land mid-burst"

    ids = stored_ids(tmp_path)
    assert set(acked) <= set(ids), f"{len(set(acked) - set(ids))} acknowledged messages lost"
    assert max(ids.values()) == 1
    assert set(ids) <= {d["mdr_id"] for d in docs}

    # Restarted on the same data dir, the provider retries what was not acknowledged
    # (and some that were): everything ends up stored exactly once.
    second = ListenProcess(tmp_path, "--port", "0")
    try:
        url = second.webhook_url()
        retry = [d for d in docs if d["mdr_id"] not in acked] + docs[:50]
        assert asyncio.run(post_all(url, retry)) == {d["mdr_id"] for d in retry}
        second.proc.send_signal(signal.SIGTERM)
        assert second.finish() == 0, second.stderr
    finally:
        second.kill()
    ids = stored_ids(tmp_path)
    assert len(ids) == BURST and max(ids.values()) == 1


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_it_prints_one_line_per_message_and_stops_cleanly(
    tmp_path: Path, signum: signal.Signals
) -> None:
    listen = ListenProcess(tmp_path, "--port", "0")
    try:
        url = listen.webhook_url()
        assert url.startswith("http://127.0.0.1:") and "/webhook/" in url
        with httpx.Client(timeout=10) as client:
            assert client.get(url).status_code == 200
            bodies = ["hello", "two\nlines\r\nand a \\ backslash", "<b>not html</b> 👋"]
            for i, body in enumerate(bodies):
                assert client.post(url, json=message(i, body)).status_code == 200
            assert client.post(url, json=message(0, "hello")).status_code == 200  # a retry
            assert client.post(url, content=b"nonsense").status_code == 400
        lines = [listen.next_line() for _ in bodies]
        listen.proc.send_signal(signum)
        assert listen.finish() == 0, listen.stderr
    finally:
        listen.kill()
    assert lines == [
        f"{PEER} -> {OWN}: hello",
        f"{PEER} -> {OWN}: two\\nlines\\r\\nand a \\\\ backslash",
        f"{PEER} -> {OWN}: <b>not html</b> 👋",
    ]
    assert listen.rest() == []  # the retry printed nothing
    assert listen.stderr == ""
    assert sum(stored_ids(tmp_path).values()) == 3


def test_the_same_data_dir_keeps_its_webhook_url_secret(tmp_path: Path) -> None:
    urls = []
    for _ in range(2):
        listen = ListenProcess(tmp_path, "--port", "0")
        try:
            urls.append(listen.webhook_url())
            listen.proc.send_signal(signal.SIGTERM)
            assert listen.finish() == 0
        finally:
            listen.kill()
    assert urls[0].split("/webhook/")[1] == urls[1].split("/webhook/")[1]


def test_a_taken_port_exits_2_with_a_plain_message(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        listen = ListenProcess(tmp_path, "--port", str(port))
        try:
            assert listen.finish() == 2
        finally:
            listen.kill()
    assert listen.rest() == []
    assert listen.stderr.strip() == (
        f"Port {port} is already in use by another program. Pick another listener port "
        "in Settings, or leave it empty to use a free one."
    )


def test_without_an_ngrok_authtoken_it_says_so_and_receives_locally(tmp_path: Path) -> None:
    listen = ListenProcess(tmp_path, "--port", "0", "--tunnel", "ngrok")
    try:
        url = listen.webhook_url()
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(timeout=10) as client:
            assert client.post(url, json=message(1)).status_code == 200
        assert listen.next_line() == f"{PEER} -> {OWN}: burst 1"
        listen.proc.send_signal(signal.SIGTERM)
        assert listen.finish() == 0
    finally:
        listen.kill()
    assert "authtoken" in listen.stderr.lower()
    assert "local address only" in listen.stderr
    assert not (tmp_path / "bin").exists()  # nothing downloaded without a token


def install_fake_agent(data_dir: Path) -> None:
    """The stand-in agent (fake_ngrok.py) where the Tunnel looks for its managed agent."""
    agent = data_dir / "bin" / "ngrok"
    agent.parent.mkdir(parents=True)
    fake = Path(__file__).with_name("fake_ngrok.py")
    agent.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n')
    agent.chmod(0o755)


def test_with_the_tunnel_online_it_prints_the_public_url(tmp_path: Path) -> None:
    """The stand-in agent forwards from its own port, like ngrok's edge."""
    install_fake_agent(tmp_path)
    listen = ListenProcess(
        tmp_path, "--port", "0", "--tunnel", "ngrok", VOIPDESK_NGROK_AUTHTOKEN="good-token"
    )
    try:
        url = listen.webhook_url()
        with httpx.Client(timeout=10) as client:
            assert client.post(url, json=message(7, "through the tunnel")).status_code == 200
        assert listen.next_line() == f"{PEER} -> {OWN}: through the tunnel"
        listen.proc.send_signal(signal.SIGINT)
        assert listen.finish() == 0, listen.stderr
    finally:
        listen.kill()
    assert "/webhook/" in url
    assert listen.stderr == ""
    assert not (tmp_path / "ngrok" / "agent.pid").exists()  # the agent was stopped


def test_a_rejected_authtoken_is_in_neither_its_output_nor_its_log(tmp_path: Path) -> None:
    """ngrok's error for a rejected authtoken repeats it ("Your authtoken: …"), on the agent's
    stderr and in its log lines: `voipdesk listen` shows neither as they are."""
    token = "bad-0fAkE-t0ken-only-for-this-test"
    install_fake_agent(tmp_path)
    listen = ListenProcess(
        tmp_path,
        "--port",
        "0",
        "--tunnel",
        "ngrok",
        command=("voipdesk", "listen"),
        VOIPDESK_NGROK_AUTHTOKEN=token,
    )
    try:
        url = listen.webhook_url()
        listen.proc.send_signal(signal.SIGTERM)
        assert listen.finish() == 0, listen.stderr
    finally:
        listen.kill()
    assert url.startswith("http://127.0.0.1:"), "receiving on the local address only"
    assert "ngrok did not accept your authtoken" in listen.stderr
    assert token not in listen.stderr and token not in "\n".join([url, *listen.rest()])
    log = (tmp_path / "logs" / "voipdesk.log").read_text(encoding="utf-8")
    assert "ERROR:  Your authtoken: ***" in log, "the agent's stderr is logged, redacted"
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), path


def test_the_port_comes_from_the_environment_unless_given(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    listen = ListenProcess(tmp_path, VOIPDESK_WEBHOOK_PORT=str(port))
    try:
        assert listen.webhook_url().startswith(f"http://127.0.0.1:{port}/webhook/")
        listen.proc.send_signal(signal.SIGTERM)
        assert listen.finish() == 0
    finally:
        listen.kill()


def test_a_bad_settings_json_is_a_warning_and_the_listener_still_starts(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"webhook_port": "abc", "tunnel_mode": 7}')
    listen = ListenProcess(tmp_path, "--port", "0")
    try:
        url = listen.webhook_url()
        with httpx.Client(timeout=10) as client:
            assert client.post(url, json=message(1, "still received")).status_code == 200
        listen.proc.send_signal(signal.SIGTERM)
        assert listen.finish() == 0, listen.stderr
    finally:
        listen.kill()
    warnings = [line for line in listen.stderr.splitlines() if line.startswith("voipdesk: warn")]
    assert len(warnings) == 2, listen.stderr
    assert all(str(tmp_path / "settings.json") in w for w in warnings)
    assert "“webhook_port”" in warnings[0] + warnings[1] and "“tunnel_mode”" in "".join(warnings)
    assert "Traceback" not in listen.stderr


def test_a_second_listen_on_the_folder_exits_4_naming_the_first_which_keeps_receiving(
    tmp_path: Path,
) -> None:
    """Two `listen`s on one data folder with the tunnel on used to kill each other's ngrok
    agent; now the second refuses to start and says which voipdesk holds the folder."""
    agent = tmp_path / "bin" / "ngrok"  # where the Tunnel looks for its managed agent
    agent.parent.mkdir()
    fake = Path(__file__).with_name("fake_ngrok.py")
    agent.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{fake}" "$@"\n')
    agent.chmod(0o755)
    token = {"VOIPDESK_NGROK_AUTHTOKEN": "good-token"}
    first = ListenProcess(tmp_path, "--port", "0", "--tunnel", "ngrok", **token)
    try:
        url = first.webhook_url()
        agent_pid = (tmp_path / "ngrok" / "agent.pid").read_text()

        env = dict(os.environ, VOIPDESK_TUNNEL="none", **token)
        env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
        env.pop("VOIPDESK_DATA_DIR", None)
        began = time.monotonic()
        second = subprocess.run(
            [sys.executable, "-m", "voipdesk", "--data-dir", str(tmp_path), "listen",
             "--tunnel", "ngrok"],
            capture_output=True, text=True, env=env, timeout=30,
        )  # fmt: skip
        assert second.returncode == 4, second.stderr
        assert time.monotonic() - began < 10
        assert second.stdout == ""
        assert re.match(
            rf"voipdesk: `voipdesk listen` \(process {first.proc.pid}, started \d\d:\d\d\) is "
            rf"already running on the data folder {re.escape(str(tmp_path))}\. ",
            second.stderr,
        ), second.stderr
        assert "Ctrl+C" in second.stderr and "--data-dir" in second.stderr

        # The first one's agent was left alone, and its public URL still delivers.
        assert (tmp_path / "ngrok" / "agent.pid").read_text() == agent_pid
        with httpx.Client(timeout=10) as client:
            assert client.post(url, json=message(8, "still mine")).status_code == 200
        assert first.next_line() == f"{PEER} -> {OWN}: still mine"
        first.proc.send_signal(signal.SIGINT)
        assert first.finish() == 0, first.stderr
    finally:
        first.kill()
    assert first.stderr == ""
