"""The in-app measures: one process runs the real app (offscreen) on a benchmark data dir, drives
it like a user and prints one JSON object with each figure and its baseline, measured side by
side. The provider (sandbox) and the webhook sender run in processes of their own.

    python -m tests.benchmarks.session DATA_DIR [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import queue
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks.generate import read_manifest
from tests.benchmarks.probe_start import rss_kb

BENCH_TOKEN = "bench-token"
MEASURES = ("open", "inbound", "send", "scroll", "memory", "search", "send-backup")
# Realistic things to look for: whole words, phrases, a word start, an accent-free "café".
SEARCHES = (
    "coffee",
    "thanks",
    "see you",
    "cafe",
    "rhubarb",
    "birthday party",
    "tom",
    "meeting minutes",
    "ok",
    "invoice paid",
)


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (pct in 0..100) of values."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def rss_mb() -> float:
    """Resident memory in MB (Linux /proc; elsewhere the peak, from getrusage)."""
    kb = rss_kb()
    if kb is not None:
        return kb / 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024 if sys.platform == "darwin" else 1024)


class Child:
    """A helper process whose stdout lines arrive on a queue (read by a thread)."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.benchmarks.peers", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            encoding="utf-8",
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def line(self, timeout: float = 30.0) -> str:
        return self.lines.get(timeout=timeout)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke test)")
    parser.add_argument("--only", choices=MEASURES, help="run this one measure (and its baseline)")
    args = parser.parse_args(argv)
    manifest = read_manifest(args.data)
    if manifest is None:
        raise SystemExit(f"{args.data} is not a benchmark data dir (no bench.json)")

    sandbox = Child("sandbox", manifest["account_id"], BENCH_TOKEN, *manifest["own_numbers"])
    os.environ.update(
        QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        VOIPDESK_TUNNEL="none",
        # (the app's start-at-login entry goes here, not into the login of whoever runs this)
        XDG_CONFIG_HOME=tempfile.mkdtemp(prefix="voipdesk-bench-config-"),
        VOIPDESK_API_URL=sandbox.line(),
        VOIPDESK_ACCOUNT_ID=manifest["account_id"],
        VOIPDESK_API_TOKEN=BENCH_TOKEN,
    )
    try:
        session = Session(args.data, manifest, sandbox, quick=args.quick)
        results = session.run(args.only)
    finally:
        sandbox.close()
    print(json.dumps(results), flush=True)
    os._exit(0)  # the results are out; skip Qt's and the threads' teardown


