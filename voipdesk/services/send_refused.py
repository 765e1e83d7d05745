"""A message the store did not take (issue #11's defined offline state): when the message
database cannot be reached as the user presses Send (a shared database gone away), nothing is
stored and nothing is sent. The user is told so in a sentence and the text stays in its box, to
be sent again once the database answers: refused, never queued somewhere else meanwhile, so it
can never be lost or go twice."""

from __future__ import annotations

from dataclasses import dataclass

from voipdesk.store import StoreUnavailable

# (The first words say it all: at 800 px the status bar shows about seventy characters.)
SHARED = (
    "Not sent: the shared inbox cannot be reached. Your text is kept in its box; send it "
    "again once the inbox is back."
)
LOCAL = (
    "Not sent: the message database cannot be used right now ({reason}). Your text is kept "
    "in its box; send it again in a moment."
)


@dataclass(frozen=True)
class SendRefused:
    """What the user sent, from and to which numbers, and the sentence that says why not."""

    own: str
    peer: str
    body: str
    sentence: str

    @property
    def peer_pair(self) -> tuple[str, str]:
        """(own number, other person's number): its conversation."""
        return self.own, self.peer


def send_refused(
    own: str, peer: str, body: str, exc: StoreUnavailable, *, shared: bool
) -> SendRefused:
    sentence = SHARED if shared else LOCAL.format(reason=exc.reason)
    return SendRefused(own, peer, body, sentence)
