"""Whose a conversation's last outgoing message is, for its preview: "You" on a single
desktop; on the shared inbox, the team member who sent it ("Ana: …"), and "You" only for this
desk's user (or a message that records no sender)."""

from __future__ import annotations

from collections.abc import Callable

from voipdesk.core.models import Conversation

SentByMe = Callable[[str], bool]  # whether a name is this desk's user's


def who_sent(conversation: Conversation, sent_by_me: SentByMe | None) -> str:
    """You, or the team member's name (one line)."""
    who = " ".join((conversation.last_sent_by or "").split())
    if who and sent_by_me is not None and not sent_by_me(who):
        return who
    return "You"
