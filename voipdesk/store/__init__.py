"""The message store: one Store facade (per-concern modules behind it), opened from a location
by open_store; its failures are the StoreError types of store.errors."""

from voipdesk.store.errors import (
    StoreDamaged,
    StoreError,
    StoreReadOnly,
    StoreTooNew,
    StoreUnavailable,
)
from voipdesk.store.location import StoreOpener, open_store
from voipdesk.store.schema import SCHEMA_VERSION, SchemaTooNewError
from voipdesk.store.store import Store, database_path

__all__ = [
    "SCHEMA_VERSION",
    "SchemaTooNewError",
    "Store",
    "StoreDamaged",
    "StoreError",
    "StoreOpener",
    "StoreReadOnly",
    "StoreTooNew",
    "StoreUnavailable",
    "database_path",
    "open_store",
]
