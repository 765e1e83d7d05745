"""`voipdesk listen`: the services' receiving part (listener, tunnel) and the daily backup on
one asyncio loop, without the GUI or Qt; one line per message on stdout."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TextIO

from voipdesk.core.models import Direction, Message
from voipdesk.receiver.status import ReceivingStatus, TunnelState
from voipdesk.services.backups import back_up_daily
from voipdesk.services.events import Event
from voipdesk.services.receiving import Receiving

_ESCAPES = {"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def one_line(text: str) -> str:
    """The text on one line: backslash, newlines, tabs and other control characters escaped."""
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def message_line(message: Message) -> str:
    """`<from> -> <to>: <body>`; a status change of a sent message says its new status."""
    if message.direction is Direction.IN:
        return f"{message.peer_number} -> {message.own_number}: {one_line(message.body)}"
    return (
        f"{message.own_number} -> {message.peer_number}: [{message.status}] "
        f"{one_line(message.body)}"
    )


def main(data_dir: Path, port: int | None = None, tunnel: str | None = None) -> int:
    """Receive until SIGINT/SIGTERM; 0 on a clean stop, 2 when the listener cannot start, 1
    when it stopped because the message database was found damaged, EXIT_RUNNING (4) when
    another voipdesk receives on the data folder."""
    out, err = streams()
    data_dir = Path(data_dir)
    owned = hold_folder(data_dir, "listen", err)
    if isinstance(owned, int):
        return owned
    with owned:
        return asyncio.run(_listen(data_dir, port, tunnel, out, err))


def streams() -> tuple[TextIO, TextIO]:
    """stdout and stderr, writing what they cannot encode as backslash escapes."""
    out, err = sys.stdout, sys.stderr
    for stream in (out, err):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    return out, err


def hold_folder(data_dir: Path, role: str, err: TextIO):
    """The data folder's single-instance lock for `role`, or EXIT_RUNNING (4) after saying
    which voipdesk holds it."""
    from voipdesk.instance import EXIT_RUNNING, AlreadyRunning, InstanceLock, stop_hint

    try:
        return InstanceLock.acquire(data_dir, role)
    except AlreadyRunning as exc:
        print(
            f"voipdesk: {exc}. Only one voipdesk at a time can receive messages for a data "
            f"folder: {stop_hint(exc.holder)} first, or give this one another --data-dir.",
            file=err,
            flush=True,
        )
        return EXIT_RUNNING


class _Relay:
    """What `listen` prints: the webhook line once the address is known (messages stored
    before it wait for it), then a line per message; later tunnel changes on stderr."""

    def __init__(self, out: TextIO, err: TextIO) -> None:
        self.out, self.err = out, err
        self.announced: str | None = None  # the URL printed on the `webhook:` line
        self._pending: list[Message] = []

    def messages(self, messages: list[Message]) -> None:
        if self.announced is None:
            self._pending.extend(messages)
            return
        for message in messages:
            self.line(message_line(message))

    def announce(self, url: str) -> None:
        self.announced = url
        self.line(f"webhook: {url}")
        self.messages(self._pending)
        self._pending.clear()

    def changed(self, status: ReceivingStatus) -> None:  # later tunnel changes
        if self.announced is None:
            return
        url = status.public_url
        if status.tunnel_state is TunnelState.ONLINE and url and url != self.announced:
            self.say(
                f"The public webhook address changed to {url} — paste it on the provider's "
                "Numbers page."
            )
            self.announced = url
        elif status.tunnel_state is TunnelState.ERROR:
            self.say(f"tunnel: {status.tunnel_message}")

    def line(self, text: str) -> None:
        with contextlib.suppress(BrokenPipeError):
            print(text, file=self.out, flush=True)

    def say(self, text: str) -> None:
        print(text, file=self.err, flush=True)


async def _listen(
    data_dir: Path,
    port: int | None,
    tunnel: str | None,
    out: TextIO,
    err: TextIO,
    companion: Companion | None = None,
) -> int:
    """Receive until a stop signal. A `companion` (serve's sender) starts once the listener
    accepts and stops first; with one, a damaged database leaves the process running (every
    webhook answered 503) instead of ending it."""
    from voipdesk.receiver.listener import CHECK_WAIT
    from voipdesk.settings import Settings
    from voipdesk.store import damage, database_path
    from voipdesk.store.backup import DailyBackup

    settings = Settings.load(data_dir)
    for problem in settings.problems:  # what settings.json could not provide: said, not fatal
        print(f"voipdesk: warning: {problem}", file=err, flush=True)
    shared = companion is not None and companion.shared
    if shared:  # every serve on the shared store answers on its path (not saved here)
        settings.webhook_secret = companion.webhook_secret  # type: ignore[union-attr]
    loop = asyncio.get_running_loop()
    ended: asyncio.Future[int] = loop.create_future()
    tasks: set[asyncio.Task] = set()

    def end(code: int) -> None:
        if not ended.done():
            ended.set_result(code)

    def spawn(coro) -> asyncio.Task:
        task = asyncio.ensure_future(coro)
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return task

    def call_soon(fn: Callable, *args: object, **kwargs: object) -> None:  # any thread
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(lambda: fn(*args, **kwargs))

    relay = _Relay(out, err)
    mode = (tunnel or settings.effective_tunnel).strip().lower()
    token = ""
    if mode == "ngrok":
        token = await asyncio.to_thread(settings.secret, "ngrok_authtoken")
    receiving = Receiving(
        settings,
        spawn=spawn,
        call_soon=call_soon,
        secret=lambda _name: token,
        notice=Event("notice"),  # listen says what matters itself, on stderr
        on_messages=lambda messages: call_soon(relay.messages, list(messages)),
        port=port,
        tunnel_mode=mode,
        remember_url=False,
        location=companion.location if companion is not None else None,
    )
    receiving.changed.connect(relay.changed)

    def damaged(exc: Exception) -> None:
        relay.say(f"voipdesk: receiving stopped. {exc}")
        if companion is None:
            end(1)
        else:
            companion.damaged(exc, relay)

    same_file = damage.same_file_as(database_path(data_dir))
    unwatch = damage.watch(lambda exc: call_soon(damaged, exc) if same_file(exc.path) else None)
    restore = _on_stop_signals(lambda: call_soon(end, 0))
    backups = None if shared else DailyBackup(data_dir)  # a database server backs up its own
    try:
        receiving.start_listener()  # and the tunnel, when there is one
        listener = receiving.listener
        if listener is None:
            relay.say(receiving.status.listener_error or "The listener could not start.")
            return 2
        local = listener.local_url + listener.webhook_path
        if companion is not None:  # it writes too: not before the listener's check
            await asyncio.to_thread(listener.checked.wait, CHECK_WAIT)
            if listener.damaged is None:
                await companion.start(settings, spawn, relay)
        if backups is not None:
            spawn(back_up_daily(backups, lambda problem: relay.say(f"voipdesk: {problem}")))

        async def announce(url: str | None) -> None:
            # After the listener's check of the database: on a damaged file the webhook line
            # is (almost always) never printed; it says receiving stopped instead.
            await asyncio.to_thread(listener.checked.wait, CHECK_WAIT)
            if not ended.done() and listener.damaged is None:
                relay.announce(url or local)

        def tunnel_started(outcome: object) -> None:
            url = None
            if isinstance(outcome, Exception):  # the listener keeps running on its local URL
                relay.say(f"The tunnel could not start: {outcome}")
            elif TunnelState(outcome.state) is TunnelState.ONLINE:  # type: ignore[attr-defined]
                url = receiving.status.public_url
            else:
                message = outcome.message or "The tunnel did not come online."  # type: ignore[attr-defined]
                relay.say(f"{message} Receiving on the local address only.")
            spawn(announce(url))

        if receiving.tunnel is not None:
            receiving.tunnel_started.connect(tunnel_started)
        else:
            spawn(announce(None))
        return await ended
    finally:
        restore()
        if companion is not None:
            await companion.stop()
        if backups is not None:
            backups.stop()  # a backup in progress stops at its next step
        receiving.stopped = True
        await receiving.stop()
        for task in list(tasks):
            task.cancel()
        for task in list(tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        unwatch()


class Companion(Protocol):
    """What runs beside the listener in `serve`: the outbox's sender (services/serve.py)."""

    location: object  # the store's location (open_store's), or a store.LentStore
    # The store is a database server's (PostgreSQL): the webhook secret is the one kept in it,
    # and the data folder has no message file to back up.
    shared: bool
    webhook_secret: str

    async def start(self, settings, spawn: Callable, relay: _Relay) -> None: ...

    def damaged(self, exc: Exception, relay: _Relay) -> None: ...

    async def stop(self) -> None: ...


def _on_stop_signals(stop: Callable[[], None]) -> Callable[[], None]:
    """SIGINT/SIGTERM call stop(); returns a function that restores the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {}
    for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, lambda *_: stop())

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore
