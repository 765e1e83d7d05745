"""The full check of the database that starts with the listener, and what it found."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

from voipdesk.core.priority import background_priority

log = logging.getLogger("voipdesk.receiver")

# The first commit waits this long (s) at most for the full check of the database that starts
# with the listener (store.damage): a small file is checked by then, and nothing is written to
# it first; a big one whose pages are not cached (6 s for 388 MB) is checked meanwhile.
CHECK_WAIT = 2.0


class StoreCheck:
    """Reads every page of the store once per listener start, on a connection and a daemon
    thread of its own at background priority (store.damage says why); `damaged` is the
    StoreDamaged once found (by the check or by a commit), `checked` is set once the check has
    ended or could not run."""

    def __init__(self, open_store: Callable[[], Any]) -> None:
        self._open_store = open_store
        self.damaged: Exception | None = None
        self.checked = threading.Event()
        self._checker: Any = None  # the Store of the check while it runs
        self._cancelled = False
        self._until = 0.0
        self._thread: threading.Thread | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start the check; the first commits wait for it until CHECK_WAIT from now."""
        self._cancelled = False
        self._until = loop.time() + CHECK_WAIT
        self._thread = threading.Thread(target=self._run, name="voipdesk-store-check", daemon=True)
        self._thread.start()

    async def wait(self) -> None:
        """Until the check has ended, or CHECK_WAIT has passed since it started."""
        loop = asyncio.get_running_loop()
        wait = self._until - loop.time()
        if wait > 0 and not self.checked.is_set():
            await loop.run_in_executor(None, self.checked.wait, wait)

    def cancel(self) -> None:
        """Stop a check that is running: a long check must not hold up the listener's stop."""
        self._cancelled = True
        if (checker := self._checker) is not None:
            checker.interrupt()

    async def join(self, timeout: float) -> None:
        if (thread := self._thread) is not None:
            await asyncio.get_running_loop().run_in_executor(None, thread.join, timeout)

    def _run(self) -> None:
        from voipdesk.store import StoreDamaged

        # Seconds of reading (6 s for 388 MB) beside the listener's first answers, often a
        # burst of webhooks the provider held while voipdesk was away: they go first.
        background_priority()
        try:
            with self._open_store() as self._checker:
                if not self._cancelled:
                    self._checker.check()
        except StoreDamaged as exc:
            self.damaged = exc
        except Exception:  # interrupted by stop(), or the disk: the writes will say
            log.debug("the store check did not finish", exc_info=True)
        finally:
            self._checker = None
            self.checked.set()
