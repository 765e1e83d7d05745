"""Store: delivery reports, including those that arrive before the send answer (both stores use
this mixin: store/shared.py)."""

from __future__ import annotations

import sqlite3

from voipdesk.core.models import Status, StatusUpdate
from voipdesk.store.shared import SharedMixin

# Report statuses from the provider that move an outgoing message on; others are ignored.
_REPORTABLE = {Status.DELIVERED, Status.FAILED}
# How long a report for an id we have not stored (yet) is kept: the send answer that stores the
# id comes within the client's timeout, so a day is generous; older ones were never ours.
_EARLY_REPORT_TTL = 24 * 3600.0


class ReportsMixin(SharedMixin):
    """Delivery reports moving outgoing messages on; early ones kept until their id is stored."""

    def _report(self, conn: sqlite3.Connection, item: StatusUpdate) -> tuple[int | None, bool]:
        status = Status(item.status) if item.status in Status._value2member_map_ else None
        row = conn.execute(
            "SELECT id, status FROM messages WHERE direction = 'out' AND provider_id = ?"
            + self._lock_rows(),
            (item.provider_id,),
        ).fetchone()
        if not row:
            if status in _REPORTABLE:
                self._keep_early_report(conn, item, status)  # type: ignore[arg-type]
            return None, False
        if status not in _REPORTABLE:
            return row[0], False
        return row[0], self._apply_report(conn, row[0], row[1], status)  # type: ignore[arg-type]

    @staticmethod
    def _apply_report(conn: sqlite3.Connection, mid: int, current: str, status: Status) -> bool:
        """Move outgoing message `mid` (now in status `current`) to a reported status."""
        if current == status.value:
            return False
        error = "VoIP Number could not deliver this message." if status is Status.FAILED else None
        conn.execute(
            "UPDATE messages SET status = ?, error_text = COALESCE(?, error_text),"
            " error_code = CASE WHEN CAST(? AS TEXT) IS NULL THEN error_code"
            " ELSE 'DELIVERY_FAILED' END WHERE id = ?",
            (status.value, error, error, mid),
        )
        return True

    def _keep_early_report(
        self, conn: sqlite3.Connection, item: StatusUpdate, status: Status
    ) -> None:
        """A report naming no message we know yet: the send answer with this id may still be on
        its way (the provider can report before it answers, or the sending process writes later).
        Keep it until update_outgoing stores the id; the latest report for an id wins, as it does
        for a known message. Reports for ids never stored here are dropped after a day."""
        if conn.execute(
            "SELECT 1 FROM messages WHERE direction = 'in' AND provider_id = ?",
            (item.provider_id,),
        ).fetchone():
            return  # names an inbound message: nothing of ours to update
        now = self._clock()
        conn.execute("DELETE FROM pending_status WHERE received_at < ?", (now - _EARLY_REPORT_TTL,))
        conn.execute(
            "INSERT INTO pending_status (provider_id, status, raw, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (provider_id) DO UPDATE SET status = excluded.status,"
            " raw = excluded.raw, received_at = excluded.received_at",
            (item.provider_id, status.value, item.raw, now),
        )

    def _apply_early_report(self, conn: sqlite3.Connection, mid: int, provider_id: str) -> None:
        """The provider's id of outgoing message `mid` was just stored: apply a report for it
        that came first. Only to a message the provider accepted (queued or delivered)."""
        row = conn.execute(
            "SELECT p.status, m.status FROM pending_status p, messages m"
            " WHERE p.provider_id = ? AND m.id = ? AND m.direction = 'out'"
            " AND m.status IN ('queued', 'delivered')",
            (provider_id, mid),
        ).fetchone()
        if row is None:
            return
        conn.execute("DELETE FROM pending_status WHERE provider_id = ?", (provider_id,))
        self._apply_report(conn, mid, row[1], Status(row[0]))
