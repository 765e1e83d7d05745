"""Faults on the shared store, on the tests' real PostgreSQL server (issue #11, "Faults"): `serve`
killed mid-burst, a LISTEN connection a router drops without a word, and the database server
stopped and started under load. Nothing acknowledged is lost, nothing is stored or handed on
twice, and everything resumes by itself."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.receiver.test_listen_cli import post_all
from tests.services.test_serve import OWN, PEER, serve, stop
from tests.services.test_serve_pg import shared
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.sandbox.webhook import body as webhook_body

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

BURST, CONCURRENCY, KILL_AFTER = 2000, 50, 600


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox((DEMO_ACCOUNT,))) as running:
        yield running


def stored(url: str) -> Counter[str]:
    return Counter(m.provider_id for m in shared(url))


@pytest.mark.slow
def test_serve_killed_mid_burst_keeps_every_acknowledged_webhook_once(sandbox, tmp_path, pg_url):
    docs = [
        webhook_body(PEER, OWN, f"burst {i}", mdr_id=f"mdr-k-{i:05d}", ts=1716204585 + i)
        for i in range(BURST)
    ]
    first = serve(tmp_path / "a", sandbox, "--database", pg_url)
    try:
        url = first.webhook_url()
        acked = asyncio.run(
            post_all(url, docs, kill_after=KILL_AFTER, pid=first.proc.pid, concurrency=CONCURRENCY)
        )
    finally:
        first.kill()
    assert first.proc.returncode == -signal.SIGKILL
    assert KILL_AFTER <= len(acked) < BURST, "the kill did not land mid-burst"
    ids = stored(pg_url)
    assert acked <= set(ids), f"{len(acked - set(ids))} acknowledged webhooks lost"
    assert max(ids.values()) == 1

    # Restarted, the provider delivers again everything that was not answered 200.
    second = serve(tmp_path / "b", sandbox, "--database", pg_url)
    try:
        url = second.webhook_url()
        again = [d for d in docs if d["mdr_id"] not in acked]
        assert asyncio.run(post_all(url, again, concurrency=CONCURRENCY)) == {
            d["mdr_id"] for d in again
        }
        assert stop(second) == 0, second.stderr
    finally:
        second.kill()
    ids = stored(pg_url)
    assert set(ids) == {d["mdr_id"] for d in docs} and max(ids.values()) == 1
    assert "Traceback" not in second.stderr
