"""The shared store on PostgreSQL: the same public methods, and the same Message and
Conversation objects, as the SQLite Store (store/store.py), one mixin per concern as there;
plus the change log (changes.py) and the settings every voipdesk on the database shares
(shared_settings.py). Send later, block/mute/mark unread and serve's heartbeat are
the very mixins the SQLite store uses (store/shared.py)."""

from __future__ import annotations

from voipdesk.store.flags import FlagsMixin
from voipdesk.store.heartbeats import HeartbeatsMixin
from voipdesk.store.pg.changes import PgChangesMixin
from voipdesk.store.pg.contacts import PgContactsMixin
from voipdesk.store.pg.conversations import PgConversationsMixin
from voipdesk.store.pg.ingest import PgIngestMixin
from voipdesk.store.pg.messages import PgMessagesMixin
from voipdesk.store.pg.outbox_rows import PgOutboxRowsMixin
from voipdesk.store.pg.reports import PgReportsMixin
from voipdesk.store.pg.search import PgSearchMixin
from voipdesk.store.pg.shared_settings import PgSharedSettingsMixin
from voipdesk.store.scheduled_rows import ScheduledRowsMixin


class PgStore(
    PgConversationsMixin,
    PgMessagesMixin,
    PgSearchMixin,
    PgIngestMixin,
    PgReportsMixin,
    PgOutboxRowsMixin,
    PgContactsMixin,
    PgChangesMixin,
    PgSharedSettingsMixin,
    ScheduledRowsMixin,
    FlagsMixin,
    HeartbeatsMixin,
):
    """PostgreSQL-backed storage (open one with store.open_store("postgresql://...")). Safe to
    call from any thread: a pool of connections. Every write is one transaction, committed when
    the method returns. Failures are the StoreError types of store.errors."""
