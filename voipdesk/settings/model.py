"""Settings: the plain values, saved as settings.json in the data dir (never a secret), with
the environment's overrides and the checks the settings dialog shows beside its fields."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from voipdesk.core.phone import InvalidNumber, normalize, supported_region
from voipdesk.private import private_dir, replace_private, tighten, write_private
from voipdesk.settings.database import database_problem
from voipdesk.settings.fields import (
    CHECKS,
    Ignored,
    aside_path,
    ignored_sentence,
    looks_secret,
    move_aside,
    port_allowed,
)
from voipdesk.settings.secrets import SECRET_ENV, SecretsRead, SecretStore

log = logging.getLogger("voipdesk.settings")

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


_RUNTIME_FIELDS = frozenset(
    {"data_dir", "secrets_store", "problems", "extra_values", "unsaved_original"}
)


def new_webhook_secret() -> str:
    import secrets  # (with hmac and OpenSSL's hashes: only when a secret is made)

    return secrets.token_urlsafe(24)


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
    # Start hidden in the tray at login (autostart.py); None: not chosen yet, which means on
    # once an account is set up (a closed app cannot receive).
    start_at_login: bool | None = None
    last_public_url: str = ""  # to warn loudly when the public webhook URL changes
    # Shown to the team on what you send from the shared inbox ("Sent by …"); empty: the name
    # this computer knows you by (effective_your_name).
    your_name: str = ""
    # The shared inbox's PostgreSQL database (postgresql://user@server/db, never with a
    # password: that is in the keyring, settings/database.py); empty: this computer only.
    database_url: str = ""
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
                problems.append(move_aside(path, exc))
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        ignored_a_value = False
        for key, value in values.items():
            if key in CHECKS:
                try:
                    known[key] = CHECKS[key](value)
                except Ignored as bad:
                    problems.append(ignored_sentence(path, key, value, str(bad)))
                    ignored_a_value = True
            elif looks_secret(key):
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
                aside = aside_path(path)
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
        env = self._env(SECRET_ENV[name])
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
            effective[name] = self._env(SECRET_ENV[name]) or stored[name]
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
        # (the wire format's module, and the e-mail package it dates with, are not needed to
        # read the settings, which the window's first paint does)
        from voipdesk.provider.wire import DEFAULT_SEND_URL

        return self._env("VOIPDESK_API_URL") or self.api_url.strip() or DEFAULT_SEND_URL

    @property
    def effective_your_name(self) -> str:
        """The name written on what you send from the shared inbox: yours as set, else your
        full name on this computer, else your login name."""
        return self.your_name.strip() or computer_user_name()

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
        if not supported_region(self.default_country.upper()):
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
        problem = database_problem(self.database_url)
        if problem:
            errors["database_url"] = problem
        return errors


def computer_user_name() -> str:
    """The user's full name as this computer has it (the GECOS field on Linux and macOS), else
    the login name; "" when neither can be told."""
    import getpass

    try:
        import pwd

        full = pwd.getpwuid(os.getuid()).pw_gecos.split(",")[0].strip()
        if full:
            return full
    except (ImportError, KeyError, AttributeError):  # Windows has no pwd
        pass
    try:
        return getpass.getuser()
    except Exception:  # no user name in the environment or the password database
        return ""
