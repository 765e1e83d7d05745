"""Which store calls the app makes on the GUI thread (tests/app/test_gui_thread_store.py).

Every public method of the Store facade is wrapped for the test: a call made on the main thread
(the GUI thread, where the qasync loop runs too) by code in voipdesk/ while watching is recorded
with where it came from. Over the shared PostgreSQL store each such call is a network round trip
the window would freeze for, so the app must make none. Calls the test itself makes to set up or
check are not counted (their caller is not in voipdesk/), nor calls a store method makes of
another (only the outermost counts)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from voipdesk.store.store import Store

PACKAGE = str(Path(__import__("voipdesk").__file__).parent)
STORE_PACKAGE = str(Path(PACKAGE) / "store")


@dataclass(frozen=True)
class StoreCall:
    method: str
    where: tuple[str, ...]  # the app's frames that led to it, innermost first

    def __str__(self) -> str:
        return f"{self.method}() from " + " <- ".join(self.where)


class StoreCalls:
    """The store calls made on the GUI thread while `watching()`."""

    def __init__(self) -> None:
        self.calls: list[StoreCall] = []
        self._watching = False
        self._inside = threading.local()

    @contextmanager
    def watching(self) -> Iterator[StoreCalls]:
        self._watching = True
        try:
            yield self
        finally:
            self._watching = False

    @contextmanager
    def unwatched(self) -> Iterator[None]:
        """What the test does meanwhile through the app to set up or check (not counted)."""
        watching, self._watching = self._watching, False
        try:
            yield
        finally:
            self._watching = watching

    def methods(self) -> list[str]:
        return sorted({call.method for call in self.calls})

    def report(self) -> str:
        seen: dict[str, StoreCall] = {}
        for call in self.calls:
            seen.setdefault(str(call), call)
        return "store calls on the GUI thread:\n  " + "\n  ".join(seen)

    def _wrap(self, name: str, method):
        calls = self

        def wrapped(store, *args, **kwargs):
            depth = getattr(calls._inside, "depth", 0)
            on_gui = threading.current_thread() is threading.main_thread()
            if depth == 0 and calls._watching and on_gui:
                where = _app_frames(sys._getframe(1))
                if where:
                    calls.calls.append(StoreCall(name, where))
            calls._inside.depth = depth + 1
            try:
                return method(store, *args, **kwargs)
            finally:
                calls._inside.depth = depth

        wrapped.__name__ = name
        wrapped.__wrapped__ = method
        return wrapped

    def install(self, monkeypatch) -> None:
        from voipdesk.store.pg import PgStore  # the shared store's: the same public methods

        for kind in (Store, PgStore):
            for name in dir(kind):
                if name.startswith("_") and name != "__init__":  # (opening one counts too)
                    continue
                method = getattr(kind, name)
                if callable(method) and not isinstance(method, type):
                    said = kind.__name__ if name == "__init__" else name  # (opening one)
                    monkeypatch.setattr(kind, name, self._wrap(said, method))


def _app_frames(frame, limit: int = 4) -> tuple[str, ...]:
    """The first frames in voipdesk/ up from the caller, past store/'s own (open_store): ()
    when the caller is not the app's code (a test setting up or checking)."""
    while frame is not None and frame.f_code.co_filename.startswith(STORE_PACKAGE):
        frame = frame.f_back
    if frame is None or not frame.f_code.co_filename.startswith(PACKAGE):
        return ()
    where: list[str] = []
    while frame is not None and len(where) < limit:
        filename = frame.f_code.co_filename
        if filename.startswith(PACKAGE):
            where.append(f"{filename[len(PACKAGE) + 1 :]}:{frame.f_lineno} {frame.f_code.co_name}")
        frame = frame.f_back
    return tuple(where)
