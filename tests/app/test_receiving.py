"""Receiving as the window sees it: the real listener and the real Tunnel on a fake ngrok agent."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import httpx
import pytest

from tests.receiver.tunnel_support import (
    TOKEN,
    FileServer,
    agent_archive,
    agents_running,
    write_agent,
)
from voipdesk.receiver.tunnel import Tunnel
from voipdesk.services import Services
from voipdesk.settings import Settings
from voipdesk.ui.connection import ConnectionPanel

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the fake agent is a sh script")


@pytest.fixture
def services(aio, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "ngrok")
    monkeypatch.setenv("VOIPDESK_NGROK_AUTHTOKEN", TOKEN)
    made: list[Services] = []

    def make(**kwargs) -> tuple[Services, ConnectionPanel, list]:
        settings = Settings.load(tmp_path / "data")
        services = Services(settings, **kwargs)
        panel = ConnectionPanel()
        qtbot.addWidget(panel)
        seen: list = []
        services.receiving_changed.connect(seen.append)
        services.receiving_changed.connect(panel.set_status)
        made.append(services)
        aio(services.start())
        return services, panel, seen

    yield make
    for services in made:
        tunnel = services.tunnel
        aio(services.stop())
        if tunnel is not None:
            assert agents_running(tunnel.config_path) == [], "an ngrok agent outlived stop()"


def test_the_panel_shows_the_public_url_and_a_post_to_it_is_stored(services, tmp_path, qtbot):
    write_agent(tmp_path / "data" / "bin" / "ngrok")
    svc, panel, seen = services()
    qtbot.waitUntil(lambda: svc.receiving.tunnel_state == "online", timeout=15000)
    url = svc.receiving.public_url
    # the fake agent's "edge" is its own port: the URL is not the listener's local one
    assert url and url.endswith(svc.listener.webhook_path) and url != svc.local_webhook_url()
    assert panel.url_edit.text() == url
    answer = httpx.post(url, json={"from": "+447700900100", "to": "+447700900001",
                                   "mdr_id": "via-tunnel-1", "body": "through ngrok",
                                   "type": "sms", "status": "received"})  # fmt: skip
    assert answer.status_code == 200
    qtbot.waitUntil(lambda: [m.body for m in svc.store.all_messages()] == ["through ngrok"])
    assert TOKEN not in repr(seen)


def test_first_start_shows_the_agent_download_progress(services, tmp_path, qtbot):
    archive = agent_archive(tmp_path)
    server = FileServer(archive)
    try:
        svc, _, seen = services(tunnel_factory=functools.partial(Tunnel, agent_url=server.url))
        qtbot.waitUntil(lambda: svc.receiving.tunnel_state == "online", timeout=15000)
    finally:
        server.close()
    messages = [status.tunnel_message for status in seen]
    mb = f"{len(archive) / 1e6:.1f} MB"
    assert f"Downloading ngrok (once): {mb} of {mb}…" in messages


def test_settings_saved_during_start_up_still_give_the_tunnel_its_authtoken(
    aio, tmp_path, monkeypatch, qtbot
):
    """The window shows before start-up ends: an OK in Settings then starts a newer secrets
    read, and start-up must wait for that one, not only for its own (superseded) read."""
    import asyncio
    import time

    monkeypatch.setenv("VOIPDESK_TUNNEL", "ngrok")
    monkeypatch.setenv("VOIPDESK_NGROK_AUTHTOKEN", TOKEN)
    write_agent(tmp_path / "data" / "bin" / "ngrok")
    svc = Services(Settings.load(tmp_path / "data"))
    reads = []
    plain_read = svc._read_secrets

    def slow_second_read(names):  # worker thread
        reads.append(names)
        if len(reads) == 2:
            time.sleep(0.5)  # the newer read (after Settings' OK) is the slow one
        return plain_read(names)

    monkeypatch.setattr(svc, "_read_secrets", slow_second_read)

    async def start_then_save_settings():
        start = asyncio.ensure_future(svc.start())
        await asyncio.sleep(0)
        svc.load_secrets()  # what settings_changed does after the dialog's OK
        await start

    try:
        aio(start_then_save_settings())
        assert not svc.receiving.authtoken_missing
        qtbot.waitUntil(lambda: svc.receiving.tunnel_state == "online", timeout=15000)
    finally:
        aio(svc.stop())
