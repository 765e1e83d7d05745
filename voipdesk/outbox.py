"""The outbox: store before sending, send, record the answer, retry what could not get through."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable

from voipdesk.core.models import Message, Status
from voipdesk.provider.client import AmbiguousSendError, VoipNumberClient
from voipdesk.provider.errors import Category, ProviderError, TransientError
from voipdesk.send_later import SendLater
from voipdesk.store import Store, StoreUnavailable

log = logging.getLogger("voipdesk.outbox")

# While the message database cannot be reached (a shared store's server gone away): how soon the
# outbox looks again.
STORE_RETRY_S = 5.0
UNREACHABLE_TEXT = "VoIP Number could not be reached ({reason}). voipdesk will try again."
WAIT_TEXT = (
    "VoIP Number asked voipdesk to wait {wait} before sending ({reason}). voipdesk will try "
    "again then."
)
# A 2xx answer voipdesk could not read: the provider took the message, so it is sent (and never
# sent again), but delivery reports cannot be matched to it. Shown under the bubble.
NO_ID_TEXT = "VoIP Number accepted it but gave no message id"
FAULT_TEXT = (
    "Sending failed inside voipdesk ({reason}), so this message may or may not have been sent. "
    "Check the API endpoint in Settings, then send it again or discard it."
)
AMBIGUOUS_TEXT = (
    "No answer came from VoIP Number ({reason}), so this message may or may not have been sent. "
    "Send it again, or discard it."
)


class Outbox:
    """Queued sends with crash-safe state in the store. Store writes run off the calling thread
    (the GUI thread never waits for an fsync). `on_change` gets every changed Message."""

    def __init__(
        self,
        store: Store,
        client: VoipNumberClient,
        *,
        clock: Callable[[], float] = time.time,
        backoff: tuple[float, float] = (5.0, 900.0),
        on_change: Callable[[Message], None] | None = None,
        hold_on_credentials: bool = True,
        before_send: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.client = client
        self.clock = clock
        self.backoff = backoff
        self.on_change = on_change
        self.hold_on_credentials = hold_on_credentials
        # Awaited just before each request leaves (after the message is stored and shown): the
        # app waits there for credentials still being read from the keyring.
        self.before_send = before_send
        self.paused: ProviderError | None = None  # a credentials error stops sending
        # Until when (on self.clock) the provider asked us not to send (its Retry-After):
        # retry rounds wait for it. A new message the user sends still goes at once.
        self.not_before = 0.0
        # Messages waiting because VoIP Number could not be reached (or asked to wait): their
        # ids and next tries, for the app-wide "can't be reached" line (services/sending.py).
        self.waiting: dict[int, float] = {}
        self._wake = asyncio.Event()
        self.later = SendLater(self)  # scheduled messages, sent here when due (send_later.py)
        # Who sends, by name, written on each new message (the shared inbox's "Sent by").
        self.sent_by = ""

    # -- helpers ---------------------------------------------------------------------------
    async def _db(self, fn: Callable, *args: object, **kwargs: object):
        return await asyncio.to_thread(fn, *args, **kwargs)

    def _emit(self, message: Message) -> Message:
        if message.status is Status.PENDING and message.error_code == "UNREACHABLE":
            self.waiting[message.id] = message.next_attempt_at or 0.0
        elif message.status is not Status.SENDING:  # (a retry on its way still waits)
            self.waiting.pop(message.id, None)
        if self.on_change:
            self.on_change(message)
        return message

    def delay_for(self, attempts: int) -> float:
        """Exponential backoff with jitter, capped."""
        base, cap = self.backoff
        return min(cap, base * 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.0)

    # -- user actions ------------------------------------------------------------------------
    async def send(self, own: str, peer: str, body: str, *, clear_draft: bool = False) -> Message:
        """Store a new message (SENDING), then send it; returns it in its new state.
        `clear_draft`: it was its conversation's draft (cleared in the same write)."""
        message = self._emit(
            await self._db(
                self.store.add_outgoing,
                own,
                peer,
                body,
                sent_by=self.sent_by or None,
                clear_draft=clear_draft,
            )
        )
        if self.paused is not None:
            return await self._hold(message, self.paused)
        return await self.attempt(message)

    async def resend(self, message_id: int) -> Message | None:
        """The user asked to send a failed, pending or unknown message again, now."""
        claimed = await self._db(
            self.store.claim, message_id, (Status.FAILED, Status.PENDING, Status.UNKNOWN)
        )
        if claimed is None:
            return None
        return await self.attempt(self._emit(claimed))

    async def discard(self, message_id: int) -> None:
        await self._db(self.store.delete_message, message_id)
        self.waiting.pop(message_id, None)

    async def retry_waiting(self) -> None:
        """The user asked to try now what waits for VoIP Number (Retry now): each in turn, until
        one still cannot get through (the others then keep their next try)."""
        for message_id in sorted(self.waiting):
            sent = await self.resend(message_id)
            if sent is not None and sent.id in self.waiting:
                break

    def resume(self) -> None:
        """Credentials were fixed: send what is waiting."""
        self.paused = None
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # -- sending -----------------------------------------------------------------------------
    async def attempt(self, message: Message) -> Message:
        """Send a message this process has claimed (status SENDING) and record the outcome."""
        if self.before_send is not None:
            await self.before_send()
        try:
            result = await self.client.send(message.own_number, message.peer_number, message.body)
        except ProviderError as exc:
            if exc.category is Category.CREDENTIALS and self.hold_on_credentials:
                self.paused = exc
                return await self._hold(message, exc)
            return await self._update(
                message, status=Status.FAILED, error_code=exc.code, error_text=exc.sentence
            )
        except AmbiguousSendError as exc:
            return await self._update(
                message,
                status=Status.UNKNOWN,
                error_code="NO_ANSWER",
                error_text=AMBIGUOUS_TEXT.format(reason=exc.reason),
            )
        except TransientError as exc:
            now, wait = self.clock(), exc.retry_after or 0.0
            self.not_before = max(self.not_before, now + wait)
            text = WAIT_TEXT.format(wait=wait_text(wait), reason=exc.reason) if wait else None
            return await self._update(
                message,
                status=Status.PENDING,
                error_code="UNREACHABLE",
                error_text=text or UNREACHABLE_TEXT.format(reason=exc.reason),
                next_attempt_at=now + max(wait, self.delay_for(message.attempts)),
            )
        except Exception as exc:
            # Anything else (e.g. httpx's ExceptionGroup for a port above 65535 in the endpoint)
            # must not leave the message SENDING under a live process, where nothing ever
            # touches it again. Whether the request left is unknown: never resend it silently.
            log.exception("sending message %s failed unexpectedly", message.id)
            return await self._update(
                message,
                status=Status.UNKNOWN,
                error_code="SEND_ERROR",
                error_text=FAULT_TEXT.format(reason=type(exc).__name__),
            )
        return await self._update(
            message,
            status=Status.DELIVERED if result.status == "delivered" else Status.QUEUED,
            provider_id=result.provider_id,
            provider_ts=result.timestamp_s,
            raw=result.raw,
            error_code=None,
            error_text=None if result.provider_id else NO_ID_TEXT,
        )

    async def _hold(self, message: Message, exc: ProviderError) -> Message:
        """Keep a message in the outbox until the user fixes Settings."""
        return await self._update(
            message,
            status=Status.PENDING,
            error_code=exc.code,
            error_text=exc.sentence,
            next_attempt_at=None,
        )

    async def _update(self, message: Message, **fields: object) -> Message:
        status, code = fields.get("status"), fields.get("error_code")
        if status in (Status.PENDING, Status.FAILED, Status.UNKNOWN) and code:
            # What the user reads under the bubble, for the log too (no body, no credentials).
            log.warning(
                "message %s not sent (%s, %s): %s", message.id, status, code, fields["error_text"]
            )
        return self._emit(await self._recorded(message.id, fields))

    async def _recorded(self, message_id: int, fields: dict) -> Message:
        """What became of a send, written to the store; while the store cannot be reached (a
        shared database gone away) written again every few seconds until it is: the outcome
        is known only here, and the message stays claimed by this process meanwhile (sent
        once, never again)."""
        while True:
            try:
                return await self._db(self.store.update_outgoing, message_id, **fields)
            except StoreUnavailable as exc:
                log.warning("message %s: its outcome waits for the store: %s", message_id, exc)
                await asyncio.sleep(STORE_RETRY_S)

    async def retry_due(self) -> list[Message]:
        """Send every PENDING message whose time has come (unless paused)."""
        done: list[Message] = []
        if self.paused is not None or self.clock() < self.not_before:
            return done
        for message in await self._db(self.store.due_pending, self.clock()):
            claimed = await self._db(self.store.claim, message.id, (Status.PENDING,))
            if claimed is None:  # another voipdesk process took it
                continue
            done.append(await self.attempt(self._emit(claimed)))
            if self.paused is not None or self.clock() < self.not_before:
                break  # the provider asked us to wait: the others wait too
        return done

    async def recover(self) -> list[Message]:
        """At start-up: messages left SENDING by a crash become UNKNOWN, never resent silently."""
        recovered = [self._emit(m) for m in await self._db(self.store.recover_interrupted)]
        for message in await self._db(self.store.outbox):  # left waiting when it last stopped
            if message.status is Status.PENDING and message.error_code == "UNREACHABLE":
                self.waiting[message.id] = message.next_attempt_at or 0.0
        return recovered

    async def run(self) -> None:
        """Retry pending messages forever, sleeping until the next is due or wake() is called."""
        while True:
            # Cleared before the round, not after it: a wake() or resume() that arrives while
            # the round runs then starts the next round at once instead of being lost.
            self._wake.clear()
            try:
                await self.retry_due()
                await self.later.send_due()
                next_at = await self._db(self.store.next_retry_at)
                if next_at is not None:
                    next_at = max(next_at, self.not_before)
                later = await self.later.next_at()
                if later is not None:
                    next_at = later if next_at is None else min(next_at, later)
            except asyncio.CancelledError:
                raise
            except StoreUnavailable as exc:  # a database server gone away: said elsewhere
                log.warning("outbox retry round: %s", exc)
                next_at = self.clock() + STORE_RETRY_S
            except Exception:
                log.exception("outbox retry round failed")
                next_at = None
            timeout = 60.0 if next_at is None else max(0.05, min(60.0, next_at - self.clock()))
            if self.paused is not None:
                timeout = None  # type: ignore[assignment]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)


def wait_text(seconds: float) -> str:
    """A wait in words: "1 second", "30 seconds", "2 minutes", "1 hour"."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 90:
        count, unit = seconds, "second"
    elif seconds < 3600:
        count, unit = math.ceil(seconds / 60), "minute"
    else:
        count, unit = math.ceil(seconds / 3600), "hour"
    return f"{count} {unit}{'' if count == 1 else 's'}"
