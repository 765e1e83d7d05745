"""The services' watch for a damaged message database and for a log that cannot be written
(a full disk): a mixin of Services (services.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from voipdesk import logs
from voipdesk.services.events import WARNING
from voipdesk.store import StoreDamaged, damage, database_path

if TYPE_CHECKING:
    from voipdesk.services.events import Event
    from voipdesk.services.receiving import Receiving
    from voipdesk.settings import Settings


class DamageWatch:
    """Found damaged by any of the stores (the listener's full check at its start, or a read
    that meets a damaged page): receiving stops and database_damaged tells it, once."""

    data_dir: object
    settings: Settings
    receiver: Receiving
    notice: Event[str, str]
    database_damaged: Event[StoreDamaged]
    damaged: StoreDamaged | None
    _stopped: bool
    _unwatch: list[Callable[[], None]]
    _call_soon: Callable[..., None]

    def _watch_for_damage(self) -> None:
        """Found damaged by any of the stores (the listener's full check at its start, or a
        read that meets a damaged page): receiving stops and database_damaged tells it. A log
        that cannot be written (a full disk) is a notice."""
        same_file = damage.same_file_as(database_path(self.data_dir))

        def found(exc: StoreDamaged) -> None:  # on the thread that found it
            if same_file(exc.path):
                self._call_soon(self._on_damaged, exc)

        def log_failed(sentence: str) -> None:
            self._call_soon(self.notice.emit, WARNING, sentence[0].upper() + sentence[1:])

        logs.on_write_failure.append(log_failed)
        self._unwatch = [damage.watch(found), lambda: logs.on_write_failure.remove(log_failed)]
        if (known := damage.known(database_path(self.data_dir))) is not None:
            self._call_soon(self._on_damaged, known)

    def _on_damaged(self, exc: StoreDamaged) -> None:
        if self._stopped or self.damaged is not None:
            return
        self.damaged = exc
        self.receiver.set(
            listener_running=False,
            listener_error=f"Receiving stopped: {exc}",
            database_damaged=True,
        )
        self.database_damaged.emit(exc)
