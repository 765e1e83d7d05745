"""`voipdesk migrate` speed: a generated local history (tests/benchmarks/generate.py) copied into
a fresh database on a private PostgreSQL server (tests/pg_support.py), then copied again (which
finds everything there and copies nothing).

Run: .venv/bin/python -m tests.benchmarks.bench_migrate [--messages 100000] [--conversations 2000]
                                                    [--data DIR]
--data copies a generated data dir (e.g. run.py's million) instead of making one; it is never
written to.
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import tempfile
import time
from pathlib import Path

from tests.benchmarks.generate import Params, generate
from tests.pg_support import Cluster, server_bindir
from voipdesk.store import open_store
from voipdesk.store.pg.local_copy import copy_local_history

STEP = 100_000  # messages between two rates of the first run


def measure(data_dir: Path, url: str) -> dict:
    figures = {}
    for run in ("first", "again"):
        started = time.perf_counter()
        marks = [(0, started)]  # (messages done, when), each STEP messages

        def progress(result, marks=marks) -> None:
            if result.done >= marks[-1][0] + STEP or result.done == result.total:
                marks.append((result.done, time.perf_counter()))

        with open_store(data_dir) as local, open_store(url) as shared:
            result = copy_local_history(local, shared, progress=progress)  # type: ignore[arg-type]
        seconds = time.perf_counter() - started
        figures[run] = {
            "seconds": round(seconds, 1),
            "copied": result.messages,
            "already": result.already,
            "per_second": round(result.total / seconds),
            # The rate of each STEP messages in turn: flat when the copy is linear.
            "steps": [
                round((n1 - n0) / (t1 - t0)) for (n0, t0), (n1, t1) in itertools.pairwise(marks)
            ],
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--data", type=Path, help="a generated data dir to copy from")
    args = parser.parse_args()
    bindir = server_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries here (see tests/pg_support.py)")
    work = Path(tempfile.mkdtemp(prefix="voipdesk-bench-migrate-"))
    params = Params(
        messages=args.messages,
        conversations=args.conversations,
        big_threads=1,
        big_size=args.messages // 5,
    )
    cluster = Cluster(bindir)
    try:
        if args.data is not None:
            shutil.copytree(args.data, work / "data")  # a copy: migrate writes to its source
        else:
            generate(work / "data", params)
        cluster.start()
        figures = measure(work / "data", cluster.new_database())
        for run, f in figures.items():
            print(
                f"migrate {run}: {args.messages:,} messages in {f['seconds']} s "
                f"({f['per_second']:,}/s): {f['copied']:,} copied, {f['already']:,} already there"
            )
            if run == "first":
                print(f"  each {STEP:,} in turn, msg/s: {', '.join(map(str, f['steps']))}")
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
