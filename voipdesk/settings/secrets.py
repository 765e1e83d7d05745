"""Secrets (the API token, the ngrok authtoken, the shared database's password) in the OS
keyring, never in a file; in memory for this run only when there is no keyring."""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("voipdesk.settings")

SECRET_NAMES = ("api_token", "ngrok_authtoken", "database_password")
SECRET_ENV = {
    "api_token": "VOIPDESK_API_TOKEN",
    "ngrok_authtoken": "VOIPDESK_NGROK_AUTHTOKEN",
    # The shared inbox's database password: PostgreSQL's own variable, which its client
    # library reads by itself too.
    "database_password": "PGPASSWORD",
}
KEYRING_SERVICE = "voipdesk"


class SecretStore:
    """Secrets in the OS keyring; in memory for this run only when no keyring backend exists.

    The keyring backend is found on first use (a secret read or written, or `persistent`,
    `where` or `problem` asked), not when settings are loaded: finding it imports the backends
    (tens of milliseconds and megabytes), which `voipdesk send` with VOIPDESK_API_TOKEN, for
    one, never needs."""

    def __init__(self, data_dir: Path) -> None:
        # One keyring entry per data dir, so a second profile (or a test) never clobbers the first.
        self._data_dir = str(data_dir)  # (hashed for each entry: see _user)
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
                    "No system keyring was found, so your API token, ngrok authtoken and "
                    "database password are kept in memory only while voipdesk runs, and you "
                    "will be asked again next time. Install a keyring service (GNOME Keyring, "
                    "KWallet or KeePassXC) to remember them."
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
        import hashlib  # (OpenSSL's: not loaded before the window paints)

        suffix = hashlib.sha256(self._data_dir.encode()).hexdigest()[:12]
        return f"{name}@{suffix}"

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


@dataclass(frozen=True)
class SecretsRead:
    """What Settings.read_secrets() found. Values are "" when there is none."""

    effective: dict[str, str]  # what is used: the environment variable's, else the stored one
    stored: dict[str, str]  # what the keyring (or this run's memory) holds
    persistent: bool  # kept in a system keyring (False: memory only, for this run)
    where: str  # where they are kept, in words: "your system keyring (…)"
    problem: str | None  # a sentence for the user when they are not (or could not be) kept
