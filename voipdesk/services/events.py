"""A tiny observer: the services' events, without Qt (the UI adapts them in ui/bridge.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVarTuple, Unpack

log = logging.getLogger("voipdesk.services")

Args = TypeVarTuple("Args")

INFO, WARNING, ERROR = "info", "warning", "error"  # the levels of a notice


class Event(Generic[*Args]):
    """Something that happened, told to every connected callable in the order they connected.

    Emitted on the thread that runs the services' asyncio loop (in the app, the GUI thread). A
    callback that raises does not keep the event from the others; its error is raised after."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._callbacks: list[Callable[[Unpack[Args]], object]] = []

    def connect(self, callback: Callable[[Unpack[Args]], object]) -> None:
        self._callbacks.append(callback)

    def disconnect(self, callback: Callable[[Unpack[Args]], object]) -> None:
        self._callbacks.remove(callback)

    def emit(self, *args: *Args) -> None:
        failed: Exception | None = None
        for callback in list(self._callbacks):
            try:
                callback(*args)
            except Exception as exc:
                log.exception("a %s callback failed", self.name)
                failed = failed or exc
        if failed is not None:
            raise failed
