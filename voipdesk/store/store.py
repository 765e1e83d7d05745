"""The Store facade: one class composed of the per-concern modules, sharing one connection."""

from __future__ import annotations

from voipdesk.store.connection import database_path
from voipdesk.store.contacts import ContactsMixin
from voipdesk.store.conversations import ConversationsMixin
from voipdesk.store.flags import FlagsMixin
from voipdesk.store.heartbeats import HeartbeatsMixin
from voipdesk.store.ingest import IngestMixin
from voipdesk.store.messages import MessagesMixin
from voipdesk.store.outbox_rows import OutboxRowsMixin
from voipdesk.store.reports import ReportsMixin
from voipdesk.store.scheduled_rows import ScheduledRowsMixin
from voipdesk.store.search import SearchMixin

__all__ = ["Store", "database_path"]


class Store(
    ConversationsMixin,
    MessagesMixin,
    SearchMixin,
    IngestMixin,
    ReportsMixin,
    OutboxRowsMixin,
    ContactsMixin,
    ScheduledRowsMixin,
    FlagsMixin,
    HeartbeatsMixin,
):
    """SQLite-backed storage (open one with store.open_store). Safe to call from any thread: one
    connection behind one lock; a worker that wants throughput opens its own (StoreOpener).
    Every write is one transaction that is on disk when the method returns. Failures are the
    StoreError types of store.errors."""
