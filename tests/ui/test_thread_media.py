"""An MMS in the thread: a thumbnail for a picture, a file chip for other media, the link and a
Retry when the download failed, a reason for a link that is not a web link. The links are
served by a real local HTTP server; the pictures are fetched on the app's loop and decoded on a
worker thread, into a real cache folder."""

from __future__ import annotations

import itertools
import threading

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QGuiApplication, QImage, QImageIOHandler, QImageWriter

from tests.media_server import Route, png
from tests.ui.thread_support import settle, show_thread
from voipdesk.core.models import InboundMessage
from voipdesk.ui import theme
from voipdesk.ui.conversations import ConversationListModel, preview_text
from voipdesk.ui.thread import ThreadView
from voipdesk.ui.thread import media as thread_media

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"
RED = "#d02020"
_ids = itertools.count(1)


def mms(seed, *links: str, body: str = ""):
    message, _new = seed.store.add_inbound(
        InboundMessage(
            ALICE, seed.own, body, "mms", f"mms-{next(_ids)}", int(seed.clock.now), "{}", links
        )
    )
    return message


class Shown:
    """A thread with one MMS, and what its bubble's attachments are."""

    def __init__(self, qtbot, seed, folder, *links: str, body: str = "", prepare=None) -> None:
        self.qtbot = qtbot
        message = mms(seed, *links, body=body)
        self.view = show_thread(qtbot, seed.store, message.conversation_id, size=(600, 560))
        # (before the loop runs the fetches the layout above started)
        self.shelf = self.view.delegate.media
        self.shelf.set_folder(folder)
        if prepare is not None:
            prepare(self.shelf)
        self.opened: list[QUrl] = []
        self.view.open_url = self.opened.append

    @property
    def index(self):
        return self.view.list_view.model().index(0, 0)

    def blocks(self) -> list[thread_media.Block]:
        geometry = self.view.delegate.geometry(self.index)
        return geometry.media if geometry is not None else []

    def wait_for(self, kind: str, timeout: int = 8000) -> thread_media.Block:
        """The first block once it is `kind` (and no longer loading)."""

        def shown() -> bool:
            block = self.blocks()[0]
            return block.kind == kind and block.detail != "Loading…"

        self.qtbot.waitUntil(shown, timeout=timeout)
        settle(self.qtbot, self.view)
        return self.blocks()[0]

    def point(self, block: thread_media.Block, inside: QPointF | None = None) -> QPoint:
        """Where `block` is in the list's viewport (its middle, or `inside` it)."""
        delegate, lv = self.view.delegate, self.view.list_view
        geometry = delegate.geometry(self.index)
        bubble = delegate._bubble_rect(geometry, lv.visualRect(self.index))
        origin = QPointF(
            bubble.left() + theme.BUBBLE_PADDING_H, bubble.top() + theme.BUBBLE_PADDING_V
        )
        where = block.rect.center() if inside is None else block.rect.topLeft() + inside
        return (origin + where).toPoint()

    def click(self, point: QPoint) -> None:
        self.qtbot.mouseClick(self.view.list_view.viewport(), Qt.MouseButton.LeftButton, pos=point)

    def range_point(self, block: thread_media.Block, target_kind: str) -> QPoint:
        """The middle of the first character of the text range whose click does target_kind."""
        start = next(s for s, _n, target in block.ranges if target[0] == target_kind)
        assert block.text is not None
        layout = block.text.layout
        for i in range(layout.lineCount()):
            line = layout.lineAt(i)
            if line.textStart() <= start < line.textStart() + line.textLength():
                x = (line.cursorToX(start)[0] + line.cursorToX(start + 1)[0]) / 2
                return self.point(block, QPointF(x, line.y() + line.height() / 2))
        raise AssertionError("range not laid out")


