"""End to end: an MMS through the sandbox's webhook, the real listener and store, shown in the
real window with its picture, fetched from a local HTTP server; and the demo's own picture,
which the sandbox serves (so `voipdesk --demo` shows a thumbnail without the internet)."""

import pytest

from tests.media_server import Route, png
from voipdesk import demo
from voipdesk.ui.conversations import ConversationRole, preview_text

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

PEER = "+447700900777"


def blocks(window, row):
    thread = window.thread
    geometry = thread.delegate.geometry(thread.list_view.model().index(row, 0))
    return geometry.media if geometry is not None else []


def open_peer(window, peer):
    conversation = next(c for c in window.services.store.conversations() if c.peer_number == peer)
    window.open_conversation(conversation.id)


def test_an_mms_webhook_shows_its_picture_in_the_thread(demo_app, qtbot, media_server):
    window, sandbox = demo_app.window, demo_app.sandbox
    url = media_server.add("/IMG_0042.png", Route(png(640, 480, "#20a040")))
    record = sandbox.deliver(PEER, demo.OWN, "", kind="mms", media=[url])
    assert record.status == 200
    model = window.conversation_model
    qtbot.waitUntil(
        lambda: model.data(model.index(0, 0), ConversationRole.PeerNumber) == PEER, timeout=5000
    )
    assert preview_text(model.conversation(0)) == "Photo"
    open_peer(window, PEER)
    qtbot.waitUntil(lambda: [b.kind for b in blocks(window, 0)] == ["image"], timeout=8000)
    image = window.thread.delegate.media.image(blocks(window, 0)[0].url)
    assert round(image.deviceIndependentSize().width()) == 240
    assert round(image.deviceIndependentSize().height()) == 180
    kept = list((demo_app.window.settings.data_dir / "media").glob("*.png"))
    assert len(kept) == 1 and media_server.hits("/IMG_0042.png") == 1


def test_the_demo_shows_the_picture_its_sandbox_serves(demo_app, qtbot):
    window = demo_app.window
    open_peer(window, "+14155550123")  # Jordan (SF office)
    model = window.thread.model
    row = next(r for r in range(model.rowCount()) if model.message(r).attachments)
    assert model.message(row).attachments[0].startswith(demo_app.sandbox.url + "/media/")
    qtbot.waitUntil(lambda: [b.kind for b in blocks(window, row)] == ["image"], timeout=8000)
    assert not window.thread.delegate.media.image(blocks(window, row)[0].url).isNull()
