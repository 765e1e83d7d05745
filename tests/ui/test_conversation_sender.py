"""The list's preview of a conversation whose last message went out: "You: …" on a single
desktop; on the shared inbox, the team member who sent it ("Ana: …"), "You: …" for this desk's
user or a message that records no sender. (The desk's names: tests/app/test_shared_desk.py.)"""

from __future__ import annotations

import dataclasses

from voipdesk.core.models import Conversation, Direction
from voipdesk.ui.conversations import preview_text

SENT = Conversation(
    id=1,
    own_number="+447700900001",
    peer_number="+447700900100",
    last_message_id=7,
    last_body="On my  way",
    last_direction=Direction.OUT,
    last_timestamp=1_716_000_000.0,
    unread_count=0,
    last_sent_by="Ana",
)


def test_the_preview_says_who_sent_the_last_message():
    assert preview_text(SENT) == "You: On my way"  # a single desktop: always the user's own
    bens_desk = {"Ben"}.__contains__  # Ben's desk on the shared inbox
    assert preview_text(SENT, bens_desk) == "Ana: On my way"
    by = {name: dataclasses.replace(SENT, last_sent_by=name) for name in ("Ben", None, " Bo\n")}
    assert preview_text(by["Ben"], bens_desk) == "You: On my way"
    assert preview_text(by[None], bens_desk) == "You: On my way"
    assert preview_text(by[" Bo\n"], bens_desk) == "Bo: On my way"  # (on one line)
    received = dataclasses.replace(SENT, last_direction=Direction.IN, last_sent_by=None)
    assert preview_text(received, bens_desk) == "On my way"
