"""Settings: a JSON file in the data dir for plain values, the OS keyring for secrets."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import phonenumbers
import platformdirs

from voipdesk.core.phone import InvalidNumber, normalize
from voipdesk.private import private_dir, replace_private, tighten, write_private
from voipdesk.provider.wire import DEFAULT_SEND_URL

log = logging.getLogger("voipdesk.settings")

SECRET_NAMES = ("api_token", "ngrok_authtoken")
_SECRET_ENV = {"api_token": "VOIPDESK_API_TOKEN", "ngrok_authtoken": "VOIPDESK_NGROK_AUTHTOKEN"}
KEYRING_SERVICE = "voipdesk"
# One Settings.save() at a time in this process: the settings dialog and the app (a new public
# URL) save from worker threads, and each save writes the whole file.
_SAVE_LOCK = threading.Lock()


def resolve_data_dir(arg: str | Path | None = None) -> Path:
    """--data-dir, else VOIPDESK_DATA_DIR, else the platform's user data folder."""
    chosen = arg or os.environ.get("VOIPDESK_DATA_DIR")
    path = (
        Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir("voipdesk", False))
    )
    private_dir(path)  # user-only when created here; a folder the user chose keeps its mode
    return path.resolve()


class _Ignored(ValueError):
    """A value in settings.json that cannot be used; the text says why, after the value."""


def _text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Ignored("is not text")
    return value


def _flag(value: object) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _Ignored("is not true or false (without quotes)")
    return value


def _numbers(value: object) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise _Ignored('is not a list of numbers in quotes, like ["+447700900001"]')
    return list(value)


def _country(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{2}", value.strip()):
        raise _Ignored("is not a two-letter country code like GB or US")
    if value.strip().upper() not in phonenumbers.SUPPORTED_REGIONS:
        raise _Ignored("is not a country code voipdesk knows (two letters, like GB or US)")
    return value.strip().upper()


def _port(value: object) -> int | None:
    """None or 0: any free port (the listener binds port 0); else 1024..65535, as validate()."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not port_allowed(value):
        raise _Ignored("is not a port number from 1024 to 65535 (without quotes), or 0")
    return value


def port_allowed(port: int) -> bool:
    """A webhook port voipdesk accepts: 0 (any free port) or 1024..65535 (below needs root)."""
    return port == 0 or 1024 <= port <= 65535


def _tunnel(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value.strip().lower() not in ("ngrok", "none"):
        raise _Ignored('is not "ngrok" or "none"')
    return value.strip().lower()


def _api_url(value: object) -> str | None:
    text = _text(value)
    if text and not text.strip().lower().startswith(("http://", "https://")):
        raise _Ignored("is not an address starting with https:// (or http://)")
    return text


def _webhook_secret(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9_-]{16,}", value):
        raise _Ignored("is not a secret of at least 16 letters, digits, - or _")
    return value


# Each setting's check: the value to use, None for "not set", or _Ignored.
_CHECKS: dict[str, Callable[[object], Any]] = {
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
    "last_public_url": _text,
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
    "last_public_url": "none",
    "demo": "false",
}
_RUNTIME_FIELDS = frozenset(
    {"data_dir", "secrets_store", "problems", "extra_values", "unsaved_original"}
)


def _looks_secret(key: str) -> bool:
    lowered = key.lower()
    return key in SECRET_NAMES or any(w in lowered for w in ("token", "password", "secret"))


def _ignored(path: Path, key: str, value: object, why: str) -> str:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return (
        f"Ignored “{key}” in {path}: {shown} {why}. Using {_FALLBACK[key]} instead; "
        "fix it in Settings."
    )


def _aside_path(path: Path) -> Path:
    """settings.json.bad-<local time>, never an existing file."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    candidate = path.with_name(f"{path.name}.bad-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}.bad-{stamp}-{n}")
    return candidate


def _move_aside(path: Path, exc: BaseException) -> str:
    """Move an unreadable settings file out of the way (never overwrite it); say so."""
    if isinstance(exc, UnicodeDecodeError):
        why = "it is not UTF-8 text"
    elif isinstance(exc, json.JSONDecodeError):
        why = f"it is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
    elif isinstance(exc, OSError):
        why = exc.strerror or str(exc)
    else:
        why = str(exc)
    aside = _aside_path(path)
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


