"""The services on a plain asyncio loop, without Qt, against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio

import pytest

from voipdesk.core.models import Status
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.services import SendingState, Services
from voipdesk.settings import Settings

OWN, PEER = "+447700900001", "+447700900100"


@pytest.fixture
def settings(tmp_path, monkeypatch) -> Settings:
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    monkeypatch.setenv("VOIPDESK_ACCOUNT_ID", DEMO_ACCOUNT.account_id)
    settings = Settings.load(tmp_path)
    settings.numbers = [OWN]
    return settings


def test_sending_is_paused_with_its_reason_until_the_token_is_fixed(settings, monkeypatch):
    """One answer to 'can we send now, and if not why': a refused token pauses sending with
    the provider's sentence; a new token in Settings resumes it."""
    monkeypatch.setenv("VOIPDESK_API_TOKEN", "stale-token")
    states: list[SendingState] = []
    notices: list[tuple[str, str]] = []

    async def go(url: str) -> None:
        settings.api_url = url
        services = Services(settings)
        services.sending_changed.connect(states.append)
        services.notice.connect(lambda level, text: notices.append((level, text)))
        await services.start()
        try:
            assert not services.sending.paused
            message = await services.send(OWN, PEER, "first")
            assert (message.status, message.error_code) == (Status.PENDING, "API_TOKEN_INVALID")
            assert services.sending.paused and "API token" in services.sending.paused_because
            monkeypatch.setenv("VOIPDESK_API_TOKEN", DEMO_ACCOUNT.api_token)
            await services.settings_changed({"api_token"})
            assert not services.sending.paused
        finally:
            await services.stop()

    with SandboxThread(Sandbox()) as sandbox:
        asyncio.run(go(sandbox.send_url))
    assert [s.paused for s in states] == [True, False]
    assert notices == []


def test_an_account_without_a_stored_token_cannot_send_and_says_so(settings, monkeypatch):
    monkeypatch.delenv("VOIPDESK_API_TOKEN", raising=False)
    monkeypatch.setattr(settings.secrets_store, "get", lambda _name: None)

    async def go() -> SendingState:
        services = Services(settings)
        await services.start()
        await services.stop()
        return services.sending

    state = asyncio.run(go())
    assert state.paused and "API token is not stored" in state.paused_because
