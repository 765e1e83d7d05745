"""Can messages be sent now, and if not why: the one answer, from the outbox and the secrets."""

from __future__ import annotations

from dataclasses import dataclass

from voipdesk.outbox import Outbox
from voipdesk.settings import Settings


@dataclass(frozen=True)
class SendingState:
    """Whether sending is paused, with the sentence that says why ("" while it works)."""

    paused_because: str = ""

    @property
    def paused(self) -> bool:
        return bool(self.paused_because)


SENDING = SendingState()


def token_missing_sentence(settings: Settings) -> str:
    store = settings.secrets_store
    text = "Your API token is not stored: enter it in Settings to send messages."
    if store and not store.persistent:
        text += " (This computer has no system keyring, so voipdesk asks for it on each start.)"
    return text


def sending_state(outbox: Outbox, settings: Settings, *, token_missing: bool) -> SendingState:
    """A provider's refusal of the credentials first (the outbox holds every send until they
    change), then an account without a stored API token."""
    if outbox.paused is not None:
        return SendingState(outbox.paused.sentence)
    if token_missing and settings.effective_account_id:
        return SendingState(token_missing_sentence(settings))
    return SENDING
