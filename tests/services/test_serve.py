"""`voipdesk serve` as a real process: it receives like `listen` and sends the outbox (what
`voipdesk send` left queued, scheduled messages when due), each message at most once, against the
sandbox over real HTTP."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal
import socket
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.receiver.test_listen_cli import ListenProcess
from tests.store import damaged
from tests.test_cli import closed_port_url, send
from voipdesk.cli import build_parser
from voipdesk.core.models import Direction, Status
from voipdesk.instance import EXIT_RUNNING
from voipdesk.sandbox import DEMO_ACCOUNT, SandboxThread
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.settings import Settings
from voipdesk.store import Store, database_path

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.usefixtures("clean_sandbox"),  # (tests/services/conftest.py)
]

OWN, PEER = "+447700900001", "+447700900100"


def serve(data_dir: Path, sandbox: SandboxThread, *extra: str, **env: str) -> ListenProcess:
    credentials = {
        "VOIPDESK_API_URL": sandbox.send_url,
        "VOIPDESK_ACCOUNT_ID": DEMO_ACCOUNT.account_id,
        "VOIPDESK_API_TOKEN": DEMO_ACCOUNT.api_token,
    }
    return ListenProcess(
        data_dir, "--port", "0", *extra, command=("voipdesk", "serve"), **{**credentials, **env}
    )


def stop(process: ListenProcess) -> int:
    process.proc.send_signal(signal.SIGTERM)
    return process.finish(10)


def outgoing(data_dir: Path) -> list:
    with Store(database_path(data_dir)) as store:
        return [m for m in store.all_messages() if m.direction is Direction.OUT]


def sent(sandbox: SandboxThread) -> list:
    return sandbox.call(lambda: list(sandbox.sandbox.sent))


def requests(sandbox: SandboxThread) -> list:
    return sandbox.call(lambda: list(sandbox.sandbox.requests))


def wait_for(condition: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "it did not happen in time"
        time.sleep(0.05)


def test_serve_prints_its_webhook_and_stores_a_webhook_once(sandbox, tmp_path):
    server = serve(tmp_path, sandbox)
    try:
        url = server.webhook_url()
        assert url.startswith("http://127.0.0.1:") and "/webhook/" in url
        doc = webhook_body(PEER, OWN, "hello serve", mdr_id="mdr-serve-1", ts=1716204585)
        with httpx.Client(timeout=10) as client:
            assert client.post(url, json=doc).status_code == 200
            assert client.post(url, json=doc).status_code == 200  # redelivered
            assert client.post(url.rsplit("/", 1)[0] + "/wrong", json=doc).status_code == 404
        assert server.next_line() == f"{PEER} -> {OWN}: hello serve"
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
    with Store(database_path(tmp_path)) as store:
        [message] = store.all_messages()
    assert (message.body, message.provider_id) == ("hello serve", "mdr-serve-1")


def test_a_message_send_left_queued_is_sent_once_by_serve(sandbox, tmp_path):
    result = send(tmp_path, closed_port_url(), "--from", OWN, "--to", PEER, "queued", "one")
    assert result.returncode == 75, result.stderr
    [queued] = outgoing(tmp_path)
    assert queued.status is Status.PENDING
    # Its retry time (send's backoff, ~20 s) has come: moved here rather than waited for.
    with sqlite3.connect(database_path(tmp_path)) as conn:
        conn.execute("UPDATE messages SET next_attempt_at = 0 WHERE id = ?", (queued.id,))
    conn.close()

    server = serve(tmp_path, sandbox)
    try:
        server.webhook_url()
        wait_for(lambda: outgoing(tmp_path)[0].status is Status.QUEUED)
        time.sleep(2.5)  # another poll round: nothing more goes out
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
    [accepted] = sent(sandbox)
    assert (accepted.sender, accepted.to, accepted.body) == (OWN, PEER, "queued one")
    [message] = outgoing(tmp_path)
    assert message.provider_id == accepted.id
    assert f"{OWN} -> {PEER}: [queued] queued one" in server.rest()


def test_a_scheduled_message_is_sent_once_at_its_time(sandbox, tmp_path):
    server = serve(tmp_path, sandbox)
    try:
        server.webhook_url()
        at = dt.datetime.now().astimezone() + dt.timedelta(seconds=3)
        result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "--at",
                      at.isoformat(timespec="seconds"), "later")  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert sent(sandbox) == []
        wait_for(lambda: sent(sandbox))
        assert requests(sandbox)[0]["time"] >= at.timestamp() - 1  # not before its time
        time.sleep(2.5)
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
    assert len(sent(sandbox)) == 1
    [message] = outgoing(tmp_path)
    assert (message.status, message.body) == (Status.QUEUED, "later")


def test_a_send_in_flight_at_sigkill_is_unknown_and_never_resent(sandbox, tmp_path):
    sandbox.inject("delay", seconds=30)  # the provider takes the request and does not answer
    server = serve(tmp_path, sandbox)
    try:
        server.webhook_url()
        at = dt.datetime.now().astimezone() + dt.timedelta(seconds=2)
        result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "--at",
                      at.isoformat(timespec="seconds"), "in flight")  # fmt: skip
        assert result.returncode == 0, result.stderr
        wait_for(lambda: requests(sandbox))
        assert outgoing(tmp_path)[0].status is Status.SENDING
        server.proc.kill()
    finally:
        server.kill()

    again = serve(tmp_path, sandbox)
    try:
        again.webhook_url()
        wait_for(lambda: outgoing(tmp_path)[0].status is Status.UNKNOWN)
        time.sleep(2.5)  # a poll round later: still not resent
        assert stop(again) == 0, again.stderr
    finally:
        again.kill()
    assert len(requests(sandbox)) == 1
    assert "may or may not have been sent" in again.stderr


def test_sigterm_stops_it_within_10_s_while_a_send_waits(sandbox, tmp_path):
    sandbox.inject("delay", seconds=30)
    server = serve(tmp_path, sandbox)
    try:
        server.webhook_url()
        at = dt.datetime.now().astimezone() + dt.timedelta(seconds=2)
        result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "--at",
                      at.isoformat(timespec="seconds"), "slow")  # fmt: skip
        assert result.returncode == 0, result.stderr
        wait_for(lambda: requests(sandbox))
        server.proc.send_signal(signal.SIGTERM)
        assert server.finish(10) == 0, server.stderr  # finish() raises after 10 s
    finally:
        server.kill()


def test_a_second_serve_on_the_folder_exits_4_naming_the_first(sandbox, tmp_path):
    first = serve(tmp_path, sandbox)
    try:
        first.webhook_url()
        second = serve(tmp_path, sandbox)
        assert second.finish() == EXIT_RUNNING
        assert f"`voipdesk serve` (process {first.proc.pid}, started " in second.stderr
        assert stop(first) == 0, first.stderr
    finally:
        first.kill()


def test_the_app_on_a_folder_serve_runs_on_exits_4_and_says_how_to_stop_serve(sandbox, tmp_path):
    from tests.app.test_single_instance import _second_start

    data = tmp_path / "data"
    server = serve(data, sandbox)
    try:
        server.webhook_url()
        code, err, _took = _second_start(data)
        assert code == EXIT_RUNNING
        assert f"`voipdesk serve` (process {server.proc.pid}, started " in err
        assert "systemctl stop voipdesk-serve" in err
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()


def test_the_heartbeat_advances(sandbox, tmp_path):
    server = serve(tmp_path, sandbox, VOIPDESK_HEARTBEAT_SECONDS="0.2")
    try:
        server.webhook_url()

        def seen() -> float:
            with Store(database_path(tmp_path)) as store:
                beat = store.last_heartbeat()
            return beat.seen_at if beat is not None else 0.0

        wait_for(seen)
        first = seen()
        wait_for(lambda: seen() > first)
        with Store(database_path(tmp_path)) as store:
            beat = store.last_heartbeat()
        assert beat is not None and beat.pid == server.proc.pid
        assert beat.started_at <= first < beat.seen_at
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()


def test_without_a_token_it_receives_and_says_why_it_does_not_send(sandbox, tmp_path):
    server = serve(tmp_path, sandbox, VOIPDESK_API_TOKEN="")
    try:
        server.webhook_url()
        assert stop(server) == 0
    finally:
        server.kill()
    assert "sending is off: no VoIP Number API token" in server.stderr
    assert "no system keyring" in server.stderr


def test_on_a_damaged_database_it_keeps_running_answers_503_and_says_why(sandbox, tmp_path):
    path = damaged.make(tmp_path, where="middle")
    before = path.read_bytes()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = Settings.load(tmp_path).webhook_secret  # made and saved now
    server = ListenProcess(tmp_path, "--port", str(port), command=("voipdesk", "serve"))
    try:
        url = f"http://127.0.0.1:{port}/webhook/{secret}"
        doc = webhook_body(PEER, OWN, "into a damaged file", mdr_id="mdr-damaged", ts=1716204585)

        def answered() -> int | None:
            with contextlib.suppress(httpx.HTTPError), httpx.Client(timeout=10) as client:
                return client.post(url, json=doc).status_code
            return None

        wait_for(lambda: answered() == 503)
        time.sleep(1.0)
        assert server.proc.poll() is None  # still running: its service does not restart
        assert answered() == 503  # never 200: nothing can be stored
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
    assert server.rest() == []  # it never printed a webhook line
    assert server.stderr.startswith("voipdesk: receiving stopped.")
    assert "is damaged" in server.stderr and "voipdesk repair" in server.stderr
    assert "answers every webhook 503 and sends nothing" in server.stderr
    assert "Traceback" not in server.stderr
    assert path.read_bytes() == before


def test_the_systemd_unit_runs_serve_and_stops_it_with_sigterm():
    unit = (
        Path(__file__).resolve().parents[2] / "resources" / "voipdesk-serve.service"
    ).read_text()
    lines = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and line[0] != "#")
    command = lines["ExecStart"].split()
    args = build_parser().parse_args(command[1:])  # voipdesk accepts what the unit runs
    assert args.command == "serve"
    assert lines["KillSignal"] == "SIGTERM" and int(lines["TimeoutStopSec"]) > 10
    assert lines["Restart"] == "on-failure"
    assert lines["User"] != "root" and lines["EnvironmentFile"].startswith("/etc/")