def test_a_picture_shows_as_a_thumbnail_with_its_aspect_kept(
    aio, qtbot, seed, tmp_path, media_server
):
    url = media_server.add("/photo.png", Route(png(480, 320, RED)))
    shown = Shown(qtbot, seed, tmp_path, url)
    block = shown.wait_for("image")
    image = shown.shelf.image(block.url)
    assert image is not None and not image.isNull()
    size = image.deviceIndependentSize()
    assert (round(size.width()), round(size.height())) == (240, 160)
    assert (block.rect.width(), block.rect.height()) == (240, 160)
    # The row makes room for it, and the bubble holds no "Attachment 1" line.
    assert shown.view.list_view.visualRect(shown.index).height() > 160 + 2 * theme.BUBBLE_PADDING_V
    assert shown.view.delegate.geometry(shown.index).parts == []
    # And it is painted there.
    grabbed = shown.view.list_view.viewport().grab().toImage()
    assert QColor(grabbed.pixel(shown.point(block))).name() == RED


def test_a_click_on_the_thumbnail_opens_the_kept_picture(aio, qtbot, seed, tmp_path, media_server):
    body = png(300, 200, RED)
    url = media_server.add("/photo.png", Route(body))
    shown = Shown(qtbot, seed, tmp_path, url)
    block = shown.wait_for("image")
    shown.click(shown.point(block))
    assert len(shown.opened) == 1 and shown.opened[0].isLocalFile()
    with open(shown.opened[0].toLocalFile(), "rb") as kept:
        assert kept.read() == body


def test_pictures_are_decoded_and_scaled_off_the_gui_thread(
    aio, qtbot, seed, tmp_path, media_server, monkeypatch
):
    threads = []
    real = thread_media.decode_thumbnail

    def decode(*args):
        threads.append(threading.current_thread())
        return real(*args)

    monkeypatch.setattr(thread_media, "decode_thumbnail", decode)
    url = media_server.add("/big.png", Route(png(3000, 2000, RED)))
    block = Shown(qtbot, seed, tmp_path, url).wait_for("image")  # (its size: decoded)
    assert (block.rect.width(), block.rect.height()) == (240, 160)
    assert threads and threading.main_thread() not in threads


def test_other_media_show_as_a_file_chip_with_name_and_size(
    aio, qtbot, seed, tmp_path, media_server
):
    url = media_server.add("/docs/menu.pdf", Route(b"%PDF" + b"x" * 5116, "application/pdf"))
    shown = Shown(qtbot, seed, tmp_path, url, body="Our new menu")
    block = shown.wait_for("chip")
    assert (block.title, block.detail) == ("menu.pdf", "5 KB · File")
    assert shown.blocks()[0].title == "menu.pdf"
    shown.click(shown.point(block))
    assert shown.opened == [QUrl(url)]  # the browser opens or saves it


def test_a_picture_over_the_size_limit_is_a_chip_that_opens_the_link(
    aio, qtbot, seed, tmp_path, media_server
):
    def small_limit(shelf):
        shelf.cache.max_bytes = 10_000

    url = media_server.add("/huge.png", Route(png(1200, 900, RED) + b"\0" * 20_000))
    shown = Shown(qtbot, seed, tmp_path, url, prepare=small_limit)
    block = shown.wait_for("chip")
    assert block.detail.endswith("Too large to show here.")
    shown.click(shown.point(block))
    assert shown.opened == [QUrl(url)]


def test_a_slow_server_never_blocks_the_window_and_retry_fetches_again(
    aio, qtbot, seed, tmp_path, media_server
):
    def short_limit(shelf):
        shelf.cache.timeout = 1.0

    url = media_server.add("/slow.png", Route(png(200, 100, RED), delay=60))
    shown = Shown(qtbot, seed, tmp_path, url, prepare=short_limit)
    block = shown.blocks()[0]
    assert (block.kind, block.detail) == ("chip", "Loading…")
    # While the server says nothing, the window goes on: a timer fires, input is handled.
    fired = []
    QTimer.singleShot(100, lambda: fired.append(shown.blocks()[0].detail))
    qtbot.waitUntil(lambda: bool(fired), timeout=1000)
    assert fired == ["Loading…"]
    block = shown.wait_for("text")
    assert block.text is not None
    assert block.text.text.startswith("The picture took too long to download.")
    assert block.text.text.endswith("Retry") and url in block.text.text
    # The server comes back; Retry asks again and the picture shows.
    media_server.routes["/slow.png"].delay = 0
    shown.click(shown.range_point(block, "media-retry"))
    shown.wait_for("image")
    assert media_server.hits("/slow.png") == 2


