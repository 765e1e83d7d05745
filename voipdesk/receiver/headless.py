"""`voipdesk listen`: the webhook listener (and tunnel) without the GUI, one line per message."""

from __future__ import annotations

import argparse
import contextlib
import queue
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from voipdesk.core.models import Direction, Message
from voipdesk.receiver.listener import CHECK_WAIT, Listener, ListenerError
from voipdesk.store.backup import DailyBackup

_STOP = object()
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
    """Run the listener until SIGINT/SIGTERM; 0 on a clean stop, 2 when it cannot start, 1 when
    it stopped because the message database was found damaged, EXIT_RUNNING (4) when another
    voipdesk receives on the data folder."""
    from voipdesk.instance import EXIT_RUNNING, AlreadyRunning, InstanceLock, stop_hint

    out, err = sys.stdout, sys.stderr
    for stream in (out, err):
        with contextlib.suppress(AttributeError, ValueError):
            stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    data_dir = Path(data_dir)
    try:
        owned = InstanceLock.acquire(data_dir, "listen")
    except AlreadyRunning as exc:
        print(
            f"voipdesk: {exc}. Only one voipdesk at a time can receive messages for a data "
            f"folder: {stop_hint(exc.holder)} first, or give this one another --data-dir.",
            file=err,
            flush=True,
        )
        return EXIT_RUNNING
    with owned:
        return _listen(data_dir, port, tunnel, out, err)


def _listen(data_dir: Path, port: int | None, tunnel: str | None, out: TextIO, err: TextIO) -> int:
    from voipdesk.settings import Settings
    from voipdesk.store import StoreOpener, damage, database_path

    settings = Settings.load(data_dir)
    for problem in settings.problems:  # what settings.json could not provide: said, not fatal
        print(f"voipdesk: warning: {problem}", file=err, flush=True)
    if port is None:
        port = settings.effective_port  # settings.json, overridden by VOIPDESK_WEBHOOK_PORT
    mode = (tunnel or settings.effective_tunnel).strip().lower()

    events: queue.SimpleQueue[Any] = queue.SimpleQueue()  # put() is safe in signal handlers
    listener = Listener(
        StoreOpener(data_dir), settings.webhook_secret, port=port, on_messages=events.put
    )
    restore = _install_signal_handlers(lambda: events.put(_STOP))
    db = damage.same_file_as(database_path(data_dir))
    unwatch = damage.watch(lambda exc: events.put(("damaged", exc)) if db(exc.path) else None)
    tunnel_obj: Any = None
    backups = DailyBackup(data_dir)
    try:
        try:
            listener.start()
        except ListenerError as exc:
            print(exc, file=err, flush=True)
            return 2
        backups.start(lambda problem: print(f"voipdesk: {problem}", file=err, flush=True))
        if mode == "ngrok":
            tunnel_obj = _start_tunnel(settings, data_dir, listener, events, err)
        else:
            _after_check(listener, lambda: events.put(("tunnel", None)))
        return _relay(events, out, err, listener)
    finally:
        if tunnel_obj is not None:
            with contextlib.suppress(Exception):
                tunnel_obj.stop()
        backups.stop()
        listener.stop()
        unwatch()
        restore()


def _after_check(listener: Listener, then: Any) -> None:
    """`then()` once the listener's check of the database has ended, or CHECK_WAIT has passed
    (on a thread): on a file that is damaged, the webhook line is (almost always) never
    printed: it says receiving stopped instead."""

    def wait() -> None:
        listener.checked.wait(CHECK_WAIT)
        then()

    threading.Thread(target=wait, name="voipdesk-check-wait", daemon=True).start()


def _relay(events: queue.SimpleQueue, out: TextIO, err: TextIO, listener: Listener) -> int:
    """Print the webhook line, then each stored message, until a stop event (0) or a damaged
    database (1: receiving stops, and says why)."""
    path = listener.webhook_path
    local = listener.local_url + path
    announced: str | None = None  # the URL printed on the `webhook:` line
    pending: list[Message] = []  # messages stored before the line could be printed
    while True:
        try:
            event = events.get(timeout=0.5)  # a timeout keeps signal handlers running promptly
        except queue.Empty:
            continue
        if event is _STOP:
            return 0
        if isinstance(event, list):
            if announced is None:
                pending.extend(event)
                continue
            for message in event:
                _print(out, message_line(message))
        elif event[0] == "damaged":
            print(f"voipdesk: receiving stopped. {event[1]}", file=err, flush=True)
            return 1
        elif event[0] == "tunnel":  # the tunnel's first outcome: its URL or None
            announced = event[1] or local
            _print(out, f"webhook: {announced}")
            for message in pending:
                _print(out, message_line(message))
            pending.clear()
        elif event[0] == "status" and announced is not None:  # later tunnel changes
            status = event[1]
            url = status.public_url and status.public_url.rstrip("/") + path
            if str(status.state) == "online" and url and url != announced:
                print(
                    f"The public webhook address changed to {url} — paste it on the provider's "
                    "Numbers page.",
                    file=err,
                    flush=True,
                )
                announced = url
            elif str(status.state) == "error":
                print(f"tunnel: {status.message}", file=err, flush=True)


def _start_tunnel(
    settings: Any, data_dir: Path, listener: Listener, events: queue.SimpleQueue, err: TextIO
) -> Any:
    """Start the tunnel on a thread; its first outcome, then its changes, arrive as events."""
    from voipdesk.receiver.tunnel import Tunnel

    domain = settings.ngrok_domain.strip() or None
    tunnel = Tunnel(
        data_dir=data_dir,
        authtoken=settings.secret("ngrok_authtoken"),
        domain=domain,
        on_status=lambda status: events.put(("status", status)),
    )

    def run() -> None:
        url = None
        try:
            status = tunnel.start(listener.port)
            if str(status.state) == "online":
                url = tunnel.public_webhook_url(listener.webhook_path)
            else:
                message = status.message or "The tunnel did not come online."
                print(f"{message} Receiving on the local address only.", file=err, flush=True)
        except Exception as exc:  # the listener keeps running on its local URL
            print(f"The tunnel could not start: {exc}", file=err, flush=True)
        listener.checked.wait(CHECK_WAIT)  # (see _after_check)
        events.put(("tunnel", url))

    threading.Thread(target=run, name="voipdesk-tunnel-start", daemon=True).start()
    return tunnel


def _print(out: TextIO, line: str) -> None:
    with contextlib.suppress(BrokenPipeError):
        print(line, file=out, flush=True)


def _install_signal_handlers(stop: Any) -> Any:
    """SIGINT/SIGTERM call stop(); returns a function that restores the previous handlers."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    names = ("SIGINT", "SIGTERM", "SIGBREAK")
    previous = {}
    for name in names:
        signum = getattr(signal, name, None)
        if signum is not None:
            previous[signum] = signal.signal(signum, lambda *_: stop())

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m voipdesk.receiver.headless",
        description="Receive messages on the webhook without the GUI; one line per message.",
    )
    parser.add_argument("--data-dir", help="where the database and settings are")
    parser.add_argument("--port", type=int, help="listener port (0: a free one)")
    parser.add_argument("--tunnel", choices=("ngrok", "none"), help="expose it through ngrok")
    return parser.parse_args(argv)


if __name__ == "__main__":
    from voipdesk.settings import resolve_data_dir

    args = _parse(None)
    sys.exit(main(resolve_data_dir(args.data_dir), args.port, args.tunnel))
