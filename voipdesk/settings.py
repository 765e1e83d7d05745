"""Settings: a JSON file in the data dir for plain values, the OS keyring for secrets."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import secrets
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import phonenumbers
import platformdirs

from voipdesk.core.phone import InvalidNumber, normalize
from voipdesk.provider.wire import DEFAULT_SEND_URL

log = logging.getLogger("voipdesk.settings")

SECRET_NAMES = ("api_token", "ngrok_authtoken")
_SECRET_ENV = {"api_token": "VOIPDESK_API_TOKEN", "ngrok_authtoken": "VOIPDESK_NGROK_AUTHTOKEN"}
KEYRING_SERVICE = "voipdesk"


def resolve_data_dir(arg: str | Path | None = None) -> Path:
    """--data-dir, else VOIPDESK_DATA_DIR, else the platform's user data folder."""
    chosen = arg or os.environ.get("VOIPDESK_DATA_DIR")
    path = (
        Path(chosen).expanduser() if chosen else Path(platformdirs.user_data_dir("voipdesk", False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


class SecretStore:
    """Secrets in the OS keyring; in memory for this run only when no keyring backend exists."""

    def __init__(self, data_dir: Path) -> None:
        # One keyring entry per data dir, so a second profile (or a test) never clobbers the first.
        self._suffix = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
        self._memory: dict[str, str] = {}
        self.problem: str | None = None
        try:
            import keyring
            from keyring.backends import fail

            backend = keyring.get_keyring()
            if isinstance(backend, fail.Keyring) or backend.priority <= 0:
                raise RuntimeError(type(backend).__name__)
            self._keyring = keyring
            self.where = f"your system keyring ({type(backend).__name__})"
        except Exception as exc:
            self._keyring = None
            self.problem = (
                "No system keyring was found, so your API token and ngrok authtoken are kept "
                "in memory only while voipdesk runs, and you will be asked again next time. "
                "Install a keyring service (GNOME Keyring, KWallet or KeePassXC) to remember "
                "them, or set VOIPDESK_API_TOKEN and VOIPDESK_NGROK_AUTHTOKEN."
            )
            self.where = "memory only (no system keyring)"
            log.info("no keyring backend (%s): secrets kept in memory only", type(exc).__name__)

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

    # -- loading and saving -------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path) -> Settings:
        """Read settings.json (defaults when missing or unreadable); create the webhook secret."""
        data_dir = Path(data_dir)
        path = data_dir / "settings.json"
        values: dict = {}
        if path.exists():
            try:
                values = json.loads(path.read_text("utf-8"))
                if not isinstance(values, dict):
                    raise ValueError("not an object")
            except (OSError, ValueError) as exc:
                backup = path.with_suffix(".json.broken")
                log.warning("settings file unreadable (%s); kept as %s", exc, backup.name)
                path.replace(backup)
                values = {}
        known = {f.name for f in fields(cls)} - {"data_dir", "secrets_store"}
        settings = cls(**{k: v for k, v in values.items() if k in known})
        settings.data_dir = data_dir
        settings.secrets_store = SecretStore(data_dir)
        if not settings.webhook_secret:
            settings.webhook_secret = secrets.token_urlsafe(24)
            settings.save()
        return settings

    def save(self) -> None:
        """Write settings.json atomically (never containing a secret)."""
        values = {k: v for k, v in asdict(self).items() if k not in ("data_dir", "secrets_store")}
        self.data_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.data_dir / "settings.json.tmp"
        tmp.write_text(json.dumps(values, indent=2), "utf-8")
        os.replace(tmp, self.data_dir / "settings.json")

    def regenerate_webhook_secret(self) -> str:
        self.webhook_secret = secrets.token_urlsafe(24)
        self.save()
        return self.webhook_secret

    # -- secrets ----------------------------------------------------------------------------
    def secret(self, name: str) -> str | None:
        """A secret: its environment variable when set, else the keyring (or memory)."""
        env = os.environ.get(_SECRET_ENV[name], "").strip()
        if env:
            return env
        return self.secrets_store.get(name) if self.secrets_store else None

    def set_secret(self, name: str, value: str | None) -> None:
        assert self.secrets_store is not None
        self.secrets_store.set(name, value)

    # -- effective values (environment overrides the file) ------------------------------------
    @property
    def effective_account_id(self) -> str:
        return os.environ.get("VOIPDESK_ACCOUNT_ID", "").strip() or self.account_id.strip()

    @property
    def effective_api_url(self) -> str:
        return (
            os.environ.get("VOIPDESK_API_URL", "").strip()
            or self.api_url.strip()
            or DEFAULT_SEND_URL
        )

    @property
    def effective_country(self) -> str:
        return (os.environ.get("VOIPDESK_COUNTRY", "").strip() or self.default_country).upper()

    @property
    def effective_port(self) -> int | None:
        env = os.environ.get("VOIPDESK_WEBHOOK_PORT", "").strip()
        if env:
            try:
                return int(env)
            except ValueError:
                log.warning("VOIPDESK_WEBHOOK_PORT=%r is not a number; ignored", env)
        return self.webhook_port

    @property
    def effective_tunnel(self) -> str:
        mode = os.environ.get("VOIPDESK_TUNNEL", "").strip().lower() or self.tunnel_mode
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
        if self.webhook_port is not None and not 0 <= self.webhook_port <= 65535:
            errors["webhook_port"] = "The port must be a number from 1024 to 65535, or empty."
        elif self.webhook_port is not None and 0 < self.webhook_port < 1024:
            errors["webhook_port"] = "Ports below 1024 need administrator rights; use 1024–65535."
        url = self.api_url.strip()
        if url and not url.startswith(("http://", "https://")):
            errors["api_url"] = "The API endpoint must start with https:// (or http:// for tests)."
        domain = self.ngrok_domain.strip()
        if domain and ("/" in domain or " " in domain or "." not in domain):
            errors["ngrok_domain"] = (
                "Enter the domain only, like my-name.ngrok-free.app (no https:// and no path)."
            )
        return errors
