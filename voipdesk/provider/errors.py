"""Errors from the VoIP Number API, each with a sentence that tells the user what to do."""

from __future__ import annotations

from enum import StrEnum

from voipdesk.core.phone import display


class Category(StrEnum):
    """What a provider error means for the app."""

    CREDENTIALS = "credentials"  # stop sending, keep the outbox, ask the user to fix Settings
    SENDER = "sender"  # this own number cannot send
    MESSAGE = "message"  # this message failed; edit and resend
    OTHER = "other"  # unknown code: shown with the provider's own text


_CODES: dict[str, tuple[Category, str]] = {
    "USER_ACCOUNT_MISSING": (
        Category.CREDENTIALS,
        "No Account ID is set. Open Settings and enter the Account ID from the Settings page "
        "of your VoIP Number dashboard.",
    ),
    "API_TOKEN_MISSING": (
        Category.CREDENTIALS,
        "No API token is set. Open Settings and enter the API token from the Settings page "
        "of your VoIP Number dashboard.",
    ),
    "USER_NOT_FOUND": (
        Category.CREDENTIALS,
        "VoIP Number does not know this Account ID. Check it in Settings against the Settings "
        "page of your VoIP Number dashboard.",
    ),
    "API_TOKEN_INVALID": (
        Category.CREDENTIALS,
        "VoIP Number rejected the API token. If you generated a new one, copy it from the "
        "dashboard's Settings page into voipdesk's Settings.",
    ),
    "NUMBER_NOT_FOUND": (
        Category.SENDER,
        "The number {sender} does not exist on VoIP Number. Check your numbers in Settings.",
    ),
    "NUMBER_OWNERSHIP": (
        Category.SENDER,
        "The number {sender} does not belong to your VoIP Number account. Check your numbers "
        "in Settings.",
    ),
    "MESSAGE_INVALID": (
        Category.MESSAGE,
        "VoIP Number refused this message as invalid. Edit it and send it again.",
    ),
}

KNOWN_CODES: tuple[str, ...] = tuple(_CODES)
# The codes that mean "this own number cannot send" (another of the user's numbers might).
SENDER_CODES: tuple[str, ...] = tuple(c for c, (k, _t) in _CODES.items() if k is Category.SENDER)


class ProviderError(Exception):
    """The provider answered and refused the request. Never retried automatically."""

    def __init__(
        self,
        code: str,
        provider_text: str,
        *,
        sender: str | None = None,
        sentence: str | None = None,
    ) -> None:
        self.code = code
        self.provider_text = provider_text
        category, template = _CODES.get(code, (Category.OTHER, ""))
        self.category = category
        if sentence:
            self.sentence = sentence
        elif template:
            # international format: "+1 202-555-0143" reads better than the stored E.164
            self.sentence = template.format(sender=display(sender, "") if sender else "this number")
        else:
            text = provider_text or "no reason given"
            self.sentence = f"VoIP Number refused the message: {text} ({code})."
        super().__init__(f"{code}: {self.sentence}")


def rejected_request(status_code: int, content: bytes = b"") -> ProviderError:
    """A 4xx answer (other than 408 and 429) without the provider's JSON: whatever answered
    refused the request itself, and sending the same request again gets the same answer.
    The code is HTTP_<status>; the sentence says what to check."""
    if status_code in (404, 405):
        advice = (
            "the API endpoint was not found, so this message was not sent. Check the API "
            "endpoint in Settings (leave it empty for VoIP Number's own), then send it again."
        )
    elif status_code in (401, 403, 407):
        advice = (
            "access was refused without a reason, so this message was not sent. Check your "
            "Account ID, API token and the API endpoint in Settings, then send it again."
        )
    elif status_code == 413:
        advice = "the message is too large, so it was not sent. Shorten it and send it again."
    else:
        advice = (
            "without saying why, so this message was not sent. Check the API endpoint in "
            "Settings, then send it again."
        )
    joiner = " " if advice.startswith("without") else ": "
    text = " ".join(content[:200].decode("utf-8", "replace").split())
    return ProviderError(
        f"HTTP_{status_code}",
        text,
        sentence=f"The provider rejected the request (HTTP {status_code}){joiner}{advice}",
    )


class TransientError(Exception):
    """The provider could not be reached or answered something unusable. Retried later, and no
    sooner than `retry_after` seconds from now when the provider said so (Retry-After)."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)