class Session:
    """The app, started as `voipdesk --data-dir DATA_DIR` would, and the measures run on it."""

    def __init__(self, data: Path, manifest: dict, sandbox: Child, *, quick: bool) -> None:
        import qasync
        from PySide6.QtCore import QAbstractEventDispatcher, QEventLoop

        from voipdesk.app import Controller, make_application

        self.data = data
        self.manifest = manifest
        self.sandbox = sandbox
        self.quick = quick
        self.app = make_application()
        self.loop = qasync.QEventLoop(self.app, already_running=True)
        asyncio.events._set_running_loop(self.loop)
        asyncio.set_event_loop(self.loop)
        self._dispatcher = QAbstractEventDispatcher.instance()
        self._all = QEventLoop.ProcessEventsFlag.AllEvents
        self.controller = Controller(self.app, data, confirm_quit=False)
        self.big = [t for t in manifest["big_threads"] if t["messages"]]

    # -- driving the event loop ------------------------------------------------------------
    def until(self, done: Callable[[], bool], timeout: float = 30.0) -> float:
        """Process events until done() holds; the time right after the batch that did it."""
        deadline = time.perf_counter() + timeout
        while not done():
            if not self._dispatcher.processEvents(self._all):
                if time.perf_counter() > deadline:
                    raise TimeoutError("the app did not get there in time")
                time.sleep(0.0002)  # nothing to do: wait for another thread or process
        return time.perf_counter()

    def idle(self, done: Callable[[], bool] = lambda: True, timeout: float = 30.0) -> float:
        """Process events until done() holds and nothing is left to do; the time then."""
        deadline = time.perf_counter() + timeout
        while True:
            busy = self._dispatcher.processEvents(self._all)
            now = time.perf_counter()
            if not busy and done():
                return now
            if now > deadline:
                raise TimeoutError("the app did not settle in time")
            if not busy:
                time.sleep(0.0002)

    def settle(self, seconds: float) -> None:
        end = time.perf_counter() + seconds
        self.idle(lambda: time.perf_counter() >= end)

    def run_async(self, coro, timeout: float = 60.0):
        future = asyncio.ensure_future(coro)
        self.until(future.done, timeout)
        return future.result()

    # -- the run ------------------------------------------------------------------------------
    def run(self, only: str | None = None) -> dict:
        self.run_async(self.controller.start())
        self.window = self.controller.window
        self.trace = FrameTrace(self.controller.services.reads)
        self.settle(0.5)
        rounds = 3 if self.quick else 9
        if only is not None:
            return {only: self.run_one(only, rounds)}
        results = {
            "open": {"figure": self.measure_open(rounds)},
            "inbound": self.measure_inbound(),
            "send": {"figure": self.measure_send(rounds)},
        }
        self.search_in_app()  # what searching leaves behind counts in the memory figure
        results["scroll"] = self.measure_scroll()
        results["memory"] = {"figure": rss_mb()}
        # The baselines allocate (a QListView of a whole thread, an httpx client, an SQLite
        # connection): only after the app's own memory was read.
        results["open"]["baseline"] = statistics.median(self._open_baseline(rounds))
        results["open"]["page"] = self.window.thread.page
        results["send"]["baseline"] = self._send_baseline(rounds)
        results["search"] = self.measure_search()
        results["scroll"]["baseline"] = self._scroll_baseline(results["scroll"]["frames"])
        # Last: the backup it starts writes a copy of the whole database.
        results["send-backup"] = self.measure_send_during_backup(rounds, results["send"]["figure"])
        return results

    def run_one(self, only: str, rounds: int) -> dict:
        """One measure and its baseline, as run() measures them (memory: after a scroll)."""
        if only == "open":
            return {
                "figure": self.measure_open(rounds),
                "page": self.window.thread.page,
                "baseline": statistics.median(self._open_baseline(rounds)),
            }
        if only == "inbound":
            return self.measure_inbound()
        if only == "send":
            return {"figure": self.measure_send(rounds), "baseline": self._send_baseline(rounds)}
        if only == "search":
            return self.measure_search()
        if only == "send-backup":
            self.open(self.big[0]["id"])
            return self.measure_send_during_backup(rounds, self.measure_send(rounds))
        # As run() gets there: the thread opened by a click (not the one shown at start-up, read
        # before the services ran) and still open after searches typed and cleared.
        self.open(self.big[-1]["id"])
        self.open(self.big[0]["id"])
        self.search_in_app()
        scroll = self.measure_scroll()
        if only == "memory":
            return {"figure": rss_mb()}
        scroll["baseline"] = self._scroll_baseline(scroll["frames"])
        return scroll

    def open(self, conversation_id: int) -> None:
        self.window.open_conversation(conversation_id)
        thread = self.window.thread  # it is read on a worker, then shown
        self.until(lambda: thread.conversation_id == conversation_id and not thread.opening)
        self.idle()

    # -- open a long thread ---------------------------------------------------------------------
    def measure_open(self, rounds: int) -> float:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        view = self.window.conversations.view
        model = self.window.conversations.model
        watch = PaintWatch(self.window.thread.list_view.viewport())
        targets = [t["id"] for t in self.big]
        times = []
        for i in range(rounds + 1):
            cid = targets[i % len(targets)]
            if cid == self.window.conversation_id:  # opening what is open does nothing
                self.open(targets[(i + 1) % len(targets)])
            self.window.conversations.select(cid)
            self.idle()
            rect = view.visualRect(model.index_for(cid))
            # As if never opened before in this run: every bubble is measured afresh.
            self.window.thread.delegate.clear_cache()
            before = watch.count
            start = time.perf_counter()
            QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            painted = self.until(lambda b=before: watch.count > b)
            self.idle()
            assert self.window.conversation_id == cid
            if i:  # the first is a warm-up
                times.append(painted - start)
        return statistics.median(times)

    def _plain_list(self, texts: list[str]):
        """A plain QListView of strings, the size of the thread view: Qt's own floor."""
        from PySide6.QtCore import QStringListModel
        from PySide6.QtWidgets import QListView

        view = QListView()
        view.setUniformItemSizes(True)
        thread = self.window.thread.list_view
        view.resize(thread.size())
        view.show()
        model = QStringListModel(texts)
        self.idle()
        return view, model

    def _open_baseline(self, rounds: int) -> list[float]:
        db = sqlite3.connect(self.data / "voipdesk.sqlite3")
        view, _ = self._plain_list([])
        watch = PaintWatch(view.viewport())
        times = []
        from PySide6.QtCore import QStringListModel

        for i in range(rounds):
            cid = self.big[i % len(self.big)]["id"]
            before = watch.count
            start = time.perf_counter()
            rows = db.execute(  # as many as the app opens a thread with
                "SELECT body FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?",
                (cid, self.window.thread.page),
            ).fetchall()
            view.setModel(QStringListModel([r[0] for r in reversed(rows)], view))
            view.scrollToBottom()
            times.append(self.until(lambda b=before: watch.count > b) - start)
            self.idle()
        view.close()
        db.close()
        return times

    # -- an inbound message reaching the open thread ---------------------------------------------
    def measure_inbound(self) -> dict:
        thread = self.big[0]
        self.open(thread["id"])
        model = self.window.thread.model
        seen: dict[str, float] = {}

        def inserted(_parent, first: int, last: int) -> None:
            now = time.perf_counter()
            for row in range(first, last + 1):
                message = model.message(row)
                if message is not None and message.provider_id:
                    seen.setdefault(message.provider_id, now)

        model.rowsInserted.connect(inserted)
        count, rate = (25, 50.0) if self.quick else (500, 50.0)
        url = self.controller.services.local_webhook_url()
        sender = Child("webhooks", url, thread["peer"], thread["own"], str(count), str(rate))
        try:
            self.until(lambda: not sender.lines.empty(), timeout=4 * count / rate + 60)
            out = json.loads(sender.line())
        finally:
            sender.close()
        self.idle()
        model.rowsInserted.disconnect(inserted)
        latencies = [seen.get(mdr, math.inf) - sent for mdr, sent in out["sent"].items()]
        return {
            "figure": percentile(latencies, 99),
            "baseline": percentile(out["bare_ms"], 99) / 1000,
            "missing": sum(1 for x in latencies if x == math.inf),
        }

    # -- click Send to the request on the wire ---------------------------------------------------
    def _arrival(self, text: str, timeout: float = 10.0) -> float:
        deadline = time.perf_counter() + timeout
        while True:
            self.until(
                lambda: not self.sandbox.lines.empty(), max(0.0, deadline - time.perf_counter())
            )
            record = json.loads(self.sandbox.line())
            if record["text"] == text:
                return record["t"]

    def measure_send(self, rounds: int) -> float:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from voipdesk.core.models import Status

        compose = self.window.compose
        model = self.window.thread.model
        times = []
        for i in range(rounds + 1):
            text = f"bench send {i} {uuid.uuid4().hex[:8]}"
            compose.editor.setPlainText(text)
            self.idle()
            start = time.perf_counter()
            QTest.mouseClick(compose.send_button, Qt.MouseButton.LeftButton)
            arrived = self._arrival(text)
            self.idle(
                lambda t=text: any(
                    m.body == t and m.status is Status.QUEUED
                    for m in (
                        model.message(r) for r in range(model.rowCount() - 5, model.rowCount())
                    )
                    if m is not None
                )
            )
            if i:
                times.append(arrived - start)
        return statistics.median(times)

    def measure_send_during_backup(self, rounds: int, without: float) -> dict:
        """The same sends while the daily backup runs, as on the first start of a day: its
        backups are deleted and a backup started the way the app's schedule starts one."""
        from voipdesk.services.backups import back_up_daily
        from voipdesk.store.backup import DailyBackup, backup_dir, backups

        shutil.rmtree(backup_dir(self.data), ignore_errors=True)
        daily = DailyBackup(self.data)
        task = self.controller.services.spawn(back_up_daily(daily, lambda _problem: None))
        self.until(lambda: any(backup_dir(self.data).glob(".voipdesk-*")), timeout=10)
        figure = self.measure_send(rounds)
        result = {"figure": figure, "baseline": without, "ran_through": not backups(self.data)}
        self.until(lambda: bool(backups(self.data)), timeout=600)  # done before what follows
        task.cancel()
        return result

    def _send_baseline(self, rounds: int) -> float:
        """The same request through a bare httpx client in this process."""
        import httpx

        from voipdesk.provider.wire import send_payload

        url = os.environ["VOIPDESK_API_URL"]
        own, peer = self.big[0]["own"], self.big[0]["peer"]
        times = []

        async def post(text: str) -> None:
            payload = send_payload(self.manifest["account_id"], BENCH_TOKEN, own, peer, text)
            await client.post(url, json=payload)

        client = httpx.AsyncClient()
        for i in range(rounds + 1):
            text = f"bench bare send {i} {uuid.uuid4().hex[:8]}"
            start = time.perf_counter()
            future = asyncio.ensure_future(post(text))
            arrived = self._arrival(text)
            self.until(future.done)
            if i:
                times.append(arrived - start)
        self.run_async(client.aclose())
        return statistics.median(times)

    # -- search -----------------------------------------------------------------------------------
    def search_in_app(self) -> None:
        panel = self.window.conversations
        for text in SEARCHES:
            panel.search_box.setText(text)
            panel._debounce.stop()
            panel._run_search()
            self.idle()
        panel.search_box.clear()
        self.idle()

    def measure_search(self) -> dict:
        from voipdesk.store.search import fts_query

        panel = self.window.conversations
        db = sqlite3.connect(f"file:{self.data / 'voipdesk.sqlite3'}?mode=ro", uri=True)
        rounds = 2 if self.quick else 5
        figure, baseline = [], []
        for _ in range(rounds):
            for text in SEARCHES:
                panel.search_box.setText(text)
                panel._debounce.stop()  # run it now rather than after the typing pause
                start = time.perf_counter()
                panel._run_search()
                # until the first page of results is in (it is read on a worker, then shown)
                model = panel.search_model
                figure.append(self.until(lambda m=model: not getattr(m, "fetching", False)) - start)
                self.idle()
                start = time.perf_counter()
                db.execute(
                    "SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?"
                    " ORDER BY rowid DESC LIMIT 50",
                    (fts_query(text),),
                ).fetchall()
                baseline.append(time.perf_counter() - start)
        panel.search_box.clear()
        self.idle()
        db.close()
        return {"figure": percentile(figure, 95), "baseline": percentile(baseline, 95)}

    # -- scroll a long thread from newest to oldest ----------------------------------------------
    def measure_scroll(self) -> dict:
        self.open(self.big[0]["id"])
        view = self.window.thread.list_view
        bar = view.verticalScrollBar()
        watch = PaintWatch(view.viewport())
        frames = []
        trace = self.trace
        give_up = time.perf_counter() + (60 if self.quick else 600)
        while time.perf_counter() < give_up:
            model = self.window.thread.model
            if bar.value() <= bar.minimum() and not model.has_older():
                break
            before, value = watch.count, bar.value()
            trace.begin()
            start = time.perf_counter()
            bar.setValue(max(bar.minimum(), value - bar.pageStep()))
            end = self.idle(lambda b=before: watch.count > b, timeout=10)
            frames.append(end - start)
            trace.end(len(frames) - 1, end - start, model.rowCount())
        trace.report(frames)
        oldest = self.window.thread.model.message(0)
        first_id = (
            sqlite3.connect(self.data / "voipdesk.sqlite3")
            .execute("SELECT min(id) FROM messages WHERE conversation_id = ?", (self.big[0]["id"],))
            .fetchone()[0]
        )
        return {
            "figure": max(frames),
            "frames": len(frames),
            "p99": percentile(frames, 99),
            "reached_oldest": oldest is not None and oldest.id == first_id,
        }

    def _scroll_baseline(self, frames: int) -> float:
        """Paging up a plain QListView holding the whole thread's text (uniform rows)."""
        db = sqlite3.connect(self.data / "voipdesk.sqlite3")
        texts = [
            r[0]
            for r in db.execute(
                "SELECT body FROM messages WHERE conversation_id = ? ORDER BY id",
                (self.big[0]["id"],),
            )
        ]
        db.close()
        view, model = self._plain_list(texts)
        view.setModel(model)
        view.scrollToBottom()
        self.idle()
        bar = view.verticalScrollBar()
        watch = PaintWatch(view.viewport())
        worst = 0.0
        for _ in range(min(frames, 3000)):
            if bar.value() <= bar.minimum():
                break
            before = watch.count
            start = time.perf_counter()
            bar.setValue(bar.value() - bar.pageStep())
            worst = max(worst, self.idle(lambda b=before: watch.count > b) - start)
        view.close()
        return worst


