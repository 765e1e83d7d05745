"""The shared inbox's database as the settings keep it: its address in settings.json (never with
a password), its password in the keyring (the secret "database_password"), and the address with
the password put back, for connecting only (never shown, logged or saved). No Qt here."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

if TYPE_CHECKING:
    from voipdesk.settings.model import Settings

SCHEMES = ("postgresql", "postgres")
PASSWORD = "database_password"  # the secret's name in the keyring

NOT_POSTGRES = (
    "Type the shared database's address as postgresql://user@server/database, or leave it "
    "empty to keep your messages on this computer only."
)
HOLDS_PASSWORD = (
    "This address holds a password, and the address is saved in a plain file. Take the "
    "password out of the address and type it in the Password field below: it is kept in "
    "your keyring."
)


def holds_password(url: str) -> bool:
    """Whether a database address has a password in it (user:password@, or ?password=)."""
    parts = urlsplit(url.strip())
    try:
        in_user = parts.password is not None
    except ValueError:
        in_user = False
    query = {k.lower() for k, _v in parse_qsl(parts.query, keep_blank_values=True)}
    return in_user or "password" in query


def database_problem(url: str) -> str | None:
    """A sentence saying why this address cannot be saved, or None (empty is fine: this computer
    only)."""
    text = url.strip()
    if not text:
        return None
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        scheme = ""
    if scheme not in SCHEMES or "://" not in text:
        return NOT_POSTGRES
    if holds_password(text):
        return HOLDS_PASSWORD
    return None


def with_password(url: str, password: str | None) -> str:
    """The address with the password as a password= parameter, for connecting only: never show,
    log or save what this returns. Without a password, the address as it is (PostgreSQL's client
    library then looks in PGPASSWORD and the password file)."""
    url = url.strip()
    if not password:
        return url
    parts = urlsplit(url)
    # Added to the query as typed (not parsed and rebuilt: libpq reads a "+" as itself).
    given = "&".join(
        p for p in parts.query.split("&") if p and p.split("=")[0].lower() != "password"
    )
    added = f"password={quote(password, safe='')}"
    return urlunsplit(parts._replace(query=f"{given}&{added}" if given else added))


def database_url_to_connect(settings: Settings, password: str | None = None) -> str | None:
    """The shared database's address with its password from the keyring (or `password`, when
    given), for connecting; None when the address is empty (this computer only). Reads the
    keyring: call it on a worker thread, never on the GUI thread."""
    url = settings.database_url.strip()
    if not url:
        return None
    if password is None:
        password = settings.secret(PASSWORD)
    return with_password(url, password)
