"""An MMS's links fetched for the window (services/media.py): over real HTTP from a local
server, into a real cache folder; what is refused is never requested."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from tests.media_server import Route
from voipdesk.provider.wire import parse_webhook
from voipdesk.sandbox import webhook
from voipdesk.sandbox.picture import demo_png
from voipdesk.services import media
from voipdesk.services.media import FAILED, FILE, IMAGE, REFUSED, MediaCache

PNG = demo_png()


def fetch(cache: MediaCache, url: str) -> media.Media:
    return asyncio.run(cache.fetch(url))


def test_a_picture_is_downloaded_kept_under_a_hashed_name_and_reused_after_a_restart(
    media_server, tmp_path
):
    url = media_server.add("/pics/..%2F..%2Fetc%2Fsunset.png?x=1", Route(PNG))
    got = fetch(MediaCache(tmp_path / "media"), url)
    assert got.kind == IMAGE and got.size == len(PNG) and got.name == "sunset.png"
    assert got.path is not None and got.path.read_bytes() == PNG
    # Named by a hash of the link, inside the folder: never a path taken from the URL.
    names = sorted(p.name for p in (tmp_path / "media").iterdir())
    assert all(re.fullmatch(r"[0-9a-f]{64}(\.png|\.json)", n) for n in names), names
    assert [p for p in tmp_path.iterdir()] == [tmp_path / "media"]
    # The app starts again: a new cache on the same folder asks the server nothing.
    again = fetch(MediaCache(tmp_path / "media"), url)
    assert again.kind == IMAGE and again.path == got.path
    assert len(media_server.requests) == 1


def test_something_not_a_picture_is_described_not_downloaded(media_server, tmp_path):
    url = media_server.add("/docs/menu.pdf", Route(b"%PDF" + b"x" * 5000, "application/pdf"))
    got = fetch(MediaCache(tmp_path), url)
    assert (got.kind, got.name, got.size, got.content_type) == (
        FILE,
        "menu.pdf",
        5004,
        "application/pdf",
    )
    assert got.path is None and not list(tmp_path.glob("*.pdf"))


@pytest.mark.parametrize("length", [True, False], ids=["announced", "streamed"])
def test_a_picture_over_the_size_limit_is_not_kept(media_server, tmp_path, length):
    url = media_server.add("/big.png", Route(b"\x89PNG" + b"0" * 50_000, length=length))
    got = fetch(MediaCache(tmp_path, max_bytes=20_000), url)
    assert got.kind == FILE and "too large" in got.reason.lower()
    assert not list(tmp_path.glob("*.png"))


def test_a_slow_server_hits_the_time_limit(media_server, tmp_path):
    url = media_server.add("/slow.png", Route(PNG, delay=30))
    got = fetch(MediaCache(tmp_path, timeout=0.5), url)
    assert got.kind == FAILED and "too long" in got.reason


def test_a_missing_picture_says_what_the_server_answered(media_server, tmp_path):
    got = fetch(MediaCache(tmp_path), media_server.url("/gone.png"))
    assert got.kind == FAILED and "404" in got.reason
    assert not list(tmp_path.iterdir())  # nothing kept: a retry asks again


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/a.png",
        "javascript:alert(1)",
        "http://user:secret@127.0.0.1/a.png",
        "http:///no-host.png",
        "https://example.com/" + "a" * 3000,
    ],
)
def test_links_that_are_not_plain_web_links_are_refused_with_a_reason(url, tmp_path):
    got = fetch(MediaCache(tmp_path), url)
    assert got.kind == REFUSED and got.reason
    assert not list(tmp_path.iterdir())


def test_the_cache_stays_within_its_bound_dropping_the_least_recently_used(media_server, tmp_path):
    cache = MediaCache(tmp_path, cache_bytes=len(PNG) * 2 + 2000)
    urls = [media_server.add(f"/{i}.png", Route(PNG)) for i in range(4)]
    for url in urls:
        assert fetch(cache, url).kind == IMAGE
    total = sum(p.stat().st_size for p in tmp_path.iterdir())
    assert total <= cache.cache_bytes
    assert fetch(cache, urls[-1]).path is not None  # the newest is still there
    assert media_server.hits("/3.png") == 1


def test_a_webhook_media_list_keeps_non_web_links_so_they_can_be_refused():
    doc = webhook.body(
        "+1",
        "+2",
        "",
        mdr_id="m",
        ts=0,
        kind="mms",
        media=["https://cdn.example/a.jpg", "file:///etc/passwd"],
        note="see ftp://elsewhere.example/x",
    )
    message = parse_webhook(json.dumps(doc).encode())
    assert message.attachments == ("https://cdn.example/a.jpg", "file:///etc/passwd")


@pytest.mark.parametrize(
    ("links", "word"),
    [
        (("https://x/IMG_1.JPG",), "Photo"),
        (("https://x/a.png", "https://x/b.jpg"), "2 photos"),
        (("https://x/clip.mp4",), "Video"),
        (("https://x/menu.pdf",), "File"),
        (("https://x/media/123",), "Attachment"),
    ],
)
def test_the_preview_word_for_a_message_of_attachments_only(links, word):
    assert media.preview_word(links) == word


def test_a_host_that_cannot_be_reached_fails_its_other_links_at_once_until_retry(tmp_path):
    """A thread of many pictures on a host that is down: the first link tries it, the others
    fail at once (they are not each tried: a screenful of them would each wait and fail), and a
    Retry tries the host again."""
    import socket

    from tests.media_server import MediaServer

    with socket.socket() as s:  # a loopback port nothing listens on (bound, then let go)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cache = MediaCache(tmp_path)
    base = f"http://127.0.0.1:{port}"
    first = fetch(cache, f"{base}/1.png")
    assert first.kind == FAILED and "could not be downloaded" in first.reason
    server = MediaServer(port).start()  # the host is up now, but the failure is remembered
    try:
        for n in (2, 3):
            server.add(f"/{n}.png", Route(PNG))
            got = fetch(cache, f"{base}/{n}.png")
            assert got.kind == FAILED and got.reason == first.reason
        assert server.requests == []
        cache.forget_failures(f"{base}/2.png")  # the user pressed Retry
        assert fetch(cache, f"{base}/2.png").kind == IMAGE
        assert fetch(cache, f"{base}/3.png").kind == IMAGE
    finally:
        server.stop()
