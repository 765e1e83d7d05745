"""The line under a bubble says why a message waits to be sent and when it is tried next."""

from __future__ import annotations

import datetime as dt

from voipdesk.core.models import Status
from voipdesk.outbox import UNREACHABLE_TEXT
from voipdesk.ui.thread import meta_text, status_text

ALICE = "+447700900111"


def test_waiting_to_send_says_why_and_when_it_is_tried_next(seed, clock):
    reason = UNREACHABLE_TEXT.format(reason="connection refused")
    message = seed.outgoing(ALICE, "hi", status=Status.PENDING, error=reason)
    next_try = clock.now + 300
    message = seed.store.update_outgoing(message.id, next_attempt_at=next_try)
    at = dt.datetime.fromtimestamp(next_try).strftime("%H:%M")
    assert status_text(message) == f"Waiting to send — {reason} Next try at {at}."
    text, action = meta_text(message)
    assert text.endswith(f"Next try at {at}. · Retry now") and action is not None


def test_waiting_for_settings_says_why_without_a_next_try(seed):
    why = "Your API token was not accepted: open Settings."
    message = seed.outgoing(ALICE, "hi", status=Status.PENDING, error=why)
    assert status_text(message) == f"Waiting to send — {why}"
