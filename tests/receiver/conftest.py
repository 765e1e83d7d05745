"""Fixtures of the receiver's tests: a started listener on a temp database and a client; a fake
ngrok agent, an upstream and tunnels that are stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.receiver.listener_support import SECRET, Inbox
from tests.receiver.tunnel_support import (
    BACKOFF,
    TOKEN,
    Statuses,
    Upstream,
    agents_running,
    write_agent,
)
from voipdesk.receiver.listener import Listener
from voipdesk.receiver.tunnel import Tunnel


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "voipdesk.sqlite3"


@pytest.fixture
def inbox() -> Inbox:
    return Inbox()


@pytest.fixture
def listener(db: Path, inbox: Inbox) -> Iterator[Listener]:
    lst = Listener(db, SECRET, max_body=64 * 1024, on_messages=inbox)
    lst.start()
    yield lst
    lst.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture
def url(listener: Listener) -> str:
    return listener.local_url + listener.webhook_path


# -- the tunnel's tests -------------------------------------------------------------------------
@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def agent(data_dir: Path) -> Path:
    """The fake agent at the default place, data_dir/bin/ngrok."""
    return write_agent(data_dir / "bin" / "ngrok")


@pytest.fixture
def mode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Changes the fake agent's behaviour from its next start on."""
    path = tmp_path / "fake-mode"
    path.write_text("")
    monkeypatch.setenv("FAKE_NGROK_MODE_FILE", str(path))
    return path.write_text


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = Upstream()
    yield server
    server.close()


@pytest.fixture
def make_tunnel(data_dir: Path) -> Iterator[Callable[..., tuple[Tunnel, Statuses]]]:
    made: list[Tunnel] = []

    def make(**kwargs: object) -> tuple[Tunnel, Statuses]:
        statuses = Statuses()
        kwargs.setdefault("data_dir", data_dir)
        kwargs.setdefault("authtoken", TOKEN)
        kwargs.setdefault("restart_backoff", BACKOFF)
        tunnel = Tunnel(on_status=statuses, **kwargs)  # type: ignore[arg-type]
        made.append(tunnel)
        return tunnel, statuses

    yield make
    for tunnel in made:
        tunnel.stop()
    for tunnel in made:
        assert agents_running(tunnel.config_path) == [], "an ngrok agent outlived stop()"
