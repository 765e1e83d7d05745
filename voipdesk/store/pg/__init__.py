"""The shared store on PostgreSQL (issue #11): PgStore, behind store.open_store."""

from voipdesk.store.pg.changes import Change, ChangeListener
from voipdesk.store.pg.store import PgStore

__all__ = ["Change", "ChangeListener", "PgStore"]
