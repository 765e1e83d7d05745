"""A desk on the shared inbox opens its store at start (issue #11, item 5): on a worker, since
the database is a network round trip away; while it does not answer, a window says so and that
voipdesk keeps trying (ui/shared_waiting.py), and the open is tried again every few seconds
until it answers or the user quits."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from voipdesk.store import StoreUnavailable, open_store
from voipdesk.store.location import redacted

if TYPE_CHECKING:
    from voipdesk.app import Controller
    from voipdesk.store import Store

log = logging.getLogger("voipdesk.app")

SHOW_AFTER = 0.4  # seconds an open may take before the waiting window shows
RETRY_EVERY = 5.0  # seconds between tries


async def open_shared(controller: Controller) -> Store | None:
    """The shared store, opened on a worker; None when the user quit before it answered.
    `controller.database` is read at each try."""
    from voipdesk.ui.application import app_icon
    from voipdesk.ui.shared_waiting import SharedWaitingWindow

    if controller._quit is None:
        controller._quit = asyncio.Event()
    quit_wait = asyncio.ensure_future(controller._quit.wait())
    waiting: SharedWaitingWindow | None = None

    def show_waiting() -> SharedWaitingWindow:
        nonlocal waiting
        if waiting is None:
            waiting = SharedWaitingWindow(redacted(str(controller.database)), app_icon())
            waiting.quitRequested.connect(controller._end_run)
            controller.waiting_window = waiting
            if not controller.hidden:
                waiting.show()
        return waiting

    try:
        while True:
            # The window's store only reads: no send-owner session of its own (the services'
            # store holds the desk's one).
            opening = asyncio.ensure_future(
                asyncio.to_thread(open_store, controller.database, sends=False)
            )
            done, _ = await asyncio.wait({opening, quit_wait}, timeout=SHOW_AFTER)
            if not done:
                show_waiting()
                done, _ = await asyncio.wait(
                    {opening, quit_wait}, return_when=asyncio.FIRST_COMPLETED
                )
            if opening not in done:  # quit first: close what the worker may still open
                opening.add_done_callback(_close_when_opened)
                return None
            try:
                return opening.result()
            except StoreUnavailable as exc:
                log.warning("the shared inbox cannot be reached: %s", exc)
                show_waiting().say(str(exc))
            try:
                await asyncio.wait_for(asyncio.shield(quit_wait), RETRY_EVERY)
                return None  # quit while waiting to try again
            except TimeoutError:
                pass
    finally:
        quit_wait.cancel()
        if waiting is not None:
            waiting.hide()
            waiting.deleteLater()
            controller.waiting_window = None


_closing: set[asyncio.Future] = set()  # stores opened after the user quit, being closed


def _close_when_opened(opening: asyncio.Future) -> None:
    if not opening.cancelled() and opening.exception() is None:
        closing = asyncio.ensure_future(asyncio.to_thread(opening.result().close))
        _closing.add(closing)
        closing.add_done_callback(_closing.discard)
