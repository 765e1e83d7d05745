"""What an MMS links to: pictures fetched over http(s) with a size and a time limit, kept in a
bounded cache in the data folder; anything else described (name, size), never fetched whole.

A webhook carries no signature, so its links are untrusted: only http and https are fetched
(anything else is refused with a reason and never requested), only `image/*` bodies are read,
each at most MAX_IMAGE_BYTES within TIMEOUT_S, and the cache file is named by a hash of the URL
(never a path built from it). Qt-free: the window decodes and scales the cached file itself."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from voipdesk.core.media import (  # noqa: F401 (re-exported: one place to import from)
    FAILED,
    FILE,
    IMAGE,
    IMAGE_TYPES,
    REFUSED,
    Media,
    display_name,
    guess_kind,
    preview_word,
    refusal,
    size_text,
)

log = logging.getLogger("voipdesk.media")

MAX_IMAGE_BYTES = 10 * 1024 * 1024  # a phone's photo is 1-5 MB; carriers cap MMS far lower
TIMEOUT_S = 20.0  # for the whole download, not per read
CACHE_BYTES = 200 * 1024 * 1024  # the folder is trimmed, oldest used first, beyond this
UNREACHABLE_S = 60.0  # a host that could not be reached is not tried again for this long


@functools.cache
def _tls():
    """The TLS settings every download uses: made once (reading the certificate store takes
    tens of milliseconds; made per download it held up the window for each picture)."""
    return httpx.create_ssl_context()


def _host(url: str) -> str:
    try:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}".lower()
    except ValueError:
        return url


def _status_reason(code: int) -> str:
    if code in (404, 410):
        return f"The picture is no longer there (error {code})."
    if code in (401, 403):
        return f"The picture's server would not send it (error {code})."
    return f"The picture could not be downloaded (error {code})."


def _content_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _length(response: httpx.Response) -> int | None:
    try:
        value = int(response.headers.get("content-length", ""))
    except ValueError:
        return None
    return value if value >= 0 else None


class MediaCache:
    """Fetches links and keeps the pictures in `folder` (None: nothing kept, e.g. in a test).
    fetch() runs on the asyncio loop; its file work runs on worker threads."""

    def __init__(
        self,
        folder: Path | None,
        *,
        max_bytes: int = MAX_IMAGE_BYTES,
        timeout: float = TIMEOUT_S,
        cache_bytes: int = CACHE_BYTES,
    ) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.cache_bytes = cache_bytes
        # Hosts that could not be reached (no such name, refused, no answer): their other links
        # fail at once, for UNREACHABLE_S, rather than each waiting on the same failure.
        self._unreachable: dict[str, tuple[float, str]] = {}
        self._first_contact: dict[str, asyncio.Lock] = {}  # one link at a time tries a new host
        self._reached: set[str] = set()

    def forget_failures(self, url: str) -> None:
        """Try this link's host again (the user asked to retry)."""
        self._unreachable.pop(_host(url), None)

    def _known_unreachable(self, host: str) -> str | None:
        failed = self._unreachable.get(host)
        if failed is None:
            return None
        when, reason = failed
        if time.monotonic() - when > UNREACHABLE_S:
            del self._unreachable[host]
            return None
        return reason

    @staticmethod
    def key(url: str) -> str:
        return hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()

    async def fetch(self, url: str) -> Media:
        """The link as shown: from the cache when it is there, else downloaded (never raises)."""
        name = display_name(url)
        reason = refusal(url)
        if reason is not None:
            return Media(url, REFUSED, name, reason=reason)
        kept = await asyncio.to_thread(self._load, url)
        if kept is not None:
            return kept
        host = _host(url)
        if host in self._reached:
            media, body = await self._fetch(url, name, host)
        else:  # the first link of a host tries it; the others wait to hear how that went
            lock = self._first_contact.setdefault(host, asyncio.Lock())
            async with lock:
                media, body = await self._fetch(url, name, host)
        if media.kind in (IMAGE, FILE):
            media = await asyncio.to_thread(self._keep, media, body)
        return media

    async def _fetch(self, url: str, name: str, host: str) -> tuple[Media, bytes]:
        reason = self._known_unreachable(host)
        if reason is not None:
            return Media(url, FAILED, name, reason=reason), b""
        try:
            async with asyncio.timeout(self.timeout):
                result = await self._download(url, name)
        except (TimeoutError, httpx.TimeoutException) as exc:
            reason = "The picture took too long to download."
            if isinstance(exc, httpx.ConnectTimeout):
                self._unreachable[host] = (time.monotonic(), reason)
            return Media(url, FAILED, name, reason=reason), b""
        except httpx.HTTPError as exc:
            log.info("media download failed: %s", type(exc).__name__)
            reason = "The picture could not be downloaded."
            if isinstance(exc, httpx.ConnectError):
                self._unreachable[host] = (time.monotonic(), reason)
            return Media(url, FAILED, name, reason=reason), b""
        self._reached.add(host)
        self._first_contact.pop(host, None)
        return result

    async def _download(self, url: str, name: str) -> tuple[Media, bytes]:
        timeout = httpx.Timeout(self.timeout, connect=min(self.timeout, 10.0))
        headers = {"Accept": "image/*;q=1, */*;q=0.1"}
        tls = await asyncio.to_thread(_tls)  # (a worker: not on the window's thread)
        async with (
            httpx.AsyncClient(
                timeout=timeout, follow_redirects=True, max_redirects=3, verify=tls
            ) as client,
            client.stream("GET", url, headers=headers) as response,
        ):
            if response.status_code != 200:
                reason = _status_reason(response.status_code)
                return Media(url, FAILED, name, reason=reason), b""
            kind = _content_type(response)
            size = _length(response)
            if kind not in IMAGE_TYPES:  # not a picture the window shows: describe it only
                return Media(url, FILE, name, size=size, content_type=kind), b""
            too_big = Media(
                url, FILE, name, size=size, content_type=kind, reason="Too large to show here."
            )
            if size is not None and size > self.max_bytes:
                return too_big, b""
            chunks: list[bytes] = []
            total = 0
            async for chunk in response.aiter_bytes():
                total += len(chunk)
                if total > self.max_bytes:
                    return too_big, b""
                chunks.append(chunk)
            return Media(url, IMAGE, name, size=total, content_type=kind), b"".join(chunks)

    def keep(self, url: str, body: bytes, content_type: str) -> Media:
        """Keep a picture the app already has (the demo's own) as the one at `url`: it shows
        from the folder and is never fetched. A worker thread's call, like the folder's."""
        media = Media(url, IMAGE, display_name(url), size=len(body), content_type=content_type)
        return self._keep(media, body)

    # -- the folder (worker threads) -------------------------------------------------------------
    def _paths(self, url: str) -> tuple[Path, Path] | None:
        if self.folder is None:
            return None
        key = self.key(url)
        return self.folder / f"{key}.json", self.folder / key

    def _load(self, url: str) -> Media | None:
        paths = self._paths(url)
        if paths is None:
            return None
        meta_path, stem = paths
        try:
            doc = json.loads(meta_path.read_text("utf-8"))
            if doc.get("url") != url or doc.get("kind") not in (IMAGE, FILE):
                return None
            path = None
            if doc["kind"] == IMAGE:
                path = stem.with_suffix(IMAGE_TYPES[doc["content_type"]])
                if not path.is_file():
                    return None
                os.utime(path)  # recently used: trimmed last
            os.utime(meta_path)
            doc["path"] = path
            return Media(**doc)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _keep(self, media: Media, body: bytes) -> Media:
        paths = self._paths(media.url)
        if paths is None:
            return media
        meta_path, stem = paths
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            if media.kind == IMAGE:
                path = stem.with_suffix(IMAGE_TYPES[media.content_type])
                _write(path, body)
                media = Media(**{**asdict(media), "path": path})
            doc = {**asdict(media), "path": None}
            _write(meta_path, json.dumps(doc).encode())
            self._trim()
        except OSError as exc:  # a full disk: shown this time, fetched again next time
            log.warning("media cache not written: %s", type(exc).__name__)
        return media

    def _trim(self) -> None:
        assert self.folder is not None
        files = []
        for entry in os.scandir(self.folder):
            with contextlib.suppress(OSError):
                stat = entry.stat()
                files.append((stat.st_mtime, stat.st_size, entry.path))
        total = sum(size for _m, size, _p in files)
        for _mtime, size, path in sorted(files):
            if total <= self.cache_bytes:
                break
            with contextlib.suppress(OSError):
                os.remove(path)
                total -= size


def _write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
