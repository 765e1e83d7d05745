"""End to end: an MMS through the sandbox's webhook, the real listener and store, shown in the
real window with its picture, fetched from a local HTTP server; and the demo's own picture,
which the sandbox serves (so `voipdesk --demo` shows a thumbnail without the internet)."""

import pytest

from tests.media_server import Route, png
from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.app import Controller, make_application
from voipdesk.services.media import MediaCache
from voipdesk.ui.conversations import ConversationRole, preview_text

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

PEER = "+447700900777"


def blocks(window, row):
    thread = window.thread
    geometry = thread.delegate.geometry(thread.list_view.model().index(row, 0))
    return geometry.media if geometry is not None else []


def open_peer(window, peer, qtbot):
    conversation = next(c for c in window.services.store.conversations() if c.peer_number == peer)
    open_conversation(qtbot, window, conversation.id)


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
    open_peer(window, PEER, qtbot)
    qtbot.waitUntil(lambda: [b.kind for b in blocks(window, 0)] == ["image"], timeout=8000)
    image = window.thread.delegate.media.image(blocks(window, 0)[0].url)
    assert round(image.deviceIndependentSize().width()) == 240
    assert round(image.deviceIndependentSize().height()) == 180
    # Kept in the data folder under its link's hash (beside the demo's own picture), fetched once.
    folder = demo_app.window.settings.data_dir / "media"
    assert (folder / f"{MediaCache.key(url)}.png").is_file()
    assert media_server.hits("/IMG_0042.png") == 1


def test_the_demo_shows_the_picture_its_sandbox_serves(demo_app, qtbot):
    window = demo_app.window
    open_peer(window, "+14155550123", qtbot)  # Jordan (SF office)
    model = window.thread.model
    row = next(r for r in range(model.rowCount()) if model.message(r).attachments)
    assert model.message(row).attachments[0].startswith(demo_app.sandbox.url + "/media/")
    qtbot.waitUntil(lambda: [b.kind for b in blocks(window, row)] == ["image"], timeout=8000)
    assert not window.thread.delegate.media.image(blocks(window, row)[0].url).isNull()


def test_after_a_restart_pictures_come_from_the_data_folder(
    aio, qtbot, tmp_path, monkeypatch, media_server
):
    """Quit and start again: the MMS's picture and the demo's own (whose sandbox now listens
    on another port, so its old link answers nothing) show from the kept files."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    url = media_server.add("/IMG_0042.png", Route(png(640, 480, "#20a040")))
    jordan = "+14155550123"
    for run in (1, 2):
        controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
        aio(controller.start())
        try:
            window = controller.window
            if run == 1:
                assert controller.sandbox.deliver(PEER, demo.OWN, "", kind="mms", media=[url])
                store = window.services.store
                qtbot.waitUntil(
                    lambda s=store: any(c.peer_number == PEER for c in s.conversations()),
                    timeout=5000,
                )
            for peer in (PEER, jordan):
                open_peer(window, peer, qtbot)
                model = window.thread.model
                row = next(r for r in range(model.rowCount()) if model.message(r).attachments)
                qtbot.waitUntil(
                    lambda w=window, r=row: [b.kind for b in blocks(w, r)] == ["image"],
                    timeout=8000,
                )
        finally:
            aio(controller.shutdown())
    assert media_server.hits("/IMG_0042.png") == 1


def test_the_demos_picture_shows_on_a_second_start_though_the_first_never_showed_it(
    aio, qtbot, tmp_path, monkeypatch
):
    """The seeded MMS links to the first start's sandbox; the next start's sandbox listens on
    another port. The picture is the demo's own: kept with the seed, it shows on any start."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for run in (1, 2):
        controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
        aio(controller.start())
        try:
            if run == 2:
                window = controller.window
                open_peer(window, "+14155550123", qtbot)  # Jordan (SF office)
                model = window.thread.model
                row = next(r for r in range(model.rowCount()) if model.message(r).attachments)
                assert not model.message(row).attachments[0].startswith(controller.sandbox.url)
                qtbot.waitUntil(
                    lambda w=window, r=row: [b.kind for b in blocks(w, r)] == ["image"],
                    timeout=8000,
                )
        finally:
            aio(controller.shutdown())
