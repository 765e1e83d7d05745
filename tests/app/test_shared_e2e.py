"""End to end on the shared inbox (issue #11): a real `voipdesk serve` process on the tests'
private PostgreSQL server, the sandbox provider over real HTTP, and two desks, each the real app
in a process of its own (offscreen), each connecting as the README tells a desk to (a role of
its own with only the README's grants, the password from PGPASSWORD or a PGPASSFILE, the URL
from VOIPDESK_DATABASE_URL). A probe in each desk (tests/app/desk_process.py) says what its
thread and conversation list models hold and types and sends as a user does.

One server and two desks serve the module's tests, in order: a webhook shows live in both
desks; what desk A sends reaches VoIP Number once and shows in desk B's thread as "Sent by Ana";
with both desks closed, the server stores a webhook and sends what `voipdesk send` left queued,
and a desk started then shows both (with the name of who ran `voipdesk send`)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.app.desk_support import DeskProcess, desk_folder
from tests.pg_support import PASSWORD_ROLE, schema_name
from tests.services.test_serve import OWN, PEER, requests, sent, serve, stop, wait_for
from tests.services.test_serve_pg import queue_for_serve
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.sandbox.webhook import body as webhook_body

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="Unix sockets, POSIX signals")

PASSWORD = "pw-ZTJlIGRlc2tz-secret"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox((DEMO_ACCOUNT,))) as running:
        yield running


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e")  # (short: the desks' probe sockets live in it)


@pytest.fixture(scope="module")
def shared(pg_cluster) -> Iterator[str]:
    """The module's shared database (a schema of its own), as its owner reaches it."""
    url = pg_cluster.new_schema()
    yield url
    pg_cluster.drop_schema(url)


@pytest.fixture(scope="module")
def server(shared, sandbox, folder):
    """`voipdesk serve --database URL`, started first, as the database's owner (README)."""
    running = serve(folder / "serve", sandbox, "--database", shared)
    try:
        running.hook = running.webhook_url()
        yield running
        code = stop(running)
    finally:
        running.kill()
    assert code == 0 and "Traceback" not in running.stderr, running.stderr


@pytest.fixture(scope="module")
def desk_url(shared, server, pg_cluster) -> Iterator[str]:
    """The URL a desk uses: a role of its own with the README's grants only (after serve has
    made the tables), no password in it."""
    schema = schema_name(shared)
    with psycopg.connect(shared, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{PASSWORD}'")
        conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {PASSWORD_ROLE}")
        conn.execute(
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema}"
            f" TO {PASSWORD_ROLE}"
        )
        conn.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema} TO {PASSWORD_ROLE}")
    yield shared.replace(f"{pg_cluster.user}@", f"{PASSWORD_ROLE}@")
    with psycopg.connect(shared, autocommit=True) as conn:
        conn.execute(f"DROP OWNED BY {PASSWORD_ROLE}")
        conn.execute(f"DROP ROLE {PASSWORD_ROLE}")


class Desks:
    """Desk A (Ana: the password in PGPASSWORD) and desk B (Ben: in a PGPASSFILE)."""

    def __init__(self, folder: Path, url: str, sandbox: SandboxThread) -> None:
        self.folder, self.url, self.sandbox = folder, url, sandbox
        self.a = self.b = None
        pgpass = folder / "pgpass"
        pgpass.write_text(f"*:*:*:{PASSWORD_ROLE}:{PASSWORD}\n")
        pgpass.chmod(0o600)
        self.password = {"a": {"PGPASSWORD": PASSWORD}, "b": {"PGPASSFILE": str(pgpass)}}
        desk_folder(folder / "a", OWN, "Ana")
        desk_folder(folder / "b", OWN, "Ben")

    def start(self, *which: str) -> None:
        """Both started at once, then waited for (each until its probe answers)."""
        started = {
            w: DeskProcess(self.folder / w, self.url, self.sandbox, extra_env=self.password[w])
            for w in which
        }
        for w, desk in started.items():
            setattr(self, w, desk)
        for desk in started.values():
            desk.connect()

    def kill(self) -> None:
        for desk in (self.a, self.b):
            if desk is not None:
                desk.kill()


@pytest.fixture(scope="module")
def desks(folder, desk_url, sandbox) -> Iterator[Desks]:
    running = Desks(folder, desk_url, sandbox)
    try:
        yield running
    finally:
        running.kill()  # whatever happened: no desk outlives the module


