"""The outbox against the sandbox over real HTTP, with a real store file and a hand-moved clock.

Crash recovery is tested by SIGKILLing a real `voipdesk send` process while its request is in
flight at the sandbox.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from voipdesk.core.models import Message, Status
from voipdesk.outbox import Outbox
from voipdesk.provider.client import VoipNumberClient
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.store import Store, database_path

OWN = "+447700900001"
PEER = "+447700900100"
TOKEN = DEMO_ACCOUNT.api_token
ACCOUNT = DEMO_ACCOUNT.account_id


class Clock:
    """A clock the test moves by hand (the outbox's backoff reads it)."""

    def __init__(self) -> None:
        self.now = 1_716_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox()) as running:
        yield running


@pytest.fixture
def store(tmp_path) -> Iterator[Store]:
    with Store(database_path(tmp_path)) as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


def run_outbox(
    store: Store,
    url: str,
    fn: Callable[[Outbox], Awaitable[Any]],
    *,
    token: str = TOKEN,
    timeout: float = 5.0,
    **outbox_kwargs: Any,
) -> Any:
    """Build an Outbox on a real httpx client inside a fresh loop, run fn(outbox), close all."""

    async def go() -> Any:
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout)) as http:
            client = VoipNumberClient(http, url=url, account_id=ACCOUNT, api_token=token)
            return await fn(Outbox(store, client, **outbox_kwargs))

    return asyncio.run(go())


def sent_bodies(sandbox: SandboxThread) -> list[str]:
    return [s.body for s in sandbox.sandbox.sent]


# -- outcomes of one send -------------------------------------------------------------------------
def test_success_stores_the_provider_id_and_queued(sandbox, store, clock):
    changes: list[Message] = []
    msg = run_outbox(
        store,
        sandbox.send_url,
        lambda o: o.send(OWN, PEER, "hello"),
        clock=clock,
        on_change=changes.append,
    )
    [sent] = sandbox.sandbox.sent
    assert (msg.status, msg.provider_id, msg.provider_ts) == (
        Status.QUEUED,
        sent.id,
        sent.timestamp_s,
    )
    assert (msg.error_code, msg.error_text, msg.attempts) == (None, None, 1)
    assert sent.id in msg.raw
    assert store.message(msg.id) == msg  # what was returned is what is stored
    assert [m.status for m in changes] == [Status.SENDING, Status.QUEUED]


def test_a_provider_error_fails_the_message_with_its_sentence(sandbox, store, clock):
    async def go(outbox: Outbox) -> tuple[Message, list[Message]]:
        msg = await outbox.send("+447700900999", PEER, "from a number that is not ours")
        clock.now += 10_000
        return msg, await outbox.retry_due()

    msg, retried = run_outbox(store, sandbox.send_url, go, clock=clock)
    assert (msg.status, msg.error_code) == (Status.FAILED, "NUMBER_NOT_FOUND")
    assert "+44 7700 900999" in msg.error_text and "Settings" in msg.error_text
    assert retried == []
    assert len(sandbox.sandbox.requests) == 1  # never retried automatically


def test_credentials_error_pauses_and_resume_sends_exactly_once(sandbox, store, clock):
    async def go(outbox: Outbox) -> None:
        first = await outbox.send(OWN, PEER, "first")
        assert (first.status, first.error_code) == (Status.PENDING, "API_TOKEN_INVALID")
        assert first.next_attempt_at is None
        assert "API token" in first.error_text
        assert outbox.paused is not None and outbox.paused.code == "API_TOKEN_INVALID"
        # While paused nothing goes out: a new message waits, retries do nothing.
        second = await outbox.send(OWN, PEER, "second")
        assert (second.status, second.error_code) == (Status.PENDING, "API_TOKEN_INVALID")
        clock.now += 100_000
        assert await outbox.retry_due() == []
        assert len(sandbox.sandbox.requests) == 1
        # The user fixes Settings.
        outbox.client.api_token = TOKEN
        outbox.resume()
        done = await outbox.retry_due()
        assert [(m.body, m.status) for m in done] == [
            ("first", Status.QUEUED),
            ("second", Status.QUEUED),
        ]
        assert await outbox.retry_due() == []

    run_outbox(store, sandbox.send_url, go, clock=clock, token="stale-token")
    assert sent_bodies(sandbox) == ["first", "second"]
    assert [m.status for m in store.all_messages()] == [Status.QUEUED, Status.QUEUED]


def test_credentials_error_without_hold_fails_the_message(sandbox, store, clock):
    msg = run_outbox(
        store,
        sandbox.send_url,
        lambda o: o.send(OWN, PEER, "x"),
        token="",
        clock=clock,
        hold_on_credentials=False,
    )
    assert (msg.status, msg.error_code) == (Status.FAILED, "API_TOKEN_MISSING")


def test_transient_errors_back_off_and_retry_when_due(sandbox, store, clock):
    sandbox.inject("http503", 2)

    async def go(outbox: Outbox) -> None:
        msg = await outbox.send(OWN, PEER, "patience")
        assert (msg.status, msg.error_code) == (Status.PENDING, "UNREACHABLE")
        assert "will try again" in msg.error_text
        first_delay = msg.next_attempt_at - clock.now
        assert 4.0 <= first_delay <= 5.0  # base 5 s, jitter down to 80 %
        clock.now += first_delay - 0.01
        assert await outbox.retry_due() == []  # not yet due
        clock.now += 0.01
        [msg] = await outbox.retry_due()
        assert (msg.status, msg.attempts) == (Status.PENDING, 2)
        second_delay = msg.next_attempt_at - clock.now
        assert second_delay > first_delay and 8.0 <= second_delay <= 10.0
        clock.now = msg.next_attempt_at
        [msg] = await outbox.retry_due()
        assert (msg.status, msg.attempts, msg.error_code) == (Status.QUEUED, 3, None)
        assert msg.provider_id == sandbox.sandbox.sent[0].id
        clock.now += 10_000
        assert await outbox.retry_due() == []

    run_outbox(store, sandbox.send_url, go, clock=clock)
    assert sent_bodies(sandbox) == ["patience"]
    assert len(sandbox.sandbox.requests) == 3


def test_a_4xx_that_is_not_json_fails_the_message_and_is_never_retried(sandbox, store, clock):
    sandbox.inject("http404", 5)

    async def go(outbox: Outbox) -> None:
        msg = await outbox.send(OWN, PEER, "wrong endpoint")
        assert (msg.status, msg.error_code) == (Status.FAILED, "HTTP_404")
        assert msg.error_text.startswith("The provider rejected the request (HTTP 404)")
        assert outbox.paused is None  # one refused request does not stop the outbox
        clock.now += 100_000
        assert await outbox.retry_due() == []
        assert await outbox._db(store.next_retry_at) is None  # nothing left to retry
        assert store.outbox() == []

    run_outbox(store, sandbox.send_url, go, clock=clock)
    assert len(sandbox.sandbox.requests) == 1
    assert sandbox.sandbox.sent == []


@pytest.mark.parametrize("kind", ["http408", "http429", "http503"])
def test_408_429_and_5xx_without_json_stay_transient(sandbox, store, clock, kind):
    sandbox.inject(kind)

    async def go(outbox: Outbox) -> None:
        msg = await outbox.send(OWN, PEER, "later")
        assert (msg.status, msg.error_code) == (Status.PENDING, "UNREACHABLE")
        clock.now = msg.next_attempt_at
        [msg] = await outbox.retry_due()
        assert msg.status is Status.QUEUED

    run_outbox(store, sandbox.send_url, go, clock=clock)
    assert sent_bodies(sandbox) == ["later"]


@pytest.mark.parametrize("kind", ["garbage", "wrongshape"])
def test_an_unreadable_2xx_is_sent_once_with_a_note(sandbox, store, clock, kind):
    # A 2xx is an acceptance: the provider has it, so it must never go out a second time.
    sandbox.inject(kind, 5)  # a resend would be taken again

    async def go(outbox: Outbox) -> Message:
        msg = await outbox.send(OWN, PEER, "only once")
        clock.now += 100_000
        assert await outbox.retry_due() == []
        assert await outbox.resend(msg.id) is None  # not even on request: it is sent
        assert await outbox.recover() == []
        return msg

    msg = run_outbox(store, sandbox.send_url, go, clock=clock)
    assert (msg.status, msg.provider_id, msg.error_code) == (Status.QUEUED, None, None)
    assert msg.error_text == "VoIP Number accepted it but gave no message id"
    assert store.message(msg.id) == msg and store.outbox() == []
    assert len(sandbox.sandbox.requests) == 1
    assert sent_bodies(sandbox) == ["only once"]


