"""Dataclasses shared by the store, the provider client, the receiver, the outbox and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    """Which way a message went."""

    IN = "in"
    OUT = "out"


class Status(StrEnum):
    """Life of a message. Inbound messages are always RECEIVED."""

    RECEIVED = "received"  # inbound, stored
    SENDING = "sending"  # outbound, stored, request may be on the wire
    PENDING = "pending"  # outbound, provider unreachable; retried with backoff
    QUEUED = "queued"  # outbound, accepted by the provider ("sent" to the user)
    DELIVERED = "delivered"  # outbound, provider reported delivery
    FAILED = "failed"  # outbound, provider refused it (error_code/error_text say why)
    UNKNOWN = "unknown"  # outbound, interrupted mid-send: may or may not have reached the provider

    @property
    def is_final(self) -> bool:
        return self in (Status.RECEIVED, Status.QUEUED, Status.DELIVERED, Status.FAILED)


@dataclass(frozen=True, slots=True)
class Message:
    """One stored SMS/MMS, either direction."""

    id: int
    conversation_id: int
    direction: Direction
    own_number: str  # E.164, ours
    peer_number: str  # E.164, theirs
    body: str
    type: str  # "sms" | "mms"
    status: Status
    created_at: float  # unix seconds, when voipdesk stored it
    provider_id: str | None = None  # outbound: the provider's `id`; inbound: `mdr_id`
    provider_ts: int | None = None  # unix seconds from the provider (timestamp_s / mdr_timestamp_s)
    error_code: str | None = None
    error_text: str | None = None  # the user-facing sentence
    raw: str | None = None  # the provider's JSON, verbatim (unknown fields kept)
    attachments: tuple[str, ...] = ()  # MMS attachment links (http/https URLs)
    attempts: int = 0  # outbound send attempts made
    next_attempt_at: float | None = None  # outbound PENDING: when the outbox retries
    last_attempt_at: float | None = None  # outbound: when the latest attempt began (None: 1st)
    send_at: float | None = None  # outbound, sent later: the time it was scheduled for
    sent_by: str | None = None  # outbound on the shared inbox: the name of who sent it
    read: bool = True

    @property
    def timestamp(self) -> float:
        """The time to show and sort by: the provider's when known, else ours."""
        return float(self.provider_ts) if self.provider_ts is not None else self.created_at


@dataclass(frozen=True, slots=True)
class Conversation:
    """A thread: one own number talking to one peer number."""

    id: int
    own_number: str
    peer_number: str
    last_message_id: int | None
    last_body: str
    last_direction: Direction | None
    last_timestamp: float
    unread_count: int
    display_name: str | None = None  # from contacts
    last_attachments: tuple[str, ...] = ()  # the last message's MMS links (for its preview)
    muted: bool = False  # no notifications for it
    opted_out: bool = False  # the person texted STOP (core/optout.py)
    scheduled: int = 0  # messages waiting to be sent later (listed even before any message)
    last_sent_by: str | None = None  # who sent the last message, on the shared inbox ("Ana")

    @property
    def listed(self) -> bool:
        """Shown in the list: it has a message, or one scheduled."""
        return self.last_message_id is not None or self.scheduled > 0


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message the provider posted to our webhook, parsed but not yet stored."""

    from_number: str
    to_number: str
    body: str
    type: str
    mdr_id: str
    provider_ts: int | None
    raw: str
    attachments: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class StatusUpdate:
    """A webhook POST whose status is not `received`: the provider reports on a message we sent."""

    provider_id: str
    status: str
    raw: str
