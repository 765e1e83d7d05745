"""The benchmarks themselves, on tiny data: the generator makes a data dir the app opens, and
tests/benchmarks/run.py prints every measure with a figure and a baseline. (Whether the goals
are met is for the real run on a million messages; here only that every measure works.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MEASURES = (
    "Start-up",
    "Inbound",
    "Burst",
    "Open a",
    "Scroll a",
    "Search",
    "Resident memory",
    "Send while",  # (before "Send", which it starts with)
    "Send",
)
TINY = ("--messages", "2000", "--conversations", "40", "--big-size", "400")
_NUMBER = re.compile(r"^\d[\d,]*(\.\d+)? (ms|msg/s|MB)\b")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="measures Linux /proc memory")
def test_every_measure_is_printed_with_a_figure_and_a_baseline(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.benchmarks.run",
            "--quick",
            "--data",
            str(tmp_path / "d"),
            *TINY,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    rows = [line for line in run.stdout.splitlines() if line.startswith("| ")][1:]  # no header
    by_name = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        by_name[next((m for m in MEASURES if cells[0].startswith(m)), cells[0])] = cells
    assert sorted(by_name) == sorted(MEASURES), run.stdout + run.stderr
    for name, (_measure, figure, baseline, ratio, goal, result) in by_name.items():
        assert _NUMBER.match(figure), f"{name}: no figure ({result})"
        assert _NUMBER.match(baseline), f"{name}: no baseline ({result})"
        assert re.fullmatch(r"\d+\.\d\d×", ratio), f"{name}: no ratio"
        assert goal.startswith(("≤", "≥")), f"{name}: no goal"
        # PASS, or FAIL on the goal; "FAIL (...)" is a measure that went wrong.
        assert result in ("PASS", "FAIL"), f"{name}: {result}"
    # The data dir is cached: a second generator run with the same parameters reuses it.
    manifest = (tmp_path / "d" / "bench.json").read_text()
    again = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.generate", "--out", str(tmp_path / "d"), *TINY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "d" / "bench.json").read_text() == manifest


def test_the_postgresql_benchmarks_print_every_measure_with_a_figure_and_a_baseline():
    """tests/benchmarks/bench_pg.py on tiny data, on a private PostgreSQL server of its own."""
    from tests.pg_support import INSTALL_SENTENCE, server_bindir

    if server_bindir() is None:
        if os.environ.get("CI") == "true":
            pytest.fail(INSTALL_SENTENCE, pytrace=False)
        pytest.skip(INSTALL_SENTENCE)
    run = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks.bench_pg", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith("| ")][1:]
    names = [row.strip("|").split("|")[0].strip() for row in rows]
    assert [n.split()[0] for n in names] == ["Burst", "Webhook", "Webhook", "Open", "Search"], (
        run.stdout
    )
    for row in rows:
        _name, figure, baseline, ratio, goal, result = (
            c.strip() for c in row.strip("|").split("|")
        )
        assert _NUMBER.match(figure), f"{row}\n{run.stderr}"
        assert _NUMBER.match(baseline), f"{row}\n{run.stderr}"
        assert re.fullmatch(r"\d+\.\d\d×", ratio), row
        assert goal.startswith(("≤", "≥")), row
        assert result in ("PASS", "FAIL"), f"{row}\n{run.stderr}"