@pytest.mark.parametrize(
    ("header", "wait", "words"),
    [("1800", 1800.0, "30 minutes"), ("86400", 3600.0, "1 hour"), ("30", 30.0, "30 seconds")],
)
def test_retry_after_holds_the_retries_that_long(sandbox, store, clock, header, wait, words):
    sandbox.inject("http503", retry_after="")  # an early retry for the first message...
    sandbox.inject("http429", retry_after=header)  # ...then the provider asks to wait

    async def go(outbox: Outbox) -> None:
        first = await outbox.send(OWN, PEER, "first")
        assert 4.0 <= first.next_attempt_at - clock.now <= 5.0  # plain backoff
        second = await outbox.send(OWN, PEER, "second")
        assert second.status is Status.PENDING
        assert second.next_attempt_at == clock.now + wait  # more than the backoff
        assert f"VoIP Number asked voipdesk to wait {words}" in second.error_text
        clock.now += 10  # the first one's own time has come, but the provider said wait
        assert await outbox.retry_due() == []
        clock.now = second.next_attempt_at - 0.01
        assert await outbox.retry_due() == []
        assert len(sandbox.sandbox.requests) == 2
        clock.now = second.next_attempt_at
        done = await outbox.retry_due()
        assert sorted((m.body, m.status) for m in done) == [
            ("first", Status.QUEUED),
            ("second", Status.QUEUED),
        ]

    run_outbox(store, sandbox.send_url, go, clock=clock)
    assert sorted(sent_bodies(sandbox)) == ["first", "second"]


def test_the_retry_loop_waits_for_retry_after_as_the_provider_sees_it(sandbox, store):
    # A tiny backoff: only Retry-After can keep the second request a second away.
    sandbox.inject("http429", retry_after="1")

    async def go(outbox: Outbox) -> Message:
        msg = await outbox.send(OWN, PEER, "when allowed")
        runner = asyncio.create_task(outbox.run())
        try:
            deadline = time.monotonic() + 5
            while store.message(msg.id).status is not Status.QUEUED:
                assert time.monotonic() < deadline, "the loop never retried"
                await asyncio.sleep(0.02)
        finally:
            runner.cancel()
            with pytest.raises(asyncio.CancelledError):
                await runner
        return store.message(msg.id)

    msg = run_outbox(store, sandbox.send_url, go, backoff=(0.05, 0.1))
    assert msg.status is Status.QUEUED
    first, second = (r["time"] for r in sandbox.sandbox.requests)
    assert 1.0 <= second - first < 2.5


def test_backoff_is_capped(store):
    outbox = Outbox(store, None, backoff=(5.0, 900.0))  # type: ignore[arg-type]
    delays = [outbox.delay_for(n) for n in range(1, 30)]
    assert max(delays) <= 900.0
    assert delays[-1] >= 900.0 * 0.8
    assert outbox.delay_for(1) <= outbox.delay_for(2) <= outbox.delay_for(3)


