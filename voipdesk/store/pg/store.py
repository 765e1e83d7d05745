"""The shared store on PostgreSQL: the same public methods, and the same Message and
Conversation objects, as the SQLite Store (store/store.py), from the very mixins the SQLite
store is made of (store/shared.py); what differs is the connection's (store/pg/connection.py:
row locks, arrays, who owns a send attempt), search (store/pg/search.py), the change log
(changes.py) and the settings every voipdesk on the database shares (shared_settings.py)."""

from __future__ import annotations

from voipdesk.store.contacts import ContactsMixin
from voipdesk.store.conversations import ConversationsMixin
from voipdesk.store.flags import FlagsMixin
from voipdesk.store.heartbeats import HeartbeatsMixin
from voipdesk.store.ingest import IngestMixin
from voipdesk.store.messages import MessagesMixin
from voipdesk.store.outbox_rows import OutboxRowsMixin
from voipdesk.store.pg.changes import PgChangesMixin
from voipdesk.store.pg.search import PgSearchMixin
from voipdesk.store.pg.shared_settings import PgSharedSettingsMixin
from voipdesk.store.reports import ReportsMixin
from voipdesk.store.scheduled_rows import ScheduledRowsMixin


class PgStore(
    ConversationsMixin,
    MessagesMixin,
    PgSearchMixin,
    IngestMixin,
    ReportsMixin,
    OutboxRowsMixin,
    ContactsMixin,
    PgChangesMixin,
    PgSharedSettingsMixin,
    ScheduledRowsMixin,
    FlagsMixin,
    HeartbeatsMixin,
):
    """PostgreSQL-backed storage (open one with store.open_store("postgresql://...")). Safe to
    call from any thread: a pool of connections. Every write is one transaction, committed when
    the method returns. Failures are the StoreError types of store.errors."""
