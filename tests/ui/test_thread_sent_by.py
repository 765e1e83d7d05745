"""On the shared inbox, what the team sends says who sent it: "Sent by Ana" under the bubble,
and two people's messages never run together as one person's."""

from __future__ import annotations

import pytest

from tests.ui.thread_support import settle, show_thread
from voipdesk.core.models import Status
from voipdesk.ui.thread.model import MessageRole

OWN = "+447700900001"  # the seeded conversations' own number (tests/ui/conftest.py)

ALICE = "+447700900111"

# A ThreadView shown on its own (a top-level window) asks the offscreen platform to pass on its
# size hints when its header fills in; that platform cannot, and says so (a real one can).
pytestmark = pytest.mark.qt_log_ignore("propagateSizeHints")


def test_each_of_the_team_s_messages_says_who_sent_it(qtbot, seed):
    store = seed.store
    first = store.add_outgoing(OWN, ALICE, "Your order is ready", sent_by="Ana")
    second = store.add_outgoing(OWN, ALICE, "We close at six today", sent_by="Ben")
    third = store.add_outgoing(OWN, ALICE, "See you soon", sent_by="Ben")
    for message in (first, second, third):
        store.update_outgoing(message.id, status=Status.DELIVERED, provider_id=f"p-{message.id}")
    view = show_thread(qtbot, store, first.conversation_id, size=(700, 400))
    settle(qtbot, view)
    model = view.model
    rows = {model.data(model.index(r, 0), MessageRole.Id): r for r in range(model.rowCount())}

    def meta(message) -> str | None:
        render = model.data(model.index(rows[message.id], 0), MessageRole.Render)
        return render.meta[0] if render.meta else None

    def run_start(message) -> bool:
        return model.data(model.index(rows[message.id], 0), MessageRole.RunStart)

    assert meta(first).startswith("Sent by Ana · ")  # not run together with Ben's
    assert run_start(second) and not run_start(third)  # Ben's two are one run
    assert meta(second) is None and meta(third).startswith("Sent by Ben · ")
    assert meta(third).endswith("Delivered")


def test_a_desk_of_ones_own_says_nothing_of_who_sent(qtbot, seed):
    message = seed.outgoing(ALICE, "hi")
    view = show_thread(qtbot, seed.store, message.conversation_id, size=(700, 400))
    settle(qtbot, view)
    render = view.model.data(view.model.index(0, 0), MessageRole.Render)
    assert "Sent by" not in render.meta[0]
