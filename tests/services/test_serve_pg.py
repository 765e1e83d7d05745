"""`voipdesk serve --database postgresql://...` as a real process on the tests' private PostgreSQL
server, against the sandbox over real HTTP: it stores webhooks in the shared store under every
rule of the listener, every serve on one database answers on the same path and stores a
redelivered webhook once, it sends the shared outbox once, and it rides out the database
server going away (503 meanwhile, never 200 without a commit) and coming back."""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.pg_support import TESTS_DB
from tests.services.test_serve import (
    OWN,
    PEER,
    requests,
    sent,
    serve,
    stop,
    wait_for,
)
from tests.test_cli import closed_port_url, send
from voipdesk.core.models import Direction, Status
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import database_path, open_store
from voipdesk.store.choice import ENV

pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals"),
    pytest.mark.usefixtures("clean_sandbox"),  # (tests/services/conftest.py)
]


def shared(url: str) -> list:
    with open_store(url) as store:
        return list(store.all_messages())


def post(url: str, doc: dict) -> int | None:
    """The status the listener answered (None: no answer)."""
    with contextlib.suppress(httpx.HTTPError), httpx.Client(timeout=20) as client:
        return client.post(url, json=doc).status_code
    return None


def outgoing(url: str) -> list:
    return [m for m in shared(url) if m.direction is Direction.OUT]


def queue_for_serve(desk: Path, url: str, text: str) -> None:
    """`voipdesk send --database url` that cannot reach VoIP Number: the message waits in the
    shared outbox (exit 75), its retry time moved to now rather than waited for (send's
    backoff, ~20 s)."""
    result = send(desk, closed_port_url(), "--database", url, "--from", OWN, "--to", PEER, text)
    assert result.returncode == 75, result.stderr
    queued = [m for m in outgoing(url) if m.body == text]
    assert [m.status for m in queued] == [Status.PENDING]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE messages SET next_attempt_at = 0 WHERE id = %s", (queued[0].id,))


def test_a_webhook_is_stored_once_in_the_shared_store_and_answered_200(sandbox, tmp_path, pg_url):
    server = serve(tmp_path, sandbox, "--database", pg_url)
    try:
        url = server.webhook_url()
        doc = webhook_body(PEER, OWN, "hello shared", mdr_id="mdr-pg-1", ts=1716204585)
        assert post(url, doc) == 200
        assert post(url, doc) == 200  # redelivered
        assert post(url.rsplit("/", 1)[0] + "/wrong", doc) == 404
        with httpx.Client(timeout=10) as client:
            assert client.put(url, json=doc).status_code == 405
            assert client.post(url, content=b"not json").status_code == 400
            assert client.post(url, content=b"x" * (2 << 20)).status_code == 413
        assert server.next_line() == f"{PEER} -> {OWN}: hello shared"
        [message] = shared(pg_url)
        assert (message.body, message.provider_id) == ("hello shared", "mdr-pg-1")
        with open_store(pg_url) as store:
            beat = store.last_heartbeat()
        assert beat is not None and beat.pid == server.proc.pid  # in the shared store
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
    assert not database_path(tmp_path).exists()  # the data folder keeps no messages
    assert "Traceback" not in server.stderr


def test_two_serves_on_one_database_answer_on_one_path_and_store_a_redelivery_once(
    sandbox,
    tmp_path,
    pg_url,
):
    first = serve(tmp_path / "a", sandbox, "--database", pg_url)
    second = serve(tmp_path / "b", sandbox, **{ENV: pg_url})  # from the environment
    try:
        url_a, url_b = first.webhook_url(), second.webhook_url()
        secret = url_a.rsplit("/", 1)[1]
        assert url_b.rsplit("/", 1)[1] == secret and url_a != url_b  # other ports, one path
        doc = webhook_body(PEER, OWN, "to the team", mdr_id="mdr-pg-2", ts=1716204586)
        assert post(url_a, doc) == 200
        assert post(url_b, doc) == 200  # the provider delivers it again, to the other server
        assert stop(first) == 0, first.stderr
        assert stop(second) == 0, second.stderr
    finally:
        first.kill()
        second.kill()
    [message] = shared(pg_url)
    assert (message.body, message.provider_id) == ("to the team", "mdr-pg-2")
    # The secret lives in the database, not in either data folder's settings.
    for folder in (tmp_path / "a", tmp_path / "b"):
        settings = folder / "settings.json"
        assert not settings.exists() or secret not in settings.read_text()


def test_a_message_send_left_in_the_shared_outbox_is_sent_once_by_two_serves(
    sandbox,
    tmp_path,
    pg_url,
):
    queue_for_serve(tmp_path / "desk", pg_url, "queued for the server")

    servers = [serve(tmp_path / name, sandbox, "--database", pg_url) for name in "ab"]
    try:
        for server in servers:
            server.webhook_url()
        wait_for(lambda: shared(pg_url)[0].status is Status.QUEUED)
        wait_for(lambda: len(requests(sandbox)) >= 1)
        time.sleep(2.5)  # another poll round of each: nothing more goes out
        for server in servers:
            assert stop(server) == 0, server.stderr
    finally:
        for server in servers:
            server.kill()
    [accepted] = sent(sandbox)
    assert len(requests(sandbox)) == 1
    assert (accepted.sender, accepted.to, accepted.body) == (OWN, PEER, "queued for the server")
    [message] = shared(pg_url)
    assert (message.direction, message.provider_id) == (Direction.OUT, accepted.id)


