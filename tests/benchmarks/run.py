"""Run every voipdesk benchmark and print one line per measure: figure, baseline, ratio, goal and
PASS/FAIL, as rows of a markdown table. Each figure is measured in this run next to its baseline.

    python -m tests.benchmarks.run [--data DIR] [--quick] [--only MEASURE]

--data is a data dir made by tests/benchmarks/generate.py (made here when missing; reused when
its parameters match). The measures run on a temporary copy, so the cached dir never changes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import bench_burst, generate
from tests.benchmarks.probe_start import window_qt_names
from voipdesk.store import backup

ROOT = Path(__file__).resolve().parents[2]
ONLY = (
    "startup", "inbound", "burst", "open", "scroll", "search", "memory", "send", "send-backup"
)  # fmt: skip


@dataclass
class Row:
    """One measure: what it is, the figure and its baseline, and the goal it must meet."""

    name: str
    unit: str
    goal_text: str
    passes: Callable[[float, float], bool]
    figure: float | None = None
    baseline: float | None = None
    baseline_text: str = ""
    note: str = ""
    error: str = ""

    def line(self) -> str:
        if self.figure is None or self.baseline is None:
            cells = ["—", "—", "—", self.goal_text, f"FAIL ({self.error or 'not measured'})"]
        else:
            ok = self.passes(self.figure, self.baseline) and not self.error
            ratio = self.figure / self.baseline if self.baseline else float("inf")
            cells = [
                _fmt(self.figure, self.unit) + (f" ({self.note})" if self.note else ""),
                f"{_fmt(self.baseline, self.unit)} {self.baseline_text}".strip(),
                f"{ratio:.2f}×",
                self.goal_text,
                "PASS" if ok else "FAIL" + (f" ({self.error})" if self.error else ""),
            ]
        return "| " + " | ".join([self.name, *cells]) + " |"


def _fmt(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{value * 1000:.1f} ms"
    if unit == "msg/s":
        return f"{value:,.0f} msg/s"
    return f"{value:.0f} {unit}"


_CONFIG = tempfile.mkdtemp(prefix="voipdesk-bench-config-")


# Qt's offscreen screen is 800×800 unless told: the app's window opens within the screen's free
# area, so it would be measured 784 px wide (a narrow thread, more wrapped lines) where a
# desktop gives it its 1040. A 1920×1080 screen, as most desktops have.
SCREEN = Path(__file__).with_name("screen.json")


def _env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={SCREEN}", VOIPDESK_TUNNEL="none")
    # The app writes a start-at-login entry once an account is set up: never into the login of
    # whoever runs the benchmarks.
    env["XDG_CONFIG_HOME"] = _CONFIG
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _probe(args: list[str], pycache: Path, *, rss: bool = False) -> tuple[float, int | None]:
    """(seconds from process start to the main window's first paint, resident kB if asked).
    Bytecode is cached in `pycache`, as an installed app has it compiled (and a checkout run
    with PYTHONDONTWRITEBYTECODE would compile every module of its own at each start)."""
    env = _env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if rss:
        env["BENCH_RSS"] = "1"
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.probe_start", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    fields = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    if "first-paint" not in fields:
        raise RuntimeError(f"the probe reported no paint: {out.stderr.strip()[-500:]}")
    kb = int(fields["rss-kb"]) if "rss-kb" in fields else None
    return float(fields["first-paint"]) - start, kb


def _used(data: Path, pycache: Path) -> None:
    env = _env()
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(pycache)
    run = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.probe_start", "used", str(data)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    if run.returncode:
        raise RuntimeError(f"the app's first start did not finish: {run.stderr.strip()[-500:]}")


def measure_startup(row: Row, data: Path, runs: int, pycache: Path) -> None:
    qt_names = window_qt_names()
    kinds = {"bare": ["bare"], "floor": ["floor", json.dumps(qt_names)], "app": ["app", str(data)]}
    _used(data, pycache)  # the app has been used before (what a start keeps for the next)
    for args in kinds.values():
        _probe(args, pycache)  # warm-up: compiles and caches the bytecode
    times: dict[str, list[float]] = {kind: [] for kind in kinds}
    for _ in range(runs):  # interleaved, so all see the same machine
        for kind, args in kinds.items():
            times[kind].append(_probe(args, pycache)[0])
    median = {kind: statistics.median(values) for kind, values in times.items()}
    row.figure, row.baseline = median["app"], median["bare"]
    # The bare window plus only the PySide6 classes the app's window imports: what any
    # window made of them cannot go below (see probe_start.py).
    row.note = (
        f"floor: bare + importing its {sum(map(len, qt_names.values()))} Qt classes "
        f"{median['floor'] * 1000:.1f} ms = {median['floor'] / median['bare']:.2f}×"
    )


def measure_session(rows: dict[str, Row], data: Path, quick: bool, only: str | None = None) -> None:
    cmd = [sys.executable, "-m", "tests.benchmarks.session", str(data)]
    out = subprocess.run(
        [*cmd, *(["--quick"] if quick else []), *(["--only", only] if only else [])],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=ROOT,
        timeout=3600,
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    if out.returncode or not lines:
        raise RuntimeError(f"the session failed: {out.stderr.strip()[-2000:]}")
    results = json.loads(lines[-1])
    for key, row in rows.items():
        result = results[key]
        row.figure, row.baseline = result["figure"], result.get("baseline")
        if key == "inbound" and result["missing"]:
            row.error = f"{result['missing']} never shown"
        if key == "open" and "page" in result:
            row.baseline_text = f"({result['page']} rows, the app's page, into a plain QListView)"
        if key == "scroll":
            row.note = f"{result['frames']} frames, p99 {result['p99'] * 1000:.1f} ms"
            if not result["reached_oldest"]:
                row.error = "did not reach the oldest message"
        if key == "send-backup" and not result["ran_through"]:
            # (On --quick's tiny data the backup takes milliseconds: a smoke test only.)
            row.note = "the backup ended before the sends did"
            row.error = "" if quick else row.note


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=generate.DEFAULT_OUT, help="data dir")
    parser.add_argument("--quick", action="store_true", help="few repetitions (smoke test)")
    parser.add_argument("--only", choices=ONLY, help="run this one measure (and its baseline)")
    generate.add_arguments(parser)
    args = parser.parse_args(argv)
    manifest = generate.generate(args.data, generate.params_from(args))
    messages = manifest["params"]["messages"]
    thread = max(t["messages"] for t in manifest["big_threads"])
    runs = 2 if args.quick else 11

    def under(limit: float) -> Callable[[float, float], bool]:
        return lambda figure, _baseline: figure <= limit

    def ratio(limit: float) -> Callable[[float, float], bool]:
        return lambda figure, baseline: figure <= limit * baseline

    startup = Row(
        f"Start-up: process start to main window painted, {messages:,} messages (median of {runs})",
        "ms",
        "≤ 1.5× baseline",
        ratio(1.5),
        baseline_text="(bare PySide6 QMainWindow)",
    )
    session = {
        "inbound": Row(
            "Inbound: webhook POST to the message in the open thread's model, p99 at 50 msg/s",
            "ms",
            "≤ 16 ms",
            under(0.016),
            baseline_text="(POST round trip to a bare aiohttp server)",
        ),
        "open": Row(
            f"Open a {thread:,}-message thread: click to first paint (median, nothing cached)",
            "ms",
            "≤ 20 ms",
            under(0.020),
            baseline_text="(the same page of rows into a plain QListView)",
        ),
        "scroll": Row(
            f"Scroll a {thread:,}-message thread newest to oldest: worst frame",
            "ms",
            "≤ 50 ms",
            under(0.050),
            baseline_text="(plain QListView, uniform rows)",
        ),
        "search": Row(
            f"Search {messages:,} messages, newest 50 matches, p95",
            "ms",
            "≤ 2× baseline",
            ratio(2.0),
            baseline_text="(the FTS5 query on the file)",
        ),
        "memory": Row(
            "Resident memory: data dir open, long thread scrolled",
            "MB",
            "≤ 150 MB",
            under(150),
            baseline_text="(bare PySide6 QMainWindow)",
        ),
        "send": Row(
            "Send: click Send to the request on the wire (median)",
            "ms",
            "≤ 10 ms",
            under(0.010),
            baseline_text="(the same POST from a bare httpx client)",
        ),
        "send-backup": Row(
            "Send while the day's first backup copies and checks the database (median)",
            "ms",
            "≤ 10 ms",
            under(0.010),
            baseline_text="(the same send, no backup running)",
        ),
    }
    burst = Row(
        "Burst: 2,000 webhooks, 50 concurrent, each stored durably before its 200",
        "msg/s",
        "≥ 0.5× baseline",
        lambda figure, baseline: figure >= 0.5 * baseline,
        baseline_text="(bare aiohttp server answering 200)",
    )
    rows = [startup, session["inbound"], burst, session["open"], session["scroll"]]
    rows += [session["search"], session["memory"], session["send"], session["send-backup"]]
    in_session = session
    if args.only:
        rows = [dict(zip(ONLY, rows, strict=True))[args.only]]
        in_session = {args.only: session[args.only]} if args.only in session else {}

    with tempfile.TemporaryDirectory(prefix="voipdesk-bench-") as tmp:
        work = Path(tmp) / "data"
        shutil.copytree(args.data, work)  # the measures write; the cached dir stays as made
        # A returning user's day: today's backup is made (the measures of the first start of a
        # day, when one runs beside them, are the "send-backup" row's).
        backup.make_backup(work)
        if hasattr(os, "sync"):
            # Else the copy's dirty pages are written back during the first fsyncs measured
            # (ext4 data=ordered): a 150+ ms commit that belongs to the copy, not to voipdesk.
            os.sync()
        steps: list[tuple[list[Row], Callable[[], None]]] = [
            ([startup], lambda: measure_startup(startup, work, runs, Path(tmp) / "pycache")),
            (
                list(in_session.values()),
                lambda: measure_session(in_session, work, args.quick, args.only),
            ),
            ([session["memory"]], lambda: _bare_memory(session["memory"], Path(tmp) / "pycache")),
            ([burst], lambda: _burst(burst, work, args.quick)),
        ]
        for affected, step in steps:
            if not any(row in rows for row in affected):
                continue
            try:
                step()
            except Exception as exc:  # one broken measure must not hide the others
                for row in affected:
                    row.error = row.error or f"{type(exc).__name__}: {exc}"[:300]
    print("| Measure | Figure | Baseline | Ratio | Goal | Result |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(row.line(), flush=True)
    return 0 if all("PASS" in row.line() for row in rows) else 1


def _bare_memory(row: Row, pycache: Path) -> None:
    if not sys.platform.startswith("linux"):
        row.baseline, row.baseline_text = 0.0, "(not measured off Linux)"
        return
    _seconds, kb = _probe(["bare"], pycache, rss=True)
    row.baseline = (kb or 0) / 1024


def _burst(row: Row, data: Path, quick: bool) -> None:
    # Into the big database, as in real use; the client is a process of its own.
    row.figure, row.baseline = bench_burst.measure(
        generate.database_path(data), 2000, 50, rounds=1 if quick else 3
    )


if __name__ == "__main__":
    sys.exit(main())
