"""The message store: the Store facade, open_store, and the StoreError types."""

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