def unreachable_url() -> str:
    """A send URL on a loopback port nothing listens on (bound, then let go)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/v1/sms/send"


def test_unreachable_provider_is_pending(store, clock):
    url = unreachable_url()
    msg = run_outbox(store, url, lambda o: o.send(OWN, PEER, "nobody home"), clock=clock)
    assert (msg.status, msg.error_code) == (Status.PENDING, "UNREACHABLE")
    assert msg.next_attempt_at > clock.now


def test_a_send_that_fails_is_logged_with_its_reason_and_no_secret(store, clock, caplog):
    url = unreachable_url()
    with caplog.at_level("INFO", logger="voipdesk.outbox"):
        msg = run_outbox(store, url, lambda o: o.send(OWN, PEER, "nobody home"), clock=clock)
    [record] = [r for r in caplog.records if r.name == "voipdesk.outbox"]
    assert f"message {msg.id}" in record.getMessage() and "UNREACHABLE" in record.getMessage()
    assert "could not be reached" in record.getMessage()
    assert TOKEN not in caplog.text and "nobody home" not in caplog.text


@pytest.mark.parametrize("kind", ["drop", "accept_then_drop", "delay"])
def test_ambiguous_is_unknown_never_retried_but_resent_on_request(sandbox, store, clock, kind):
    sandbox.inject(kind, seconds=2.0)

    async def go(outbox: Outbox) -> None:
        msg = await outbox.send(OWN, PEER, "did it go?")
        assert (msg.status, msg.error_code) == (Status.UNKNOWN, "NO_ANSWER")
        assert "may or may not have been sent" in msg.error_text
        clock.now += 100_000
        assert await outbox.retry_due() == []
        assert len(sandbox.sandbox.requests) == 1
        # The user chose to send it again.
        again = await outbox.resend(msg.id)
        assert (again.id, again.status, again.attempts) == (msg.id, Status.QUEUED, 2)
        assert await outbox.resend(msg.id) is None  # already accepted: nothing to resend

    run_outbox(store, sandbox.send_url, go, clock=clock, timeout=0.3)
    expected = 2 if kind == "accept_then_drop" else 1  # the user's own choice to risk it
    assert len(sandbox.sandbox.sent) <= expected


def test_resend_of_a_failed_message_after_editing_settings(sandbox, store, clock):
    async def go(outbox: Outbox) -> None:
        msg = await outbox.send("+447700900999", PEER, "x")
        assert msg.status is Status.FAILED
        # Resending as is fails again, with the same sentence.
        again = await outbox.resend(msg.id)
        assert (again.status, again.error_code, again.attempts) == (
            Status.FAILED,
            "NUMBER_NOT_FOUND",
            2,
        )

    run_outbox(store, sandbox.send_url, go, clock=clock)


def test_discard_removes_the_message(sandbox, store, clock):
    sandbox.inject("drop")

    async def go(outbox: Outbox) -> None:
        msg = await outbox.send(OWN, PEER, "forget it")
        await outbox.discard(msg.id)
        assert store.message(msg.id) is None
        assert await outbox.resend(msg.id) is None

    run_outbox(store, sandbox.send_url, go, clock=clock)


def test_an_unexpected_error_does_not_leave_the_message_sending(store, clock):
    # A port number above 65535 makes httpx raise an ExceptionGroup, not an httpx error.
    msg = run_outbox(
        store, "http://127.0.0.1:99999/v1/sms/send", lambda o: o.send(OWN, PEER, "x"), clock=clock
    )
    assert (msg.status, msg.error_code) == (Status.UNKNOWN, "SEND_ERROR")
    assert "Settings" in msg.error_text


# -- store before send ------------------------------------------------------------------------
def test_the_message_is_committed_before_the_request_reaches_the_provider(sandbox, tmp_path):
    path = database_path(tmp_path)
    sandbox.inject("delay", seconds=1.0)

    async def go(outbox: Outbox) -> Message:
        task = asyncio.create_task(outbox.send(OWN, PEER, "stored first"))
        deadline = time.monotonic() + 5
        while not sandbox.sandbox.requests and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        [request] = sandbox.sandbox.requests
        assert request["json"]["body"] == "stored first"
        # The request is at the provider; another connection must already see the row.
        with Store(path) as other:
            [row] = list(other.all_messages())
            assert (row.body, row.status) == ("stored first", Status.SENDING)
            assert sandbox.sandbox.sent == []  # still in flight
        return await task

    with Store(path) as store:
        msg = run_outbox(store, sandbox.send_url, go)
    assert msg.status is Status.QUEUED


@pytest.mark.parametrize("fault", ["report_first", None])
def test_a_delivery_report_is_kept_whether_it_comes_before_or_after_the_answer(
    sandbox, tmp_path, fault
):
    # The real listener on its own store connection, as in the app; the sandbox POSTs the
    # report to it over HTTP. report_first: the report is stored (200) before the send answer.
    from voipdesk.receiver.listener import Listener

    path = database_path(tmp_path)
    listener = Listener(path, "s3cret-path-for-this-test")
    listener.start()
    try:
        sandbox.call(sandbox.sandbox.set_webhook, OWN, listener.local_url + listener.webhook_path)
        if fault:
            sandbox.inject(fault)
        with Store(path) as store:
            msg = run_outbox(store, sandbox.send_url, lambda o: o.send(OWN, PEER, "fast"))
            [sent] = sandbox.sandbox.sent
            if fault is None:  # the usual order: answer first, report later
                assert msg.status is Status.QUEUED
                sandbox.call(sandbox.sandbox.report_status, sent.id, "delivered")
                msg = store.message(msg.id)
            assert (msg.status, msg.provider_id) == (Status.DELIVERED, sent.id)
            assert store._read("SELECT count(*) FROM pending_status") == [(0,)]
        [report] = sandbox.sandbox.deliveries
        assert (report.payload["status"], report.status) == ("delivered", 200)
    finally:
        listener.stop()


# -- the retry loop -----------------------------------------------------------------------------
def test_run_retries_pending_messages_in_the_background(sandbox, store):
    sandbox.inject("http500")

    async def go(outbox: Outbox) -> Message:
        msg = await outbox.send(OWN, PEER, "eventually")
        assert msg.status is Status.PENDING
        runner = asyncio.create_task(outbox.run())
        try:
            deadline = time.monotonic() + 5
            while store.message(msg.id).status is not Status.QUEUED:
                assert time.monotonic() < deadline, "the loop never retried"
                await asyncio.sleep(0.02)
            # The loop and a new send share the client and the store without trouble.
            later = await outbox.send(OWN, PEER, "woken")
            assert later.status is Status.QUEUED
            return store.message(msg.id)
        finally:
            runner.cancel()
            with pytest.raises(asyncio.CancelledError):
                await runner

    msg = run_outbox(store, sandbox.send_url, go, backoff=(0.05, 0.1))
    assert msg.status is Status.QUEUED
    assert sent_bodies(sandbox) == ["eventually", "woken"]


def test_resume_while_the_loop_waits_sends_the_held_messages(sandbox, store):
    async def go(outbox: Outbox) -> None:
        msg = await outbox.send(OWN, PEER, "held")
        assert outbox.paused is not None
        runner = asyncio.create_task(outbox.run())
        try:
            await asyncio.sleep(0.2)  # the loop is idle: paused, waiting for resume()
            assert len(sandbox.sandbox.requests) == 1
            outbox.client.api_token = TOKEN
            outbox.resume()
            deadline = time.monotonic() + 5
            while store.message(msg.id).status is not Status.QUEUED:
                assert time.monotonic() < deadline, "resume() did not wake the loop"
                await asyncio.sleep(0.02)
        finally:
            runner.cancel()
            with pytest.raises(asyncio.CancelledError):
                await runner

    run_outbox(store, sandbox.send_url, go, token="wrong")
    assert sent_bodies(sandbox) == ["held"]


# -- crash recovery -----------------------------------------------------------------------------
def cli_env(data_dir: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    env.update(
        VOIPDESK_DATA_DIR=str(data_dir),
        VOIPDESK_API_URL=url,
        VOIPDESK_ACCOUNT_ID=ACCOUNT,
        VOIPDESK_API_TOKEN=TOKEN,
        PYTHONUNBUFFERED="1",
    )
    return env


def start_send(data_dir: Path, url: str, text: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "voipdesk", "send", "--from", OWN, "--to", PEER, text],
        env=cli_env(data_dir, url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def kill_mid_send(sandbox: SandboxThread, data_dir: Path) -> int:
    """Start `voipdesk send`, wait until its request is at the sandbox, SIGKILL it."""
    sandbox.inject("delay", seconds=60.0)  # the answer never comes while the process lives
    proc = start_send(data_dir, sandbox.send_url, "killed mid-send")
    try:
        deadline = time.monotonic() + 15
        while not sandbox.sandbox.requests:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the request never reached the sandbox"
            time.sleep(0.01)
        # In flight: stored as SENDING by the live process, which recovery must not touch.
        with Store(database_path(data_dir)) as other:
            [row] = list(other.all_messages())
            assert row.status is Status.SENDING
            assert other.recover_interrupted() == []
            assert other.message(row.id).status is Status.SENDING
        proc.kill()  # SIGKILL: no cleanup, no finally blocks
    finally:
        proc.kill()
        proc.communicate()  # reaped: its pid names no process now
    assert proc.returncode == -9
    return row.id


def test_killed_mid_send_becomes_unknown_and_is_never_resent(sandbox, tmp_path):
    message_id = kill_mid_send(sandbox, tmp_path)
    clock = Clock()

    async def go(outbox: Outbox) -> None:
        [recovered] = await outbox.recover()
        assert (recovered.id, recovered.status, recovered.error_code) == (
            message_id,
            Status.UNKNOWN,
            "INTERRUPTED",
        )
        assert "may or may not have been sent" in recovered.error_text
        assert await outbox.recover() == []
        clock.now += 1_000_000
        assert await outbox.retry_due() == []

    with Store(database_path(tmp_path)) as store:
        run_outbox(store, sandbox.send_url, go, clock=clock)
        assert store.message(message_id).status is Status.UNKNOWN
    assert len(sandbox.sandbox.requests) == 1
    assert len(sandbox.sandbox.sent) <= 1


def test_the_next_voipdesk_send_recovers_it_and_sends_only_the_new_message(sandbox, tmp_path):
    message_id = kill_mid_send(sandbox, tmp_path)
    proc = start_send(tmp_path, sandbox.send_url, "the next one")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert sent_bodies(sandbox) == ["the next one"]
    assert out.strip() == sandbox.sandbox.sent[0].id
    with Store(database_path(tmp_path)) as store:
        assert store.message(message_id).status is Status.UNKNOWN
        assert [m.status for m in store.all_messages()] == [Status.UNKNOWN, Status.QUEUED]