def test_a_missing_picture_shows_its_link_and_a_retry(aio, qtbot, seed, tmp_path, media_server):
    url = media_server.url("/gone-\u202egnp.exe")  # (an override would show it as exe.png)
    shown = Shown(qtbot, seed, tmp_path, url)
    block = shown.wait_for("text")
    assert "no longer there (error 404)" in block.text.text
    assert "/gone-gnp.exe" in block.text.text and "\u202e" not in block.text.text
    shown.click(shown.range_point(block, "url"))
    assert shown.opened == [QUrl(url)]


def test_a_link_that_is_not_a_web_link_says_why_and_is_never_opened(aio, qtbot, seed, tmp_path):
    shown = Shown(qtbot, seed, tmp_path, "file:///etc/passwd")
    block = shown.wait_for("text")
    assert "only web links are opened" in block.text.text and block.ranges == [] and block.muted
    shown.click(shown.point(block))
    assert shown.opened == []


def test_the_kept_picture_is_shown_after_a_restart_without_asking_the_server(
    aio, qtbot, seed, tmp_path, media_server
):
    url = media_server.add("/photo.png", Route(png(400, 400, RED)))
    first = Shown(qtbot, seed, tmp_path, url)
    first.wait_for("image")
    # The app starts again: a new window, a new shelf, the same data folder.
    view = ThreadView(seed.store)
    qtbot.addWidget(view)
    view.delegate.media.set_folder(tmp_path)
    view.resize(600, 560)
    view.show()
    view.set_conversation(first.view.conversation_id)
    index = view.list_view.model().index(0, 0)
    qtbot.waitUntil(lambda: view.delegate.geometry(index).media[0].kind == "image", timeout=8000)
    assert media_server.hits("/photo.png") == 1


def test_several_attachments_each_show_without_numbers(aio, qtbot, seed, tmp_path, media_server):
    a = media_server.add("/a.png", Route(png(100, 100, RED)))
    b = media_server.add("/b.pdf", Route(b"%PDF", "application/pdf"))
    shown = Shown(qtbot, seed, tmp_path, a, b, body="Two things")
    qtbot.waitUntil(lambda: [x.kind for x in shown.blocks()] == ["image", "chip"], timeout=8000)
    image, chip = shown.blocks()
    assert chip.rect.top() >= image.rect.bottom()
    texts = [part.text for part, _top in shown.view.delegate.geometry(shown.index).parts]
    assert texts == ["Two things"]


def test_the_conversation_list_says_photo_for_a_picture_without_text(seed):
    mms(seed, "https://media.example/IMG_0042.JPG")
    model = ConversationListModel(seed.store)
    assert preview_text(model.conversation(0)) == "Photo"
    seed.clock.advance(60)
    model.apply([mms(seed, "https://media.example/clip.mp4")])  # arriving while it shows
    assert preview_text(model.conversation(0)) == "Video"


@pytest.mark.parametrize(
    ("size", "ratio", "pixels", "logical"),
    [
        ((3000, 2000), 1.0, (240, 160), (240, 160)),
        ((3000, 2000), 2.0, (480, 320), (240, 160)),  # sharp at 2x, the same size on screen
        ((320, 220), 2.0, (320, 220), (240, 165)),  # never fewer logical pixels at 2x
        ((100, 50), 2.0, (100, 50), (100, 50)),  # a small picture is not enlarged
    ],
)
def test_thumbnails_keep_their_aspect_and_size_at_1x_and_2x(
    qapp, tmp_path, size, ratio, pixels, logical
):
    path = tmp_path / "p.png"
    path.write_bytes(png(*size))
    image = thread_media.decode_thumbnail(path, ratio)
    assert (image.width(), image.height()) == pixels
    shown = image.deviceIndependentSize()
    assert (round(shown.width()), round(shown.height())) == logical


def test_a_phone_photo_stored_sideways_is_shown_upright(qapp, tmp_path):
    image = QImage(800, 400, QImage.Format.Format_RGB32)
    image.fill(QColor(RED))
    writer = QImageWriter(str(tmp_path / "portrait.jpg"))
    writer.setTransformation(QImageIOHandler.Transformation.TransformationRotate90)
    assert writer.write(image)
    thumb = thread_media.decode_thumbnail(tmp_path / "portrait.jpg", 2.0)
    shown = thumb.deviceIndependentSize()
    assert (round(shown.width()), round(shown.height())) == (120, 240)


