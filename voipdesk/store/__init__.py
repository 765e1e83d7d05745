"""SQLite storage: schema, migrations, messages, conversations, contacts and search."""

from voipdesk.store.errors import StoreDamaged, StoreError, StoreReadOnly
from voipdesk.store.schema import SCHEMA_VERSION, SchemaTooNewError
from voipdesk.store.store import Store, database_path

__all__ = [
    "SCHEMA_VERSION",
    "SchemaTooNewError",
    "Store",
    "StoreDamaged",
    "StoreError",
    "StoreReadOnly",
    "database_path",
]