# -- the database server going away: a cluster of this test's own -------------------------------
# (own_cluster: tests/conftest.py)
DOWN = "cannot reach the shared database"
BACK = "the message database works again"


def test_while_the_database_is_stopped_webhooks_get_503_then_it_resumes_by_itself(
    sandbox,
    tmp_path,
    own_cluster,
):
    url = own_cluster.url(TESTS_DB)
    server = serve(tmp_path, sandbox, "--database", url, VOIPDESK_HEARTBEAT_SECONDS="0.5")
    try:
        hook = server.webhook_url()
        assert post(hook, webhook_body(PEER, OWN, "before", mdr_id="m-1", ts=1716204501)) == 200

        own_cluster.halt()
        while_down = webhook_body(PEER, OWN, "while down", mdr_id="m-2", ts=1716204502)
        assert post(hook, while_down) == 503  # never 200: it cannot be stored
        assert server.proc.poll() is None  # still running
        own_cluster.resume()
        # Stored once the database is back (the provider would deliver it again).
        wait_for(lambda: post(hook, while_down) == 200, timeout=30)
        assert post(hook, webhook_body(PEER, OWN, "after", mdr_id="m-3", ts=1716204503)) == 200
        # Sending goes on too: what a desk leaves in the outbox now is sent, once.
        queue_for_serve(tmp_path / "desk", url, "sent after the outage")
        wait_for(lambda: len(sent(sandbox)) == 1)
        wait_for(lambda: outgoing(url)[0].status is Status.QUEUED)
        assert server.proc.poll() is None

        own_cluster.halt()  # stopped again, and serve is stopped while it is
        server.proc.send_signal(signal.SIGTERM)
        assert server.finish(10) == 0, server.stderr  # finish() raises after 10 s
    finally:
        server.kill()
    own_cluster.resume()
    assert [m.body for m in shared(url)] == [
        "before", "while down", "after", "sent after the outage"
    ]  # fmt: skip
    assert len(requests(sandbox)) == 1
    err = server.stderr
    assert err.count(DOWN) >= 1 and err.count(BACK) == 1
    assert err.index(DOWN) < err.index(BACK)
    assert "webhooks are answered 503" in err and "Traceback" not in err
    # Said once per outage (two outages: the second began before the stop).
    assert err.count("webhooks are answered 503") <= 2


# -- the password --------------------------------------------------------------------------------
def test_a_password_in_the_database_url_on_the_command_line_is_refused(sandbox, tmp_path):
    password = "pw-c2VydmU-secret"
    server = serve(tmp_path, sandbox, "--database", f"postgresql://ana:{password}@db.example/v")
    assert server.finish() == 2
    assert "holds a password" in server.stderr and "PGPASSFILE" in server.stderr
    assert password not in server.stderr and server.rest() == []


def test_a_password_from_the_environment_is_used_and_never_said(
    sandbox, tmp_path, pg_url, pg_cluster
):
    from tests.pg_support import PASSWORD_ROLE, schema_name

    password = "pw-ZW52aXJvbm1lbnQ-secret"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{password}'")
        conn.execute(f"GRANT ALL ON SCHEMA {schema_name(pg_url)} TO {PASSWORD_ROLE}")
    url = pg_url.replace(f"{pg_cluster.user}@", f"{PASSWORD_ROLE}:{password}@")
    try:
        server = serve(tmp_path, sandbox, **{ENV: url})
        try:
            hook = server.webhook_url()
            assert post(hook, webhook_body(PEER, OWN, "hi", mdr_id="m-pw", ts=1716204504)) == 200
            assert stop(server) == 0, server.stderr
        finally:
            server.kill()
        assert [m.body for m in shared(pg_url)] == ["hi"]
        logs = "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*.log*"))
        assert password not in server.stderr + logs + "".join(server.rest())
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {PASSWORD_ROLE}")
            conn.execute(f"DROP ROLE {PASSWORD_ROLE}")


def test_serve_prunes_the_change_log_of_what_is_older_than_it_keeps(sandbox, tmp_path, pg_url):
    """The change log does not grow for ever: a change older than 30 days goes when serve
    starts (and daily after), the newest stays (numbering goes on)."""
    with open_store(pg_url) as store:
        store.set_contact(PEER, "Ana")
        store.set_contact(PEER, "Ana B")
        store.set_contact(PEER, "Ana C")
        last = store.last_change()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("UPDATE changes SET at = now() - interval '31 days'")
    server = serve(tmp_path, sandbox, "--database", pg_url)
    try:
        server.webhook_url()
        with open_store(pg_url) as store:
            wait_for(lambda: store.oldest_change() == last)
            assert store.last_change() == last
        assert stop(server) == 0, server.stderr
    finally:
        server.kill()
