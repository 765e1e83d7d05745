"""No voipdesk environment variable and no keyring backend in these tests, on a desktop too."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail

ENV = (
    "VOIPDESK_DATA_DIR",
    "VOIPDESK_API_URL",
    "VOIPDESK_ACCOUNT_ID",
    "VOIPDESK_API_TOKEN",
    "VOIPDESK_NGROK_AUTHTOKEN",
    "VOIPDESK_COUNTRY",
    "VOIPDESK_WEBHOOK_PORT",
    "VOIPDESK_TUNNEL",
)


@pytest.fixture(autouse=True)
def _no_voipdesk_env(monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def _no_keyring() -> Iterator[None]:
    """This machine has no keyring backend; make sure of it on a desktop too."""
    before = keyring.get_keyring()
    if not isinstance(before, fail.Keyring):
        keyring.set_keyring(fail.Keyring())
    yield
    if not isinstance(before, fail.Keyring):
        keyring.set_keyring(before)
