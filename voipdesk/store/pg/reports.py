"""Shared store: delivery reports, including those that arrive before the send answer (the
twin of store/reports.py)."""

from __future__ import annotations

from voipdesk.core.models import Status, StatusUpdate
from voipdesk.store.pg.connection import PgConnection, Tx
from voipdesk.store.reports import _EARLY_REPORT_TTL, _REPORTABLE


class PgReportsMixin(PgConnection):
    """Delivery reports moving outgoing messages on; early ones kept until their id is stored."""

    def _report(self, t: Tx, item: StatusUpdate) -> tuple[int | None, bool]:
        status = Status(item.status) if item.status in Status._value2member_map_ else None
        row = t.execute(
            "SELECT id, status FROM messages WHERE direction = 'out' AND provider_id = %s"
            " FOR UPDATE",
            (item.provider_id,),
        ).fetchone()
        if not row:
            if status in _REPORTABLE:
                self._keep_early_report(t, item, status)  # type: ignore[arg-type]
            return None, False
        if status not in _REPORTABLE:
            return row[0], False
        return row[0], self._apply_report(t, row[0], row[1], status)  # type: ignore[arg-type]

    @staticmethod
    def _apply_report(t: Tx, mid: int, current: str, status: Status) -> bool:
        """Move outgoing message `mid` (now in status `current`) to a reported status."""
        if current == status.value:
            return False
        error = "VoIP Number could not deliver this message." if status is Status.FAILED else None
        t.execute(
            "UPDATE messages SET status = %(status)s,"
            " error_text = COALESCE(%(error)s, error_text),"
            " error_code = CASE WHEN %(error)s::text IS NULL THEN error_code"
            " ELSE 'DELIVERY_FAILED' END WHERE id = %(mid)s",
            {"status": status.value, "error": error, "mid": mid},
        )
        return True

    def _keep_early_report(self, t: Tx, item: StatusUpdate, status: Status) -> None:
        """A report naming no message we know yet: kept until update_outgoing stores the id
        (store/reports.py says why); the latest report for an id wins."""
        if t.execute(
            "SELECT 1 FROM messages WHERE direction = 'in' AND provider_id = %s",
            (item.provider_id,),
        ).fetchone():
            return  # names an inbound message: nothing of ours to update
        now = self._clock()
        t.execute("DELETE FROM pending_status WHERE received_at < %s", (now - _EARLY_REPORT_TTL,))
        t.execute(
            "INSERT INTO pending_status (provider_id, status, raw, received_at)"
            " VALUES (%s, %s, %s, %s)"
            " ON CONFLICT (provider_id) DO UPDATE SET status = excluded.status,"
            " raw = excluded.raw, received_at = excluded.received_at",
            (item.provider_id, status.value, item.raw, now),
        )

    def _apply_early_report(self, t: Tx, mid: int, provider_id: str) -> None:
        """The provider's id of outgoing message `mid` was just stored: apply a report for it
        that came first. Only to a message the provider accepted (queued or delivered)."""
        row = t.execute(
            "SELECT p.status, m.status FROM pending_status p, messages m"
            " WHERE p.provider_id = %s AND m.id = %s AND m.direction = 'out'"
            " AND m.status IN ('queued', 'delivered')",
            (provider_id, mid),
        ).fetchone()
        if row is None:
            return
        t.execute("DELETE FROM pending_status WHERE provider_id = %s", (provider_id,))
        self._apply_report(t, mid, row[1], Status(row[0]))
