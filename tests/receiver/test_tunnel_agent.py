"""The tunnel's agent: downloaded on first use, launched with the authtoken kept secret, old
agents taken over or left alone, a silent agent ended (a fake agent, real sockets)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.receiver.tunnel_support import (
    TOKEN,
    WEBHOOK,
    FileServer,
    Upstream,
    agent_archive,
    agent_pid,
    agent_pids,
    agents_running,
    free_port,
    wait_until,
    write_agent,
)
from voipdesk.receiver import agent_owner, tunnel_agent
from voipdesk.receiver.tunnel import TunnelState, TunnelStatus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake agent is a sh script")


# -- the agent program ---------------------------------------------------------------------------
def test_first_start_downloads_the_agent_with_progress(
    data_dir: Path,
    tmp_path: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", None)  # a windowed build
    archive = agent_archive(tmp_path)
    server = FileServer(archive)
    progress: list[tuple[int, int]] = []
    try:
        tunnel, statuses = make_tunnel(
            agent_url=server.url, on_download_progress=lambda d, t: progress.append((d, t))
        )
        status = tunnel.start(upstream.port)
    finally:
        server.close()
    assert status.state is TunnelState.ONLINE
    assert progress[-1] == (len(archive), len(archive))
    assert os.access(data_dir / "bin" / "ngrok", os.X_OK)
    assert [s.message for s in statuses.seen][:2] == [
        "Starting the tunnel…",
        "Downloading ngrok (once)…",
    ]
    assert sorted(p.name for p in (data_dir / "bin").iterdir()) == ["ngrok"]


@pytest.mark.parametrize("failure", ["refused", "404", "not an archive"])
def test_download_failure_is_explained(
    data_dir: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    monkeypatch: pytest.MonkeyPatch,
    failure: str,
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    server = FileServer(b"<html>nope</html>", status=404 if failure == "404" else 200)
    url = f"http://127.0.0.1:{free_port()}/ngrok.tgz" if failure == "refused" else server.url
    try:
        tunnel, _ = make_tunnel(agent_url=url)
        status = tunnel.start(upstream.port)
    finally:
        server.close()
    assert (status.state, status.problem) == (TunnelState.ERROR, "download_failed")
    assert status.message == (
        "voipdesk could not download the ngrok agent: check your internet connection, "
        f"or place the ngrok program at {data_dir / 'bin' / 'ngrok'}."
    )
    assert not (data_dir / "bin" / "ngrok").exists()
    tunnel.stop()


def test_an_agent_that_cannot_run(
    data_dir: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    program = data_dir / "ngrok-not-executable"
    program.parent.mkdir(parents=True)
    program.write_text("not a program")
    tunnel, _ = make_tunnel(ngrok_path=program)
    status = tunnel.start(upstream.port)
    assert (status.state, status.problem) == (TunnelState.ERROR, "agent_missing")
    assert str(program) in status.message


def test_a_damaged_config_file_heals(
    agent: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    tunnel, statuses = make_tunnel()
    tunnel.config_path.parent.mkdir(parents=True)
    tunnel.config_path.write_text("version: [3\n")  # e.g. cut short by a full disk
    status = tunnel.start(upstream.port)
    assert (status.state, status.problem) == (TunnelState.ERROR, "unknown")
    statuses.wait_for(TunnelState.ONLINE)  # the watchdog's next try writes a fresh one
    assert tunnel.check(WEBHOOK)[0]


# -- the authtoken stays secret ----------------------------------------------------------------
def test_authtoken_is_never_logged_printed_written_or_on_the_command_line(
    agent: Path,
    data_dir: Path,
    tmp_path: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv_log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("FAKE_NGROK_ARGV_LOG", str(argv_log))
    monkeypatch.setenv("NGROK_AUTHTOKEN", "someone-elses-token-1234")  # pyngrok would use it
    monkeypatch.setenv("VOIPDESK_API_TOKEN", "fake-api-token-5678")
    caplog.set_level(logging.DEBUG)
    tunnel, statuses = make_tunnel()
    assert tunnel.start(upstream.port).state is TunnelState.ONLINE
    assert tunnel.check(WEBHOOK)[0]
    # Every local user can read a process's command line (`ps`); only its owner its environment.
    pid = agent_pid(tunnel)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    assert str(tunnel.config_path).encode() in cmdline
    assert TOKEN.encode() not in cmdline and b"--authtoken" not in cmdline
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert f"NGROK_AUTHTOKEN={TOKEN}".encode() in environ, "the agent gets it in its environment"
    assert not any(v.startswith(b"VOIPDESK_") for v in environ), "not voipdesk's own secrets"
    assert os.environ["NGROK_AUTHTOKEN"] == "someone-elses-token-1234", "ours stays as it was"
    os.kill(pid, signal.SIGKILL)
    statuses.wait_for(TunnelState.ONLINE, after=2)  # a restarted agent gets it the same way
    assert TOKEN.encode() not in Path(f"/proc/{agent_pid(tunnel)}/cmdline").read_bytes()
    tunnel.stop()

    out, err = capfd.readouterr()
    assert TOKEN not in caplog.text and TOKEN not in out + err
    assert "pyngrok.process.ngrok" in {r.name for r in caplog.records}, "agent lines were logged"
    starts = [json.loads(line) for line in argv_log.read_text().splitlines()]
    assert len(starts) == 2
    assert all(
        argv == ["start", "--none", "--log", "stdout", "--config", str(tunnel.config_path)]
        for argv in starts
    )
    for path in data_dir.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert tunnel.config_path.stat().st_mode & 0o777 == 0o600


def test_an_authtoken_in_our_config_file_is_kept_user_only(
    agent: Path, data_dir: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    """`ngrok config add-authtoken` (or an older tool) may have put one in our config file,
    created world-readable: it is made user-only before the agent starts."""
    config = data_dir / "ngrok" / "ngrok.yml"
    config.parent.mkdir(parents=True)
    config.write_text(f"version: '3'\nagent:\n  authtoken: {TOKEN}\n")
    config.chmod(0o644)
    tunnel, _ = make_tunnel(authtoken="revoked-but-the-file-is-never-read-1234")
    tunnel.start(upstream.port)
    assert config.stat().st_mode & 0o777 == 0o600
    # The authtoken from Settings wins over the file's, as NGROK_AUTHTOKEN does for ngrok.
    assert tunnel.status.problem == "bad_authtoken"


def test_a_rejected_authtoken_echoed_by_the_agent_is_redacted(
    agent: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    token = "bad-Zm9vYmFyYmF6cXV4-token"
    caplog.set_level(logging.DEBUG)
    tunnel, _ = make_tunnel(authtoken=token)
    assert tunnel.start(upstream.port).problem == "bad_authtoken"

    # capfd: what the agent itself writes to the stderr it was given counts too.
    out, err = capfd.readouterr()
    assert token not in caplog.text and token not in out + err
    echoed = [r for r in caplog.records if "Your authtoken" in r.getMessage()]
    assert echoed and all("***" in r.getMessage() for r in echoed)
    assert any(r.getMessage().startswith("ERROR:") for r in echoed), "its stderr was logged"


# -- other agents ------------------------------------------------------------------------------
def start_stale_agent(agent: Path, config: Path) -> subprocess.Popen:
    """An agent on our config that no running voipdesk started (as after a crash)."""
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("version: '3'\n")
    command = [str(agent), "start", "--none", "--log", "stdout", "--config", str(config)]
    env = {**os.environ, "NGROK_AUTHTOKEN": TOKEN}
    stale = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert stale.stdout is not None
    while "tunnel session started" not in stale.stdout.readline():
        assert stale.poll() is None
    return stale


@pytest.mark.parametrize("record", ["bare pid", "reused owner pid"])
def test_a_stale_agent_from_a_crash_is_stopped_but_strangers_are_not(
    agent: Path, data_dir: Path, upstream: Upstream, make_tunnel: Callable, record: str
) -> None:
    config = data_dir / "ngrok" / "ngrok.yml"
    pid_file = data_dir / "ngrok" / "agent.pid"
    stale = start_stale_agent(agent, config)
    try:
        with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as stranger:
            if record == "bare pid":  # as a voipdesk wrote it before it recorded owners
                pid_file.write_text(f"{stale.pid}\n")
            else:  # the owner's pid now names another process: its start time tells them apart
                owner = agent_owner.AgentRecord(stale.pid, None, stranger.pid, "0:0")
                pid_file.write_text(json.dumps({"agents": [owner.__dict__]}))
            tunnel, _ = make_tunnel()
            assert tunnel.start(upstream.port).state is TunnelState.ONLINE
            assert stale.wait(timeout=5) is not None
            assert stranger.poll() is None
            stranger.kill()
    finally:
        stale.kill()
        stale.wait(5)
        assert stale.stdout is not None
        stale.stdout.close()
    assert agents_running(config) == [agent_pid(tunnel)]
    tunnel.stop()

    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as stranger:
        pid_file.write_text(f"{stranger.pid}\n")
        assert tunnel.start(upstream.port).state is TunnelState.ONLINE
        assert stranger.poll() is None, "not an agent of ours: left alone"
        stranger.kill()


OWNER = """
import os, sys, time
from pathlib import Path
from voipdesk.receiver.tunnel import Tunnel
tunnel = Tunnel(data_dir=Path(sys.argv[1]), authtoken=os.environ["OWNER_TOKEN"])
print(tunnel.start(int(sys.argv[2])).state, flush=True)
time.sleep(120)
"""


def test_another_voipdesks_agent_is_left_alone_until_that_voipdesk_is_gone(
    agent: Path, data_dir: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    """Two voipdesks on one data folder used to kill each other's agents in turn, for good."""
    config = data_dir / "ngrok" / "ngrok.yml"
    # Its agent outlives it, as the real one does (in a session of its own); the fake agent
    # ends with this test run instead.
    env = {**os.environ, "OWNER_TOKEN": TOKEN, "FAKE_NGROK_LIFELINE": str(os.getpid())}
    command = [sys.executable, "-c", OWNER, str(data_dir), str(upstream.port)]
    owner = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    owned: list[int] = []
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "online"
        owned = agent_pids(data_dir, owner.pid)
        assert len(owned) == 1 and agents_running(config) == owned

        second, _ = make_tunnel()
        assert second.start(upstream.port).state is TunnelState.ONLINE
        time.sleep(0.3)
        assert owned[0] in agents_running(config), "the first voipdesk's agent was killed"
        assert sorted(agents_running(config)) == sorted([owned[0], agent_pid(second)])
        second.stop()
        assert agents_running(config) == owned
        assert agent_pids(data_dir, owner.pid) == owned, "its record stays"

        owner.kill()  # a crash: its agent stays behind, holding the account's session
        owner.wait(5)
        time.sleep(0.3)
        assert agents_running(config) == owned
        assert second.start(upstream.port).state is TunnelState.ONLINE
        wait_until(lambda: owned[0] not in agents_running(config), what="the stale agent to end")
        assert agents_running(config) == [agent_pid(second)]
        assert agent_pids(data_dir, owner.pid) == []
    finally:
        owner.kill()
        owner.wait(5)
        if owner.stdout is not None:
            owner.stdout.close()
        for pid in owned:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def test_a_new_tunnel_takes_over_from_the_old_one(
    agent: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    old, old_statuses = make_tunnel()
    assert old.start(upstream.port).state is TunnelState.ONLINE
    old_pid = agent_pid(old)
    new, _ = make_tunnel(authtoken=TOKEN + "-new")
    assert new.start(upstream.port).state is TunnelState.ONLINE
    new_pid = agent_pid(new)
    assert new_pid != old_pid and agents_running(new.config_path) == [new_pid]

    old.stop()  # as the app does, on another thread, after the new one started
    time.sleep(0.3)
    assert agents_running(new.config_path) == [new_pid]
    assert new.check(WEBHOOK)[0]
    assert old_statuses.states == ["starting", "online"], "the old one stays quiet"


def test_an_agent_without_the_endpoints_api_is_too_old(
    data_dir: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    mode: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # pyngrok waits for /api/endpoints, which older agents lack, and it never notices the
    # silence; our timer ends the agent and the failure reads as "too old".
    monkeypatch.setattr(tunnel_agent, "_STARTUP_TIMEOUT", 1)
    monkeypatch.setattr(tunnel_agent, "_STARTUP_GRACE", 0.5)
    mode("noapi")
    program = write_agent(data_dir.parent / "elsewhere" / "ngrok")
    tunnel, _ = make_tunnel(ngrok_path=program)
    began = time.monotonic()
    status = tunnel.start(upstream.port)
    assert time.monotonic() - began < 4
    assert (status.state, status.problem) == (TunnelState.ERROR, "agent_too_old")


@pytest.mark.parametrize("delay", [None, 0.0, 0.003, 0.01, 0.03, 0.06])
def test_stop_interrupts_a_start_waiting_on_a_silent_agent(
    agent: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    mode: Callable[[str], None],
    delay: float | None,
) -> None:
    """pyngrok would wait on a silent agent for good; stop() must end it at any moment."""
    mode("silent")
    tunnel, _ = make_tunnel()
    result: list[TunnelStatus] = []
    starter = threading.Thread(target=lambda: result.append(tunnel.start(upstream.port)))
    starter.start()
    if delay is None:
        wait_until(lambda: agents_running(tunnel.config_path), what="the agent to run")
    else:
        time.sleep(delay)
    began = time.monotonic()
    tunnel.stop()
    starter.join(5)
    assert not starter.is_alive() and time.monotonic() - began < 3
    assert result == [TunnelStatus(TunnelState.OFF, None, "The tunnel is off.")]
    assert tunnel.status.state is TunnelState.OFF
    wait_until(lambda: not agents_running(tunnel.config_path), 2, "the agent to end")