def post(url: str, text: str, mdr_id: str) -> int:
    doc = webhook_body(PEER, OWN, text, mdr_id=mdr_id, ts=int(time.time()))
    with httpx.Client(timeout=20) as client:
        return client.post(url, json=doc).status_code


def bodies(state: dict) -> list[str]:
    return [row["body"] for row in state["thread"]]


def listed(state: dict) -> list[str]:
    return [c["last_body"] for c in state["conversations"]]


def rows(state: dict, body: str) -> list[dict]:
    return [row for row in state["thread"] if row["body"] == body]


def test_a_webhook_to_the_server_shows_live_in_both_desks(server, desks):
    assert post(server.hook, "Is the shop open?", "mdr-e2e-1") == 200
    desks.start("a", "b")
    for desk in (desks.a, desks.b):
        # Each opens the newest conversation as it starts, read from the shared store.
        state = desk.until("the conversation", lambda s: bodies(s) == ["Is the shop open?"])
        assert state["shared"] and not state["listener"]  # the server receives, not the desk
        desk.until("following the change log", lambda s: s["following"])

    assert post(server.hook, "And on Sunday?", "mdr-e2e-2") == 200
    for desk in (desks.a, desks.b):
        state = desk.until(
            "the new text in the open thread",
            lambda s: bodies(s) == ["Is the shop open?", "And on Sunday?"],
        )
        desk.until("it in the list", lambda s: listed(s) == ["And on Sunday?"])
        [row] = rows(state, "And on Sunday?")
        assert (row["direction"], row["status"], row["provider_id"]) == (
            "in", "received", "mdr-e2e-2"
        )  # fmt: skip


def test_what_desk_a_sends_reaches_the_provider_once_and_shows_in_b_with_as_name(
    server, desks, sandbox
):
    a, b = desks.a, desks.b
    assert a.state()["conversation_id"] == b.state()["conversation_id"] is not None
    typed = a.ask("send", text="Yes, until six")
    assert typed == {"typed": "Yes, until six", "left": ""}  # sent: the compose box is empty

    wait_for(lambda: [r.body for r in sent(sandbox)] == ["Yes, until six"])
    state = b.until(
        "desk A's answer as sent",
        lambda s: [r["status"] for r in rows(s, "Yes, until six")] == ["queued"],
    )
    [row] = rows(state, "Yes, until six")
    assert (row["direction"], row["sent_by"]) == ("out", "Ana")
    assert row["meta"].startswith("Sent by Ana · ") and row["meta"].endswith(" · Sent")
    assert bodies(state) == ["Is the shop open?", "And on Sunday?", "Yes, until six"]
    b.until("it in the list", lambda s: listed(s) == ["Yes, until six"])
    mine = a.until(
        "it sent", lambda s: [r["status"] for r in rows(s, "Yes, until six")] == ["queued"]
    )
    assert bodies(mine) == bodies(state)

    time.sleep(2.5)  # a poll round of the server's outbox later: not sent again by anyone
    assert len(sent(sandbox)) == 1 and len(requests(sandbox)) == 1
    assert bodies(b.state()) == bodies(state)  # and shown once


def test_with_both_desks_closed_the_server_receives_and_sends_and_a_desk_shows_both(
    server, desks, sandbox, shared, folder
):
    for desk in (desks.a, desks.b):
        assert desk.quit() == 0, desk.stderr()
        assert "Traceback" not in desk.stderr(), desk.stderr()
    sandbox.call(sandbox.sandbox.sent.clear)
    assert post(server.hook, "Are you open tomorrow?", "mdr-e2e-3") == 200
    # `voipdesk send` while VoIP Number cannot be reached: left queued (exit 75) for the server.
    queue_for_serve(desk_folder(folder / "send", OWN, "Cara"), shared, "Back at nine")
    wait_for(lambda: [r.body for r in sent(sandbox)] == ["Back at nine"])

    desks.start("b")
    state = desks.b.until(
        "what came while it was closed",
        lambda s: (
            bodies(s)[-2:] == ["Are you open tomorrow?", "Back at nine"]
            and rows(s, "Back at nine")[0]["status"] == "queued"
        ),
    )
    assert bodies(state) == [
        "Is the shop open?", "And on Sunday?", "Yes, until six",
        "Are you open tomorrow?", "Back at nine",
    ]  # fmt: skip
    assert listed(state) == ["Back at nine"]
    [row] = rows(state, "Back at nine")
    assert row["meta"].startswith("Sent by Cara · ")  # (Your name in `voipdesk send`'s settings)
    assert desks.b.quit() == 0, desks.b.stderr()
    assert "Traceback" not in desks.b.stderr(), desks.b.stderr()