class SecretStore:
    """Secrets in the OS keyring; in memory for this run only when no keyring backend exists.

    The keyring backend is found on first use (a secret read or written, or `persistent`,
    `where` or `problem` asked), not when settings are loaded: finding it imports the backends
    (tens of milliseconds and megabytes), which `voipdesk send` with VOIPDESK_API_TOKEN, for
    one, never needs."""

    def __init__(self, data_dir: Path) -> None:
        # One keyring entry per data dir, so a second profile (or a test) never clobbers the first.
        self._suffix = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self._probed = False
        self._backend: Any = None
        self._problem: str | None = None
        self._where = ""

    def _probe(self) -> None:
        """Find the keyring backend, once (thread-safe: the app asks from worker threads)."""
        if self._probed:
            return
        with self._lock:
            if self._probed:
                return
            try:
                import keyring
                from keyring.backends import fail

                backend = keyring.get_keyring()
                if isinstance(backend, fail.Keyring) or backend.priority <= 0:
                    raise RuntimeError(type(backend).__name__)
                self._backend = keyring
                self._where = f"your system keyring ({type(backend).__name__})"
            except Exception as exc:
                self._backend = None
                self._problem = (
                    "No system keyring was found, so your API token and ngrok authtoken are "
                    "kept in memory only while voipdesk runs, and you will be asked again next "
                    "time. Install a keyring service (GNOME Keyring, KWallet or KeePassXC) to "
                    "remember them, or set VOIPDESK_API_TOKEN and VOIPDESK_NGROK_AUTHTOKEN."
                )
                self._where = "memory only (no system keyring)"
                log.info("no keyring backend (%s): secrets kept in memory only", type(exc).__name__)
            self._probed = True

    @property
    def _keyring(self) -> Any:
        """The keyring module when a usable backend exists, else None."""
        self._probe()
        return self._backend

    @_keyring.setter
    def _keyring(self, value: Any) -> None:
        self._probe()
        self._backend = value

    @property
    def problem(self) -> str | None:
        """A sentence for the user when secrets are not (or could not be) kept in the keyring."""
        self._probe()
        return self._problem

    @problem.setter
    def problem(self, value: str | None) -> None:
        self._probe()
        self._problem = value

    @property
    def where(self) -> str:
        self._probe()
        return self._where

    @property
    def persistent(self) -> bool:
        return self._keyring is not None

    def _user(self, name: str) -> str:
        return f"{name}@{self._suffix}"

    def get(self, name: str) -> str | None:
        if name in self._memory:
            return self._memory[name] or None
        if self._keyring is None:
            return None
        try:
            return self._keyring.get_password(KEYRING_SERVICE, self._user(name)) or None
        except Exception as exc:
            log.warning("keyring read failed for %s: %s", name, type(exc).__name__)
            return None

    def set(self, name: str, value: str | None) -> None:
        value = (value or "").strip()
        self._memory[name] = value
        if self._keyring is None:
            return
        try:
            if value:
                self._keyring.set_password(KEYRING_SERVICE, self._user(name), value)
            else:
                with contextlib.suppress(Exception):
                    self._keyring.delete_password(KEYRING_SERVICE, self._user(name))
            self._memory.pop(name, None)
        except Exception as exc:
            log.warning("keyring write failed for %s: %s", name, type(exc).__name__)
            self.problem = (
                "The system keyring refused to store the secret; it is kept in memory only."
            )


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class SecretsRead:
    """What Settings.read_secrets() found. Values are "" when there is none."""

    effective: dict[str, str]  # what is used: the environment variable's, else the stored one
    stored: dict[str, str]  # what the keyring (or this run's memory) holds
    persistent: bool  # kept in a system keyring (False: memory only, for this run)
    where: str  # where they are kept, in words: "your system keyring (…)"
    problem: str | None  # a sentence for the user when they are not (or could not be) kept


