"""The tunnel against a fake agent, real sockets and upstream: online, the check, stop, the
watchdog's restarts, and the errors the user has to fix."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.receiver.tunnel_support import (
    TOKEN,
    WEBHOOK,
    FileServer,
    Upstream,
    agent_archive,
    agent_pid,
    agents_running,
    free_port,
    write_agent,
)
from voipdesk.receiver.tunnel import TunnelState

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake agent is a sh script")


# -- online, checks, stop ----------------------------------------------------------------------
def test_online_forwards_to_the_upstream_and_stop_leaves_nothing(
    agent: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    tunnel, statuses = make_tunnel()
    status = tunnel.start(upstream.port)

    assert status.state is TunnelState.ONLINE and status.problem is None
    assert status.public_url and status.public_url.startswith("http://127.0.0.1:")
    assert statuses.states == ["starting", "online"]
    url = tunnel.public_webhook_url(WEBHOOK)
    assert url == status.public_url + WEBHOOK
    assert httpx.get(url).text == "voipdesk webhook ready\n"
    assert upstream.paths == [WEBHOOK]
    assert tunnel.check(WEBHOOK) == (
        True,
        "The public webhook address works: messages can reach voipdesk.",
    )

    pid = agent_pid(tunnel)
    assert agents_running(tunnel.config_path) == [pid]
    tunnel.stop()
    tunnel.stop()
    assert agents_running(tunnel.config_path) == []
    assert not (tunnel.config_path.parent / "agent.pid").exists()
    assert tunnel.status.state is TunnelState.OFF
    assert tunnel.public_webhook_url(WEBHOOK) is None
    assert statuses.states == ["starting", "online"], "stop() stays quiet"


def test_check_says_what_failed(agent: Path, upstream: Upstream, make_tunnel: Callable) -> None:
    tunnel, _ = make_tunnel()
    ok, message = tunnel.check(WEBHOOK)
    assert not ok and "not online" in message

    tunnel.start(upstream.port)
    ok, message = tunnel.check("/webhook/wrong")
    assert not ok and "unexpected answer (HTTP 404)" in message

    upstream.close()
    ok, message = tunnel.check(WEBHOOK)
    assert not ok and "listener" in message and "down" in message

    public_url = tunnel.status.public_url
    tunnel.stop()
    ok, message = tunnel.check(WEBHOOK)
    assert not ok and "not online" in message
    assert public_url  # the agent is gone: its forwarder refuses
    with pytest.raises(httpx.ConnectError):
        httpx.get(public_url)


def test_check_without_authtoken(make_tunnel: Callable) -> None:
    tunnel, _ = make_tunnel(authtoken=None)
    ok, message = tunnel.check(WEBHOOK)
    assert not ok and "authtoken" in message


# -- the watchdog ------------------------------------------------------------------------------
def test_killed_agent_restarts_with_the_same_static_url(
    agent: Path, upstream: Upstream, make_tunnel: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_DOMAIN_PORT", str(free_port()))
    tunnel, statuses = make_tunnel(domain="https://Mine.example/")
    first = tunnel.start(upstream.port)
    assert first.state is TunnelState.ONLINE
    old_pid = agent_pid(tunnel)

    os.kill(old_pid, signal.SIGKILL)
    restarting = statuses.wait_for(TunnelState.STARTING, after=2)
    online = statuses.wait_for(TunnelState.ONLINE, after=restarting)

    assert statuses.seen[online].public_url == first.public_url
    assert agent_pid(tunnel) != old_pid
    assert agents_running(tunnel.config_path) == [agent_pid(tunnel)]
    assert tunnel.check(WEBHOOK)[0]


def test_an_agent_that_keeps_dying_is_reported_then_recovers(
    agent: Path, upstream: Upstream, make_tunnel: Callable, mode: Callable[[str], None]
) -> None:
    tunnel, statuses = make_tunnel()
    tunnel.start(upstream.port)
    mode("crash")
    os.kill(agent_pid(tunnel), signal.SIGKILL)

    failed = statuses.wait_for(TunnelState.ERROR, "agent_died")
    assert "keeps stopping" in statuses.seen[failed].message
    mode("")
    statuses.wait_for(TunnelState.ONLINE, after=failed)
    assert tunnel.check(WEBHOOK)[0]


def test_die_after_restarts_repeatedly(
    agent: Path, upstream: Upstream, make_tunnel: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_NGROK_DIE_AFTER", "0.3")
    tunnel, statuses = make_tunnel()
    tunnel.start(upstream.port)
    second = statuses.wait_for(TunnelState.ONLINE, after=2)
    statuses.wait_for(TunnelState.ONLINE, after=second + 1)
    assert statuses.states[:4] == ["starting", "online", "starting", "online"]


def test_no_internet_fails_fast_and_recovers_by_itself(
    agent: Path, upstream: Upstream, make_tunnel: Callable, mode: Callable[[str], None]
) -> None:
    mode("offline")
    tunnel, statuses = make_tunnel()
    began = time.monotonic()
    status = tunnel.start(upstream.port)

    assert time.monotonic() - began < 5, "should not wait for pyngrok's start-up timeout"
    assert status.state is TunnelState.ERROR and status.problem == "no_internet"
    assert "internet connection" in status.message
    mode("")
    statuses.wait_for(TunnelState.ONLINE)
    assert tunnel.check(WEBHOOK)[0]


def test_a_session_drop_while_online_is_shown(
    agent: Path, upstream: Upstream, make_tunnel: Callable, mode: Callable[[str], None]
) -> None:
    mode("blip")
    tunnel, statuses = make_tunnel()
    tunnel.start(upstream.port)
    dropped = statuses.wait_for(TunnelState.ERROR, "no_internet")
    statuses.wait_for(TunnelState.ONLINE, after=dropped)
    assert statuses.states == ["starting", "online", "error", "online"]


# -- errors the user has to fix -----------------------------------------------------------------
@pytest.mark.parametrize("token", ["bad-token-1234", "revoked-token-1234"])
def test_bad_authtoken(agent: Path, upstream: Upstream, make_tunnel: Callable, token: str) -> None:
    tunnel, statuses = make_tunnel(authtoken=token)
    status = tunnel.start(upstream.port)
    assert status.state is TunnelState.ERROR and status.problem == "bad_authtoken"
    assert "authtoken" in status.message and token not in status.message
    time.sleep(0.3)
    assert statuses.states == ["starting", "error"], "no retry: the user must fix it"
    assert agents_running(tunnel.config_path) == []


@pytest.mark.parametrize(
    ("token", "env", "problem", "words"),
    [
        ("limit-token-1234", {}, "session_limit", "Another ngrok program"),
        (TOKEN, {"FAKE_NGROK_VERSION": "2.3.40"}, "agent_too_old", "too old"),
    ],
)
def test_session_limit_and_too_old_agent(
    data_dir: Path,
    upstream: Upstream,
    make_tunnel: Callable,
    token: str,
    env: dict,
    problem: str,
    words: str,
) -> None:
    program = write_agent(data_dir.parent / "elsewhere" / "ngrok", **env)  # not ours to replace
    tunnel, _ = make_tunnel(authtoken=token, ngrok_path=program)
    status = tunnel.start(upstream.port)
    assert (status.state, status.problem) == (TunnelState.ERROR, problem)
    assert words in status.message


def test_too_old_managed_agent_is_replaced(
    data_dir: Path, tmp_path: Path, upstream: Upstream, make_tunnel: Callable
) -> None:
    write_agent(data_dir / "bin" / "ngrok", FAKE_NGROK_VERSION="2.3.40")
    server = FileServer(agent_archive(tmp_path))
    try:
        tunnel, _ = make_tunnel(agent_url=server.url)
        status = tunnel.start(upstream.port)
    finally:
        server.close()
    assert status.state is TunnelState.ONLINE
    assert server.hits == 1
    assert "FAKE_NGROK_VERSION" not in (data_dir / "bin" / "ngrok").read_text()


def test_domain_not_yours(agent: Path, upstream: Upstream, make_tunnel: Callable) -> None:
    tunnel, _ = make_tunnel(domain="notmine.example")
    status = tunnel.start(upstream.port)
    assert (status.state, status.problem) == (TunnelState.ERROR, "domain_not_yours")
    assert "“notmine.example”" in status.message
    assert agents_running(tunnel.config_path) == [], "the agent must not linger"


def test_no_authtoken_starts_nothing(data_dir: Path, tmp_path: Path, make_tunnel: Callable) -> None:
    server = FileServer(agent_archive(tmp_path))
    try:
        for token in (None, "   "):
            tunnel, statuses = make_tunnel(authtoken=token, agent_url=server.url)
            status = tunnel.start(8080)
            assert (status.state, status.problem) == (TunnelState.ERROR, "no_authtoken")
            assert "dashboard.ngrok.com" in status.message
            assert statuses.states == ["error"]
    finally:
        server.close()
    assert server.hits == 0
    assert not data_dir.exists()
