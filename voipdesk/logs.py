"""Logging: a rotating file in the data dir, with every known secret redacted."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import sys
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


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files are user-only (0600 on POSIX): they name who texted whom."""

    def _open(self):  # type: ignore[no-untyped-def]
        fd = open_private(self.baseFilename, os.O_WRONLY | os.O_APPEND)
        return open(fd, self.mode, encoding=self.encoding, errors=self.errors)


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


def setup_logging(data_dir: Path | None, *, verbose: bool = False) -> None:
    """Log to data_dir/logs/voipdesk.log (rotating) and, when verbose, to stderr."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    redacting = RedactingFilter()
    if data_dir is not None:
        logs = private_dir(Path(data_dir) / "logs")
        handler = PrivateRotatingFileHandler(
            logs / "voipdesk.log", maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
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
