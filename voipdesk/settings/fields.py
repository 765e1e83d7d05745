"""What load() makes of settings.json: each value checked (used, "not set", or ignored with a
sentence naming the key and the file), and a file that cannot be read at all moved aside."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from voipdesk.core.phone import supported_region
from voipdesk.settings.database import HOLDS_PASSWORD, database_problem
from voipdesk.settings.secrets import SECRET_NAMES


class Ignored(ValueError):
    """A value in settings.json that cannot be used; the text says why, after the value."""


def _text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Ignored("is not text")
    return value


def _flag(value: object) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise Ignored("is not true or false (without quotes)")
    return value


def _numbers(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise Ignored('is not a list of numbers in quotes, like ["+447700900001"]')
    return list(value)


def _country(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise Ignored("is not a two-letter country code like GB or US")
    if not supported_region(value.strip().upper()):
        raise Ignored("is not a country code voipdesk knows (two letters, like GB or US)")
    return value.strip().upper()


def _port(value: object) -> int | None:
    """None or 0: any free port (the listener binds port 0); else 1024..65535, as validate()."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not port_allowed(value):
        raise Ignored("is not a port number from 1024 to 65535 (without quotes), or 0")
    return value


def port_allowed(port: int) -> bool:
    """A webhook port voipdesk accepts: 0 (any free port) or 1024..65535 (below needs root)."""
    return port == 0 or 1024 <= port <= 65535


def _tunnel(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in ("ngrok", "none"):
        raise Ignored('is not "ngrok" or "none"')
    return value.strip().lower()


def _api_url(value: object) -> str | None:
    text = _text(value)
    if text and not text.strip().lower().startswith(("http://", "https://")):
        raise Ignored("is not an address starting with https:// (or http://)")
    return text


def _database_url(value: object) -> str | None:
    text = _text(value)
    if text and database_problem(text) == HOLDS_PASSWORD:
        raise Ignored("holds a password, which is never read from this file")
    if text and database_problem(text):
        raise Ignored("is not an address starting with postgresql://")
    return text


def _webhook_secret(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,}", value):
        raise Ignored("is not a secret of at least 16 letters, digits, - or _")
    return value


# Each setting's check: the value to use, None for "not set", or Ignored.
CHECKS: dict[str, Callable[[object], Any]] = {
    "account_id": _text,
    "numbers": _numbers,
    "default_country": _country,
    "ngrok_domain": _text,
    "webhook_port": _port,
    "webhook_secret": _webhook_secret,
    "tunnel_mode": _tunnel,
    "api_url": _api_url,
    "notifications": _flag,
    "close_to_tray": _flag,
    "start_at_login": _flag,
    "last_public_url": _text,
    "your_name": _text,
    "database_url": _database_url,
    "demo": _flag,
}
# What is used instead of an ignored value, in words.
_FALLBACK = {
    "account_id": "no Account ID",
    "numbers": "no numbers",
    "default_country": "GB",
    "ngrok_domain": "no static domain",
    "webhook_port": "any free port",
    "webhook_secret": "a new secret, so your webhook address changes: paste the new one on "
    "the provider's Numbers page",
    "tunnel_mode": "ngrok",
    "api_url": "VoIP Number's own endpoint",
    "notifications": "true",
    "close_to_tray": "true",
    "start_at_login": "on once your account is set up",
    "last_public_url": "none",
    "your_name": "your name on this computer",
    "database_url": "this computer only (no shared inbox)",
    "demo": "false",
}


def looks_secret(key: str) -> bool:
    lowered = key.lower()
    return key in SECRET_NAMES or any(w in lowered for w in ("token", "password", "secret"))


def ignored_sentence(path: Path, key: str, value: object, why: str) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return (
        f"Ignored “{key}” in {path}: {shown} {why}. Using {_FALLBACK[key]} instead; "
        "fix it in Settings."
    )


def aside_path(path: Path) -> Path:
    """settings.json.bad-<local time>, never an existing file."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bad-{stamp}-{n}")
    return candidate


def move_aside(path: Path, exc: BaseException) -> str:
    """Move an unreadable settings file out of the way (never overwrite it); say so."""
    if isinstance(exc, UnicodeDecodeError):
        why = "it is not UTF-8 text"
    elif isinstance(exc, json.JSONDecodeError):
        why = f"it is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    elif isinstance(exc, OSError):
        why = exc.strerror or str(exc)
    else:
        why = str(exc)
    aside = aside_path(path)
    try:
        path.replace(aside)
    except OSError as move_error:
        reason = move_error.strerror or str(move_error)
        return (
            f"{path} could not be read ({why}) nor moved aside ({reason}), so voipdesk uses "
            "default settings for now."
        )
    return (
        f"{path} could not be read ({why}), so voipdesk started with default settings. "
        f"Your file was kept as {aside.name} in the same folder: copy what you need back "
        "into Settings."
    )
