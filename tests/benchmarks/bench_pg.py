"""The shared inbox on PostgreSQL (issue #11), each figure beside its baseline in the same run, on
a private PostgreSQL server (tests/pg_support.py's Cluster):

- burst: 2,000 webhooks, 50 at a time, acknowledged by `voipdesk serve --database URL` (stored
  in PostgreSQL before the 200), against the same burst into `voipdesk serve` on a data folder
  (SQLite), best of N rounds each, interleaved (goal ≥ 0.5×);
- webhook → desk: a webhook POSTed to `serve` at ~50 msg/s until a desk's services on the shared
  store (services/shared_inbox.py) tell it as `incoming`, p99, against the POST's own answer
  (the commit at the server), p99 (goal ≤ 50 ms on loopback), at the services level;
- webhook → desk's thread model: the same webhooks until a desk, the real app in a process of
  its own (tests/app/desk_process.py, offscreen), inserts each into its open thread's model
  (the probe stamps rowsInserted with time.perf_counter(): CLOCK_MONOTONIC, one clock for both
  processes), p99, against the POST's own answer (goal ≤ 50 ms on loopback);
- open / search: a generated history (tests/benchmarks/generate.py) copied into PostgreSQL by
  `voipdesk migrate`'s copy (store/pg/local_copy.py), then the newest page of the biggest thread
  (store.messages) and the first page of run.py's searches (store.search), p95, against the
  plain SQL of each through psycopg (goals ≤ 20 ms and ≤ 2× the raw query).

    python -m tests.benchmarks.bench_pg [--quick] [--messages N] [--big-size N] [--only M]
                                        [--data DIR]

The history is 200,000 messages with one 100,000-message thread unless --data names a generated
data dir (e.g. run.py's million, copied first: it is never written to). Copying the million into
PostgreSQL takes about 4 minutes on a 2-core VM (it printed as it goes, with its rate).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `tests.benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.app.desk_support import DeskProcess, desk_folder
from tests.benchmarks import bench_burst, generate
from tests.benchmarks.run import Row
from tests.benchmarks.session import SEARCHES
from tests.pg_support import Cluster, server_bindir
from tests.receiver.test_listen_cli import ListenProcess
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM

ONLY = ("burst", "latency", "model", "open", "search")
OWN, PEER = "+447476553275", "+447445459147"  # bench_burst's numbers: to OWN from PEER


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def _credentials(sandbox: SandboxThread) -> dict[str, str]:
    return {
        "VOIPDESK_API_URL": sandbox.send_url,
        "VOIPDESK_ACCOUNT_ID": DEMO_ACCOUNT.account_id,
        "VOIPDESK_API_TOKEN": DEMO_ACCOUNT.api_token,
        "VOIPDESK_TUNNEL": "none",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


class Serve:
    """`voipdesk serve` as a process of its own (on a data folder, or `--database URL`)."""

    def __init__(self, data_dir: Path, sandbox: SandboxThread, *extra: str) -> None:
        self.process = ListenProcess(
            data_dir,
            "--port",
            "0",
            *extra,
            command=("voipdesk", "serve"),
            **_credentials(sandbox),
        )
        self.url = self.process.webhook_url()

    def stop(self) -> None:
        self.process.proc.send_signal(signal.SIGTERM)
        try:
            self.process.finish(15)
        finally:
            self.process.kill()


# -- 1. burst -------------------------------------------------------------------------------------
def measure_burst(
    row: Row, cluster: Cluster, work: Path, sandbox: SandboxThread, quick: bool
) -> None:
    count, concurrency, rounds = (300, 50, 1) if quick else (2000, 50, 3)
    on_pg = Serve(work / "serve-pg", sandbox, "--database", cluster.new_database())
    on_sqlite = Serve(work / "serve-sqlite", sandbox)
    try:
        # The client runs in its own process, like the provider: it must not share our GIL.
        with concurrent.futures.ProcessPoolExecutor(1) as client:

            def run(url: str, n: int) -> float:
                rate, ok = client.submit(bench_burst._client, url, n, concurrency).result()
                assert ok == n, f"{url} answered 200 to {ok}/{n}"
                return rate

            run(on_pg.url, 100)  # warm-up
            run(on_sqlite.url, 100)
            best_pg = best_sqlite = 0.0
            for _ in range(rounds):
                best_pg = max(best_pg, run(on_pg.url, count))
                best_sqlite = max(best_sqlite, run(on_sqlite.url, count))
    finally:
        on_pg.stop()
        on_sqlite.stop()
    row.figure, row.baseline = best_pg, best_sqlite
    row.note = f"{count:,} webhooks, {concurrency} at a time, best of {rounds}"


# -- 2. webhook at the server → a desk's services -------------------------------------------------
def measure_latency(
    row: Row, cluster: Cluster, work: Path, sandbox: SandboxThread, quick: bool
) -> None:
    count, rate = (60, 50.0) if quick else (1000, 50.0)
    url = cluster.new_database()
    server = Serve(work / "serve-latency", sandbox, "--database", url)
    try:
        desk, answer = asyncio.run(_latency(url, server.url, work / "desk", sandbox, count, rate))
    finally:
        server.stop()
    row.figure, row.baseline = percentile(desk, 99), percentile(answer, 99)
    row.note = (
        f"{len(desk):,} webhooks at {rate:.0f}/s, median {statistics.median(desk) * 1000:.1f} ms;"
        " at the services level"
    )


async def _latency(
    url: str, webhook: str, folder: Path, sandbox: SandboxThread, count: int, rate: float
) -> tuple[list[float], list[float]]:
    from voipdesk.services import Services
    from voipdesk.settings import Settings

    os.environ.update(_credentials(sandbox))
    # Its start-at-login entry (voipdesk/autostart.py) in the run's own folder, never the user's.
    os.environ["XDG_CONFIG_HOME"] = str(folder / "config")
    settings = Settings.load(folder)
    settings.numbers = [OWN]
    settings.api_url = sandbox.send_url
    services = Services(settings, location=url)
    seen: dict[str, float] = {}

    def heard(messages: list) -> None:
        now = time.perf_counter()
        for m in messages:
            seen.setdefault(m.provider_id, now)

    services.incoming.connect(heard)
    await services.start()
    try:
        deadline = time.monotonic() + 30
        while services.shared_inbox.feed.last is None:
            assert time.monotonic() < deadline, "the desk never started following the store"
            await asyncio.sleep(0.02)
        posted, answers = await _post_steadily(webhook, count, rate)
        deadline = time.monotonic() + 30
        while len(seen) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
    finally:
        await services.stop()
    return _delays(posted, seen), answers[WARM:]


WARM = 5  # the first few webhooks: the open connections on both sides


async def _post_steadily(
    webhook: str, count: int, rate: float
) -> tuple[dict[str, float], list[float]]:
    """`count` webhooks POSTed at `rate` a second, each at its own time (not after the one
    before it): {mdr_id: time.perf_counter() as it went}, and how long each answer took."""
    import aiohttp

    posted: dict[str, float] = {}
    answers: list[float] = []
    async with aiohttp.ClientSession() as session:

        async def post(i: int) -> None:
            mdr = str(uuid.uuid4())
            text = f"latency {i} {mdr[:8]}"
            body = webhook_body(PEER, OWN, text, mdr_id=mdr, ts=1716204585 + i)
            posted[mdr] = start = time.perf_counter()
            async with session.post(webhook, json=body) as resp:
                await resp.read()
                assert resp.status == 200, resp.status
            answers.append(time.perf_counter() - start)

        tasks = []
        began = time.perf_counter()
        for i in range(count):
            await asyncio.sleep(max(0.0, began + i / rate - time.perf_counter()))
            tasks.append(asyncio.ensure_future(post(i)))
        await asyncio.gather(*tasks)
    return posted, answers


def _delays(posted: dict[str, float], seen: dict[str, float]) -> list[float]:
    missing = [mdr for mdr in posted if mdr not in seen]
    assert not missing, f"{len(missing)} of {len(posted)} webhooks never reached the desk"
    return [seen[mdr] - posted[mdr] for mdr in list(posted)[WARM:]]


# -- 2b. webhook at the server → a desk's thread model (the app, in a process of its own) -------
def measure_model(
    row: Row, cluster: Cluster, work: Path, sandbox: SandboxThread, quick: bool
) -> None:
    import httpx

    count, rate = (60, 50.0) if quick else (1000, 50.0)
    url = cluster.new_database()
    server = Serve(work / "serve-model", sandbox, "--database", url)
    desk = None
    try:
        # A conversation the desk opens as it starts; the webhooks then go into it.
        first = webhook_body(PEER, OWN, "the thread", mdr_id=str(uuid.uuid4()), ts=1716204584)
        assert httpx.post(server.url, json=first, timeout=20).status_code == 200
        desk = DeskProcess(desk_folder(work / "desk-model", OWN, "Bench"), url, sandbox)
        desk.connect()
        desk.until("its thread open, following the store", lambda s: s["following"] and s["thread"])
        desk.ask("watch")
        posted, answers = asyncio.run(_post_steadily(server.url, count, rate))
        deadline = time.monotonic() + 30
        while len(seen := desk.ask("seen")["seen"]) < count and time.monotonic() < deadline:
            time.sleep(0.1)
        delays = _delays(posted, seen)
    finally:
        if desk is not None:
            desk.kill()
        server.stop()
    row.figure, row.baseline = percentile(delays, 99), percentile(answers[WARM:], 99)
    row.note = (
        f"{len(delays):,} webhooks at {rate:.0f}/s, median {statistics.median(delays) * 1000:.1f}"
        " ms; the app in a process of its own"
    )


# -- 3. open a big thread, search everything ------------------------------------------------------
def load_history(cluster: Cluster, data: Path) -> tuple[str, float, int]:
    """A fresh database holding the generated history of `data` (copied as `voipdesk migrate`
    does); its URL, the seconds the copy took and the messages copied."""
    from voipdesk.store import open_store
    from voipdesk.store.pg.local_copy import copy_local_history

    url = cluster.new_database()
    started = time.perf_counter()
    step = [0]

    def progress(result) -> None:
        if result.done >= step[0] + 100_000:
            step[0] = result.done
            rate = result.done / (time.perf_counter() - started)
            print(f"  copied {result.done:,} ({rate:,.0f}/s so far)", file=sys.stderr, flush=True)

    with open_store(data) as local, open_store(url) as shared:
        result = copy_local_history(local, shared, progress=progress)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    cluster.admin("VACUUM ANALYZE", generate_db_name(url))
    return url, seconds, result.messages


def generate_db_name(url: str) -> str:
    from tests.pg_support import database_name

    return database_name(url)


# The baselines: the rows a page shows, read by plain SQL (the planner's own choices), without
# the store's pool, transaction, planner hints or conversion of rows into messages.
_OPEN_RAW = (
    f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}"
    " WHERE m.conversation_id = %s ORDER BY m.id DESC LIMIT 50"
)
_SEARCH_RAW = (
    f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}"
    " WHERE m.search @@ %s::tsquery ORDER BY m.id DESC LIMIT 50"
)


def measure_open_and_search(open_row: Row, search_row: Row, url: str, quick: bool) -> None:
    import psycopg

    from voipdesk.store import open_store
    from voipdesk.store.pg.search import ts_query

    rounds = 3 if quick else 20
    with psycopg.connect(url) as raw, open_store(url) as store:
        big = raw.execute(
            "SELECT conversation_id, count(*) FROM messages GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
        ).fetchone()
        total = raw.execute("SELECT count(*) FROM messages").fetchone()[0]
        store.messages(big[0])  # warm-up: the pool's connections
        opened, opened_raw = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            page = store.messages(big[0])
            opened.append(time.perf_counter() - start)
            start = time.perf_counter()
            raw.execute(_OPEN_RAW, (big[0],)).fetchall()
            opened_raw.append(time.perf_counter() - start)
        assert len(page) == 50
        searched, searched_raw = [], []
        for _ in range(rounds):
            for text in SEARCHES:
                start = time.perf_counter()
                store.search(text)
                searched.append(time.perf_counter() - start)
                start = time.perf_counter()
                raw.execute(_SEARCH_RAW, (ts_query(text),)).fetchall()
                searched_raw.append(time.perf_counter() - start)
    open_row.figure, open_row.baseline = percentile(opened, 95), percentile(opened_raw, 95)
    open_row.note = f"{big[1]:,}-message thread, p95"
    search_row.figure = percentile(searched, 95)
    search_row.baseline = percentile(searched_raw, 95)
    search_row.note = f"{total:,} messages, {len(SEARCHES)} searches, p95"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smoke run on tiny data")
    parser.add_argument("--only", choices=ONLY)
    parser.add_argument(
        "--data", type=Path, help="a generated data dir (made there when missing; copied from)"
    )
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--conversations", type=int, default=2_000)
    parser.add_argument("--big-size", type=int, default=100_000)
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.conversations, args.big_size = 2_000, 40, 400
    bindir = server_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL server binaries here (see tests/pg_support.py)")

    def under(limit: float):
        return lambda figure, _baseline: figure <= limit

    def ratio(limit: float, at_least: bool = False):
        if at_least:
            return lambda figure, baseline: figure >= limit * baseline
        return lambda figure, baseline: figure <= limit * baseline

    rows = {
        "burst": Row(
            "Burst into PostgreSQL (serve)",
            "msg/s",
            "≥ 0.5× SQLite",
            ratio(0.5, at_least=True),
            baseline_text="into SQLite (serve)",
        ),
        "latency": Row(
            "Webhook → desk's services, p99",
            "ms",
            "≤ 50 ms",
            under(0.050),
            baseline_text="POST answered, p99",
        ),
        "model": Row(
            "Webhook → desk's thread model, p99",
            "ms",
            "≤ 50 ms",
            under(0.050),
            baseline_text="POST answered, p99",
        ),
        "open": Row(
            "Open a big thread (PostgreSQL)",
            "ms",
            "≤ 20 ms, ≤ 2× raw",
            lambda f, b: f <= 0.020 and f <= 2 * b,
            baseline_text="raw SQL",
        ),
        "search": Row(
            "Search (PostgreSQL)",
            "ms",
            "≤ 20 ms, ≤ 2× raw",
            lambda f, b: f <= 0.020 and f <= 2 * b,
            baseline_text="raw SQL",
        ),
    }
    work = Path(tempfile.mkdtemp(prefix="voipdesk-bench-pg-"))
    cluster = Cluster(bindir)
    wanted = [args.only] if args.only else list(ONLY)
    try:
        cluster.start()
        with SandboxThread(Sandbox((DEMO_ACCOUNT,))) as sandbox:
            measures = (
                ("burst", measure_burst),
                ("latency", measure_latency),
                ("model", measure_model),
            )
            for name, measure in measures:
                if name in wanted:
                    _guarded(
                        rows[name],
                        lambda m=measure, r=rows[name]: m(r, cluster, work, sandbox, args.quick),
                    )
        if "open" in wanted or "search" in wanted:
            data = work / "data"
            if args.data is not None and generate.database_path(args.data).exists():
                shutil.copytree(args.data, data)  # a copy: opening a store may write to it
            else:
                params = generate.Params(
                    messages=args.messages,
                    conversations=args.conversations,
                    big_threads=1,
                    big_size=args.big_size,
                )
                generate.generate(data, params, quiet=True)
            url, seconds, copied = load_history(cluster, data)
            print(
                f"copied {copied:,} messages into PostgreSQL in {seconds:.0f} s"
                f" ({copied / seconds:,.0f}/s)",
                file=sys.stderr,
            )
            _guarded(
                rows["open"],
                lambda: measure_open_and_search(rows["open"], rows["search"], url, args.quick),
            )
            if rows["open"].error:
                rows["search"].error = rows["open"].error
    finally:
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("| Measure | Figure | Baseline | Ratio | Goal | Result |")
    print("|---|---|---|---|---|---|")
    for name in ONLY:  # open and search are measured together
        if name in wanted or (name in ("open", "search") and {"open", "search"} & set(wanted)):
            print(rows[name].line())
    return 0


def _guarded(row: Row, measure) -> None:
    try:
        measure()
    except Exception as exc:  # a measure that went wrong is a row that says so
        row.error = f"{type(exc).__name__}: {exc}"[:200]


if __name__ == "__main__":
    sys.exit(main())
