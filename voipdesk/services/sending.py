"""Can messages be sent now, and if not why: the one answer, from the outbox and the secrets."""

from __future__ import annotations

from dataclasses import dataclass

from voipdesk.outbox import Outbox
from voipdesk.settings import Settings


@dataclass(frozen=True)
class SendingState:
    """Whether sending is paused, with the sentence that says why ("" while it works); and how
    many messages wait because VoIP Number could not be reached (or asked voipdesk to wait),
    with when the next try is (on the outbox's clock, seconds since the epoch)."""

    paused_because: str = ""
    waiting: int = 0
    next_try_at: float | None = None
    asked_to_wait: bool = False  # VoIP Number answered "wait", rather than not at all

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
    change), then an account without a stored API token, then messages waiting for VoIP Number
    to be reachable again."""
    if outbox.paused is not None:
        return SendingState(outbox.paused.sentence)
    if token_missing and settings.effective_account_id:
        return SendingState(token_missing_sentence(settings))
    if outbox.waiting:
        next_try = max(min(outbox.waiting.values()), outbox.not_before)
        return SendingState(
            waiting=len(outbox.waiting),
            next_try_at=next_try,
            asked_to_wait=outbox.not_before > outbox.clock(),
        )
    return SENDING
