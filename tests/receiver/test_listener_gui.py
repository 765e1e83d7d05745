"""The webhook keeps answering while the Qt GUI thread is blocked."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from PySide6.QtCore import QObject, QTimer, Signal

from voipdesk.core.models import Message
from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import Store

COUNT, CONCURRENCY, BLOCK_S = 200, 20, 2.0


class Bridge(QObject):
    """How the app hands listener callbacks to the GUI thread: a queued signal."""

    arrived = Signal(list)


def test_webhooks_are_answered_while_the_gui_thread_sleeps(qtbot, tmp_path: Path) -> None:
    bridge = Bridge()
    shown: list[Message] = []
    slot_threads: set[threading.Thread] = set()

    def show(messages: list[Message]) -> None:
        slot_threads.add(threading.current_thread())
        shown.extend(messages)

    bridge.arrived.connect(show)
    db = tmp_path / "voipdesk.sqlite3"
    listener = Listener(db, "gui-secret", on_messages=bridge.arrived.emit)
    listener.start()
    url = listener.local_url + listener.webhook_path

    gui_blocked = threading.Event()
    block_ended_at: list[float] = []

    def block_gui() -> None:
        gui_blocked.set()
        time.sleep(BLOCK_S)
        block_ended_at.append(time.perf_counter())

    latencies: list[float] = []
    codes: list[int] = []
    finished_at: list[float] = []

    def burst() -> None:
        assert gui_blocked.wait(5)
        limits = httpx.Limits(max_connections=CONCURRENCY)
        with httpx.Client(timeout=10, limits=limits) as client:

            def post(i: int) -> tuple[int, float]:
                doc = webhook_body(
                    "+447445459147", "+447476553275", f"gui {i}", mdr_id=f"gui-{i}", ts=1716204585
                )
                start = time.perf_counter()
                code = client.post(url, json=doc).status_code
                return code, time.perf_counter() - start

            with ThreadPoolExecutor(CONCURRENCY) as pool:
                for code, latency in pool.map(post, range(COUNT)):
                    codes.append(code)
                    latencies.append(latency)
        finished_at.append(time.perf_counter())

    sender = threading.Thread(target=burst)
    try:
        QTimer.singleShot(0, block_gui)
        sender.start()
        qtbot.waitUntil(lambda: len(shown) == COUNT, timeout=15000)
        sender.join(10)
    finally:
        listener.stop()

    assert codes == [200] * COUNT
    p99 = sorted(latencies)[int(COUNT * 0.99) - 1]
    assert p99 < 1.0, f"p99 latency {p99:.3f} s"
    # The whole burst was acknowledged while the GUI thread was still asleep.
    assert finished_at[0] < block_ended_at[0]
    with Store(db) as store:
        assert sorted(m.provider_id for m in store.all_messages()) == sorted(
            f"gui-{i}" for i in range(COUNT)
        )
    assert len({m.provider_id for m in shown}) == COUNT
    assert slot_threads == {threading.main_thread()}  # delivered to the GUI thread, queued