@dataclass
class Settings:
    """Plain settings, saved as settings.json in the data dir. Secrets are never fields here."""

    account_id: str = ""
    numbers: list[str] = field(default_factory=list)  # own numbers, E.164; numbers[0] is default
    default_country: str = "GB"
    ngrok_domain: str = ""
    webhook_port: int | None = None
    webhook_secret: str = ""
    tunnel_mode: str = "ngrok"  # "ngrok" | "none"
    api_url: str = ""  # empty: the provider's default endpoint
    notifications: bool = True
    close_to_tray: bool = True
    last_public_url: str = ""  # to warn loudly when the public webhook URL changes
    demo: bool = False

    data_dir: Path = field(default=Path("."), repr=False, compare=False)
    secrets_store: SecretStore | None = field(default=None, repr=False, compare=False)
    # What load() could not use, one sentence each (naming the key and the file): the CLI
    # prints them to stderr, the app can show them. Never saved.
    problems: list[str] = field(default_factory=list, repr=False, compare=False)
    # Keys of settings.json this version does not know (a newer voipdesk's): written back as is.
    extra_values: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    # The file as the user left it, when load() ignored a value in it: kept aside as
    # settings.json.bad-<time> before the first save() writes over it.
    unsaved_original: bytes | None = field(default=None, repr=False, compare=False)

    # -- loading and saving -------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        """Read settings.json; create the webhook secret. Never fails on the file's content: a
        value of the wrong type is ignored (its default used) with a warning naming the key
        and the file, and a file that is not a JSON object is moved aside, not overwritten."""
        data_dir = Path(data_dir)
        path = data_dir / "settings.json"
        problems: list[str] = []
        values: dict = {}
        original: bytes | None = None
        if path.exists():
            tighten(path)
            try:
                original = path.read_bytes()
                values = json.loads(original.decode("utf-8"))
                if not isinstance(values, dict):
                    raise ValueError("it is not a JSON object")
            except (OSError, ValueError, RecursionError) as exc:
                values, original = {}, None
                problems.append(_move_aside(path, exc))
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        ignored_a_value = False
        for key, value in values.items():
            if key in _CHECKS:
                try:
                    known[key] = _CHECKS[key](value)
                except _Ignored as bad:
                    problems.append(_ignored(path, key, value, str(bad)))
                    ignored_a_value = True
            elif _looks_secret(key):
                # Not kept aside either: a copy would only make the plain-text secret last.
                problems.append(
                    f"Ignored “{key}” in {path}: secrets are never read from this file, and it "
                    "is removed from it on the next save. Enter it in Settings instead: "
                    "voipdesk keeps secrets in your system keyring, never in plain files."
                )
            else:
                extra[key] = value
        settings = cls(**{k: v for k, v in known.items() if v is not None or k == "webhook_port"})
        settings.data_dir = data_dir
        settings.secrets_store = SecretStore(data_dir)
        settings.problems = problems
        settings.extra_values = extra
        settings.unsaved_original = original if ignored_a_value else None
        for problem in problems:
            log.warning("%s", problem)
        if not settings.webhook_secret:
            settings.webhook_secret = new_webhook_secret()
            try:
                settings.save()
            except OSError as exc:
                problems.append(
                    f"Your settings could not be saved in {path} ({exc.strerror or exc}), so "
                    "the webhook address made now lasts only until voipdesk quits."
                )
                log.warning("%s", problems[-1])
        return settings

    def save(self) -> None:
        """Write settings.json atomically and user-only (never containing a secret). A file
        that load() could only partly use is first kept aside, so no value typed is lost.

        Thread-safe: one save at a time in this process, each taking the values as they are
        when it starts writing, so the last save writes the newest values."""
        with _SAVE_LOCK:
            self._save_locked()

    def _save_locked(self) -> None:
        values: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in _RUNTIME_FIELDS
        }
        for key, value in self.extra_values.items():
            values.setdefault(key, value)
        private_dir(self.data_dir)
        path = self.data_dir / "settings.json"
        if self.unsaved_original is not None:
            try:
                current = path.read_bytes()
            except OSError:
                current = self.unsaved_original
            # Still the user's file (not already saved over through a copy of this object)?
            if current == self.unsaved_original:
                aside = _aside_path(path)
                write_private(aside, self.unsaved_original)
                log.warning("kept the previous %s as %s before saving over it", path.name, aside)
            self.unsaved_original = None
        replace_private(path, json.dumps(values, indent=2).encode("utf-8"))

    def regenerate_webhook_secret(self) -> str:
        self.webhook_secret = new_webhook_secret()
        self.save()
        return self.webhook_secret

    # -- secrets ----------------------------------------------------------------------------
    def secret(self, name: str) -> str | None:
        """A secret: its environment variable when set, else the keyring (or memory)."""
        env = self._env(_SECRET_ENV[name])
        if env:
            return env
        return self.secrets_store.get(name) if self.secrets_store else None

    def read_secrets(self, names: Iterable[str]) -> SecretsRead:
        """Read secrets, and where they are kept, in one go: call it on a worker thread (a
        keyring can take seconds, or wait to be unlocked), never on the GUI thread. A broken
        backend reads as nothing stored."""
        store = self.secrets_store
        stored: dict[str, str] = {}
        effective: dict[str, str] = {}
        for name in names:
            try:
                stored[name] = (store.get(name) if store is not None else None) or ""
            except Exception as exc:  # a broken backend: as if nothing were stored
                log.warning("reading %s failed: %s", name, type(exc).__name__)
                stored[name] = ""
            effective[name] = self._env(_SECRET_ENV[name]) or stored[name]
        if store is None:
            return SecretsRead(effective, stored, persistent=False, where="memory", problem=None)
        return SecretsRead(
            effective, stored, persistent=store.persistent, where=store.where, problem=store.problem
        )

    def set_secret(self, name: str, value: str | None) -> None:
        assert self.secrets_store is not None
        self.secrets_store.set(name, value)

    # -- effective values (environment overrides the file) ------------------------------------
    def _env(self, name: str) -> str:
        """An environment override, stripped; none for the demo profile, which is the sandbox's
        own (its account, URL, a free port, no tunnel): the user's VOIPDESK_API_URL or port must
        not break `--demo` or `--self-test`."""
        return "" if self.demo else os.environ.get(name, "").strip()

    @property
    def effective_account_id(self) -> str:
        return self._env("VOIPDESK_ACCOUNT_ID") or self.account_id.strip()

    @property
    def effective_api_url(self) -> str:
        return self._env("VOIPDESK_API_URL") or self.api_url.strip() or DEFAULT_SEND_URL

    @property
    def effective_country(self) -> str:
        return (self._env("VOIPDESK_COUNTRY") or self.default_country).upper()

    @property
    def effective_port(self) -> int | None:
        env = self._env("VOIPDESK_WEBHOOK_PORT")
        if env:
            try:
                return int(env)
            except ValueError:
                log.warning("VOIPDESK_WEBHOOK_PORT=%r is not a number; ignored", env)
        return self.webhook_port

    @property
    def effective_tunnel(self) -> str:
        mode = self._env("VOIPDESK_TUNNEL").lower() or self.tunnel_mode
        return mode if mode in ("ngrok", "none") else "ngrok"

    @property
    def default_number(self) -> str | None:
        return self.numbers[0] if self.numbers else None

    @property
    def configured(self) -> bool:
        """Enough to send: an account, a token and a number."""
        return bool(self.effective_account_id and self.secret("api_token") and self.numbers)

    # -- validation -----------------------------------------------------------------------
    def validate(self) -> dict[str, str]:
        """Field name -> a sentence saying what is wrong with it (empty when all is well)."""
        errors: dict[str, str] = {}
        if self.default_country.upper() not in phonenumbers.SUPPORTED_REGIONS:
            errors["default_country"] = (
                f"“{self.default_country}” is not a country code; use two letters like GB or US."
            )
        for number in self.numbers:
            try:
                normalize(number, self.effective_country)
            except InvalidNumber as exc:
                errors["numbers"] = f"{number}: {exc}"
                break
        port = self.webhook_port
        if port is not None and not port_allowed(port):
            errors["webhook_port"] = (
                "Ports below 1024 need administrator rights; use 1024–65535."
                if 0 < port < 1024
                else "The port must be a number from 1024 to 65535, or empty."
            )
        url = self.api_url.strip()
        if url and not url.startswith(("http://", "https://")):
            errors["api_url"] = "The API endpoint must start with https:// (or http:// for tests)."
        domain = self.ngrok_domain.strip()
        if domain and ("/" in domain or " " in domain or "." not in domain):
            errors["ngrok_domain"] = (
                "Enter the domain only, like my-name.ngrok-free.app (no https:// and no path)."
            )
        return errors
