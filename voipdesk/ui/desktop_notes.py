"""Desktop notifications, one path on every platform (desktop-notifier: the freedesktop
Notifications service over D-Bus on Linux, the Notification Center on macOS, toasts on Windows),
each with a default action: clicking it opens the conversation.

On Linux, message text goes escaped to a server that renders body markup (it advertises
"body-markup"), as it is to one that shows the body as plain text: either way it shows as typed.
Where there is no notification service, notifications are off for the run, said once in the log.
Everything here runs on the app's asyncio (qasync) loop; nothing waits on the GUI thread."""

from __future__ import annotations

import asyncio
import html
import logging
import os
import sys
from collections.abc import Callable

from voipdesk.paths import resource

log = logging.getLogger(__name__)

NOTIFICATION_SECONDS = 8
MAX_BODY = 200
_SERVICE = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"


def shortened(text: str) -> str:
    return text if len(text) <= MAX_BODY else text[: MAX_BODY - 1] + "…"


async def _server_capabilities() -> list[str]:
    """What the session bus's notification server says it can do (raises when there is none)."""
    from dbus_fast.aio import MessageBus

    bus = await MessageBus().connect()
    try:
        introspection = await bus.introspect(_SERVICE, _PATH)
        interface = bus.get_proxy_object(_SERVICE, _PATH, introspection).get_interface(_SERVICE)
        return list(await interface.call_get_capabilities())
    finally:
        bus.disconnect()


class DesktopNotes:
    """Shows notifications; `clicked(conversation_id)` runs when one is clicked (None: the
    notification was about the app, not a conversation)."""

    def __init__(self, clicked: Callable[[int | None], None]) -> None:
        self._clicked = clicked
        self._notifier = None  # made at the first notification
        self._ready: asyncio.Future[bool] | None = None
        self._escape = False  # Linux: the server renders markup in the body
        self._tasks: set[asyncio.Task] = set()

    @property
    def sending(self) -> int:
        """Notifications handed over but not yet shown (a click on one is known once shown)."""
        return len(self._tasks)

    def notify(self, title: str, body: str, conversation_id: int | None) -> None:
        """Show a notification (returns at once; sent on the running loop)."""
        try:
            loop = asyncio.get_event_loop()
        except RuntimeError:
            return  # no loop (a headless command): nobody to click it either
        task = loop.create_task(self._send(title, shortened(body), conversation_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, title: str, body: str, conversation_id: int | None) -> None:
        if not await self._available():
            return
        from desktop_notifier import Urgency

        text = html.escape(body, quote=False) if self._escape else body
        await self._notifier.send(
            title,  # the summary is plain text by the specification
            text,
            urgency=Urgency.Normal,
            on_clicked=lambda: self._clicked(conversation_id),
            timeout=NOTIFICATION_SECONDS,
        )

    async def _available(self) -> bool:
        if self._ready is None:
            self._ready = asyncio.ensure_future(self._start())
        return await asyncio.shield(self._ready)

    async def _start(self) -> bool:
        if sys.platform.startswith("linux"):
            if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
                log.info("desktop notifications off: no D-Bus session bus")
                return False
            try:
                capabilities = await asyncio.wait_for(_server_capabilities(), 10)
            except Exception as error:  # no server, a broken bus: notifications are extras
                log.info("desktop notifications off: no notification service (%s)", error)
                return False
            self._escape = "body-markup" in capabilities
        try:
            from desktop_notifier import DesktopNotifier, Icon

            self._notifier = DesktopNotifier("voipdesk", Icon(path=resource("voipdesk.svg")))
        except Exception as error:
            log.info("desktop notifications off: %s", error)
            return False
        return True

    def close(self) -> None:
        """At shut-down: stop what is being sent and let go of the session bus."""
        for task in list(self._tasks):
            task.cancel()
        if self._ready is not None and not self._ready.done():
            self._ready.cancel()
        backend = getattr(self._notifier, "_backend", None)  # the library keeps its bus there
        bus = getattr(backend, "bus", None)
        if bus is not None and bus.connected:
            bus.disconnect()
