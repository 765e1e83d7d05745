"""Which store a headless command uses: `--database URL` or VOIPDESK_DATABASE_URL (the shared
store on PostgreSQL), else the data folder's SQLite file.

A password inside a URL on the command line is refused: every user of the computer can read a
command line (`ps`). Give it in a password file instead (PGPASSFILE, or ~/.pgpass), which
PostgreSQL's client library reads by itself; an environment variable (VOIPDESK_DATABASE_URL, in
a service's environment file readable only by it) may hold one."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from urllib.parse import parse_qs, urlsplit

from voipdesk.store.location import redacted

ENV = "VOIPDESK_DATABASE_URL"
SCHEMES = ("postgresql", "postgres")


class DatabaseRefused(ValueError):
    """The database URL given cannot be used; str() is a sentence for the user."""


def add_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database",
        metavar="URL",
        default=None,
        help="a shared PostgreSQL database (postgresql://user@host/dbname; env "
        f"{ENV}) instead of the data folder's file; the password goes in a password file "
        "(PGPASSFILE), never in the URL on the command line",
    )


# The commands that can use a shared database so far ("app": the desktop app, a desk on the
# shared inbox); the others keep the data folder's file.
COMMANDS = ("send", "export", "serve", "migrate", "app")


def chosen_database(
    given: str | None, environ: Mapping[str, str], command: str | None = "send"
) -> str | None:
    """The database URL `command` uses (the option, else the environment), or None for the
    data folder. Raises DatabaseRefused for a URL that is not PostgreSQL's, or a password on
    the command line."""
    if command not in COMMANDS:
        return None
    url = given or environ.get(ENV) or None
    if url is None:
        return None
    where = "--database" if given else ENV
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        raise DatabaseRefused(
            f"{where} must be a PostgreSQL URL such as postgresql://user@host/dbname, not "
            f"{redacted(url)!r}."
        )
    in_query = "password" in {k.lower() for k in parse_qs(parts.query, keep_blank_values=True)}
    if given and (parts.password is not None or in_query):
        raise DatabaseRefused(
            "the database URL on the command line holds a password, which anyone on this "
            "computer could read in its list of running programs. Give the URL without it "
            "and put the password in a password file (PGPASSFILE, or ~/.pgpass, readable "
            f"only by you), or set {ENV} in an environment readable only by you. Nothing "
            "was done."
        )
    return url