def _name(read) -> str:
    """A read's name (the one it wraps, when it is ui/reading.Latest's wrapper)."""
    for cell in getattr(read, "__closure__", None) or ():
        inner = cell.cell_contents
        if callable(inner) and "Latest" not in getattr(inner, "__qualname__", "Latest"):
            return inner.__qualname__
    return getattr(read, "__qualname__", repr(read))


class FrameTrace:
    """BENCH_FRAME_TRACE=1: what the slow frames of the scroll did, on stderr (GC pauses, and
    with BENCH_FRAME_TRACE=profile the functions they spent their time in)."""

    def __init__(self, reads) -> None:
        import gc

        self.reads: list[list] = []  # [what, asked, started, done] of each window read
        if os.environ.get("BENCH_FRAME_TRACE"):
            request = reads.request

            def traced(read, arrived, failed=None):
                entry = [_name(read), time.perf_counter(), 0.0, 0.0]
                self.reads.append(entry)

                def run():
                    entry[2] = time.perf_counter()
                    try:
                        return read()
                    finally:
                        entry[3] = time.perf_counter()

                request(run, arrived, failed)

            reads.request = traced
        mode = os.environ.get("BENCH_FRAME_TRACE", "")
        self.on, self.profile = bool(mode), mode == "profile"
        self.gc: list[tuple[int, float]] = []  # (generation, seconds) in this frame
        self.slow: list[tuple[float, int, int, list, object]] = []
        self._gc_start = 0.0
        self._start = 0.0
        self._prof = None
        if self.on:
            gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
        else:
            self.gc.append((info["generation"], time.perf_counter() - self._gc_start))

    def begin(self) -> None:
        self.gc = []
        self._cpu = time.thread_time()
        self._start = time.perf_counter()
        if self.profile and len(self.slow) < 40:
            import cProfile

            self._prof = cProfile.Profile()
            self._prof.enable()

    def end(self, frame: int, seconds: float, rows: int) -> None:
        if not self.on:
            return
        if self._prof is not None:
            self._prof.disable()
        cpu = time.thread_time() - self._cpu
        if seconds > 0.035:
            start = self._start
            reads = [
                f"{what} asked {(asked - start) * 1000:.0f} ran {(began - start) * 1000:.0f}"
                f"..{(done - start) * 1000:.0f}"
                for what, asked, began, done in self.reads
                if done == 0 or done > start
            ]
            self.slow.append((seconds, frame, rows, self.gc, self._prof, cpu, reads))
        self._prof = None

    def report(self, frames: list[float]) -> None:
        import pstats

        if self.on:
            print("frames " + json.dumps([round(f * 1000, 1) for f in frames]), file=sys.stderr)

        slow = sorted(self.slow, key=lambda s: s[1])[:10] + sorted(self.slow, reverse=True)[:6]
        for seconds, frame, rows, gcs, prof, cpu, reads in slow:
            pauses = ", ".join(f"gen{g} {t * 1000:.1f} ms" for g, t in gcs)
            print(
                f"frame {frame}: {seconds * 1000:.1f} ms (cpu {cpu * 1000:.1f} ms),"
                f" {rows} rows, gc: {pauses}",
                file=sys.stderr,
            )
            print("  reads (ms from the frame's start): " + "; ".join(reads), file=sys.stderr)
            if prof is not None:
                pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)


class PaintWatch:
    """Counts paint events of a widget."""

    def __init__(self, widget) -> None:
        from PySide6.QtCore import QEvent, QObject

        paint = QEvent.Type.Paint

        class Filter(QObject):
            def eventFilter(inner, watched, event) -> bool:
                if event.type() == paint:
                    self.count += 1
                return False

        self.count = 0
        self._filter = Filter(widget)
        widget.installEventFilter(self._filter)


if __name__ == "__main__":
    sys.exit(main())