def test_copying_a_picture_message_copies_its_link_and_a_screen_reader_says_photo(
    qtbot, seed, tmp_path
):
    url = "https://media.example/IMG_7.jpg"
    shown = Shown(qtbot, seed, tmp_path, url)
    shown.view.list_view.setCurrentIndex(shown.index)
    shown.view.copy_selection()
    assert QGuiApplication.clipboard().text() == url
    spoken = shown.index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("They: Photo.")


def test_thumbnails_dropped_to_save_memory_come_back_without_moving_anything(
    aio, qtbot, seed, tmp_path, media_server, monkeypatch
):
    monkeypatch.setattr(thread_media, "IMAGES_KEPT", 1)
    first = media_server.add("/1.png", Route(png(200, 100, RED)))
    second = media_server.add("/2.png", Route(png(100, 200, "#2040d0")))
    mms(seed, first)
    shown = Shown(qtbot, seed, tmp_path, second)
    lv, shelf = shown.view.list_view, shown.shelf
    model = lv.model()

    def kinds():
        return [shown.view.delegate.geometry(model.index(r, 0)).media[0].kind for r in range(2)]

    qtbot.waitUntil(lambda: kinds() == ["image", "image"], timeout=8000)
    settle(qtbot, shown.view)
    heights = [lv.visualRect(model.index(r, 0)).height() for r in range(2)]
    assert sum(shelf._entries[u].image is not None for u in (first, second)) == 1
    # Painting both asks for the dropped one again: decoded from the kept file, not fetched.
    qtbot.waitUntil(
        lambda: lv.viewport().grab() is not None and shelf._entries[first].image is not None,
        timeout=8000,
    )
    assert [lv.visualRect(model.index(r, 0)).height() for r in range(2)] == heights
    assert media_server.hits("/1.png") == 1 and media_server.hits("/2.png") == 1


def test_a_message_with_very_many_links_shows_some_and_counts_the_rest(qtbot, seed, tmp_path):
    links = [f"file:///tmp/{i}.png" for i in range(25)]
    shown = Shown(qtbot, seed, tmp_path, *links)
    blocks = shown.blocks()
    assert len(blocks) == thread_media.SHOWN + 1
    assert blocks[-1].text.text == "and 5 more attachments"
    assert len(shown.shelf._entries) == thread_media.SHOWN


def test_pictures_failing_out_of_view_lay_the_thread_out_once_and_show_when_scrolled_to(
    aio, qtbot, seed, tmp_path, monkeypatch
):
    """Reading the newest messages while older picture messages above (on a host that is down)
    fail: the view is not laid out again once per picture (each a stutter on a long thread)
    but once for them all, and scrolled up to, each shows why at its full height."""
    import socket

    with socket.socket() as s:  # a port nothing listens on: the host cannot be reached
        s.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{s.getsockname()[1]}"
    for n in range(6):
        mms(seed, f"{base}/{n}.png")
    for n in range(40):
        last = mms(seed, body=f"a line of text to read, number {n}")
    from voipdesk.ui.thread.listview import _MessageList

    layouts: list[int] = []
    real = _MessageList.doItemsLayout

    def counted(self) -> None:
        layouts.append(1)
        real(self)

    monkeypatch.setattr(_MessageList, "doItemsLayout", counted)
    view = show_thread(qtbot, seed.store, last.conversation_id, size=(600, 400))
    lv, shelf, model = view.list_view, view.delegate.media, view.list_view.model()
    assert lv.at_bottom() and 0 not in lv.visible_rows()
    settle(qtbot, view)
    layouts.clear()
    urls = [f"{base}/{n}.png" for n in range(6)]
    qtbot.waitUntil(lambda: all(shelf.entry(u).state != "loading" for u in urls), timeout=8000)
    qtbot.wait(400)
    settle(qtbot, view)
    assert len(layouts) <= 1
    assert lv.at_bottom()
    for row in range(6):  # each failure at its own height: nothing overlaps when scrolled to
        index = model.index(row, 0)
        assert "could not be downloaded" in view.delegate.geometry(index).media[0].text.text
        assert lv.visualRect(index).height() == view.delegate.height(index)
