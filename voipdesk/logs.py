"""Logging: a rotating file in the data dir, with every known secret redacted."""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

from voipdesk.private import open_private, private_dir

_SECRETS: set[str] = set()
# Also catch tokens that travel in URLs or JSON we did not register (e.g. "apiToken": "...").
_PATTERNS = [
    # JSON ("apiToken": "x"), a Python repr ('apiToken': 'x') and query strings (apiToken=x).
    re.compile(
        r"""(["']?(?:apiToken|api_token|authtoken|auth_token)["']?\s*[:=]\s*["']?)([^"'\s,&}]+)""",
        re.I,
    ),
    re.compile(r"(/webhook/)([A-Za-z0-9_\-]{8,})"),
]


def register_secret(value: str | None) -> None:
    """Make sure `value` never appears in a log record."""
    if value and len(value) >= 4:
        _SECRETS.add(value)


def redact(text: str) -> str:
    # Longest first: a secret that contains a shorter one must not be left half visible.
    for value in sorted(_SECRETS, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + "***", text)
    return text


# Called (once per failure, on the logging thread) with a sentence when the log file cannot be
# written: the app shows it in its status bar.
on_write_failure: list[Callable[[str], None]] = []
RETRY_AFTER = 60.0  # seconds between attempts to write the log again after a failure


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are user-only (0600 on POSIX): they name who texted whom.

    When the file cannot be written (a full disk), it says so once on stderr, drops records for
    a minute, then tries again; never the "--- Logging error ---" traceback per record."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self._failing_since: float | None = None
        self._retry_at = 0.0
        self._dropped = 0
        self._retrying = False

    def _open(self):  # type: ignore[no-untyped-def]
        fd = open_private(self.baseFilename, os.O_WRONLY | os.O_APPEND)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        if self._failing_since is not None:
            if time.monotonic() < self._retry_at:
                self._dropped += 1
                return
            self._retry_at = time.monotonic() + RETRY_AFTER  # one try per minute
            if not self._write_resumed():
                self._dropped += 1
                return
        super().emit(record)

    def _write_resumed(self) -> bool:
        """Write a line saying how many records were dropped; True when it got to the file."""
        note = logging.LogRecord(
            "voipdesk.logs", logging.WARNING, __file__, 0,
            "the log could not be written for %.0f s: %d records were dropped",
            (time.monotonic() - (self._failing_since or 0.0), self._dropped), None,
        )  # fmt: skip
        failing, self._failing_since = self._failing_since, None
        self._retrying = True
        try:
            super().emit(note)  # on failure, handleError sets _failing_since again
        finally:
            self._retrying = False
        if self._failing_since is not None:
            self._failing_since = failing
            self._dropped -= 1  # (the note itself)
            return False
        self._dropped = 0
        return True

    def handleError(self, record: logging.LogRecord) -> None:
        error = sys.exc_info()[1]
        first = self._failing_since is None and not self._retrying  # said once per outage
        self._failing_since = self._failing_since or time.monotonic()
        self._retry_at = time.monotonic() + RETRY_AFTER
        self._dropped += 1
        if self.stream is not None:  # reopened at the next try: a full buffer is dropped
            stream, self.stream = self.stream, None
            with contextlib.suppress(Exception):
                stream.close()
        if not first:
            return
        reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
        sentence = (
            f"cannot write the log file {self.baseFilename} ({reason}); voipdesk carries on "
            "without it and tries again every minute."
        )
        if sys.stderr is not None:
            with contextlib.suppress(Exception):
                print(f"voipdesk: {sentence}", file=sys.stderr, flush=True)
        for callback in list(on_write_failure):
            with contextlib.suppress(Exception):
                callback(sentence)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message with secrets replaced by ***."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        # A traceback carries exception messages too; formatters reuse exc_text once it is set.
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def setup_logging(data_dir: Path | None, *, verbose: bool = False) -> str | None:
    """Log to data_dir/logs/voipdesk.log (rotating) and, when verbose, to stderr. Returns why
    the log file cannot be opened (then there is none), or None."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redacting = RedactingFilter()
    problem = None
    if data_dir is not None:
        try:
            logs = private_dir(Path(data_dir) / "logs")
            handler = PrivateRotatingFileHandler(
                logs / "voipdesk.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
            )
        except OSError as exc:
            problem = f"{exc.filename or Path(data_dir) / 'logs'}: {exc.strerror or exc}"
        else:
            handler.setFormatter(fmt)
            handler.addFilter(redacting)
            root.addHandler(handler)
    if verbose and sys.stderr is not None:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(fmt)
        stream.addFilter(redacting)
        root.addHandler(stream)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return problem
