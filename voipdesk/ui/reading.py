"""How the window's models ask the store for a page: a read is requested and its answer arrives
later (services/reads.py runs it on a worker and answers on the loop). No Qt, and nothing slow to
import: the window uses AtOnce before the services are attached (its first paint at start-up)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger("voipdesk.ui")


class Reader(Protocol):
    """Runs read() somewhere and hands its result to arrived() on the caller's loop (or its
    exception to failed()). The answer may come at once or much later: callers never assume."""

    def request(
        self,
        read: Callable[[], Any],
        arrived: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> None: ...


class AtOnce:
    """Answers on the caller's thread before request() returns: what the window reads with until
    the services' Reads is attached (the first paint at start-up, before the loop runs)."""

    def request(
        self,
        read: Callable[[], Any],
        arrived: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        try:
            result = read()
        except Exception as exc:
            if failed is None:
                raise
            failed(exc)
            return
        arrived(result)


AT_ONCE = AtOnce()


class Latest:
    """At most one answer awaited for one purpose: asking again, or drop(), means the answer to
    the earlier question is dropped when it comes (the user switched conversation or typed
    another query meanwhile), and when it has not been read yet it is not read at all (the reads
    asked since do not wait behind it). `pending` guards against asking twice."""

    def __init__(self) -> None:
        self._token: object | None = None

    @property
    def pending(self) -> bool:
        return self._token is not None

    def drop(self) -> None:
        self._token = None

    def ask(
        self,
        reader: Reader,
        read: Callable[[], Any],
        arrived: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        token = self._token = object()

        def wanted() -> Any:
            # Asked again (or dropped) while this waited for the worker: its answer would be
            # dropped, so the store is not read for it; what was asked since runs sooner.
            return read() if self._token is token else None

        def answer(result: Any) -> None:
            if self._token is token:
                self._token = None
                arrived(result)

        def fail(exc: Exception) -> None:
            if self._token is token:
                self._token = None
                if failed is not None:
                    failed(exc)
                else:
                    log.warning("a read for the window failed: %s", exc)

        reader.request(wanted, answer, fail)
