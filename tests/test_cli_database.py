"""`voipdesk send` and `voipdesk export` on the shared store: `--database URL` or
VOIPDESK_DATABASE_URL, as a user runs them (real subprocesses, the sandbox provider, the tests'
private PostgreSQL server). A password in a URL on the command line is refused (anyone can read
a command line); a password file (PGPASSFILE) works."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import psycopg
import pytest
from store.conftest import inbound
from test_cli import OWN, voipdesk

from tests.pg_support import PASSWORD_ROLE, schema_name
from voipdesk.core.models import Status
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.store import open_store
from voipdesk.store.choice import ENV

SECRET_PASSWORD = "pw-Zm9vYmFy-secret"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    with SandboxThread(Sandbox((DEMO_ACCOUNT,))) as running:
        yield running


def shared(url: str) -> list:
    with open_store(url) as store:
        return list(store.all_messages())


def test_send_with_a_database_url_stores_the_message_in_the_shared_store(sandbox, tmp_path, pg_url):
    result = voipdesk(
        tmp_path, "send", "--database", pg_url, "--from", OWN, "--to", "07700900100", "Hi team",
        url=sandbox.send_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [msg] = shared(pg_url)
    assert (msg.body, msg.status, msg.provider_id) == (
        "Hi team",
        Status.QUEUED,
        result.stdout.strip(),
    )
    assert not (tmp_path / "voipdesk.sqlite3").exists()  # the data folder keeps no messages


def test_what_send_puts_in_the_shared_store_says_who_sent_it(sandbox, tmp_path, pg_url):
    """The team's desks show "Sent by Cara" under it, as under what a desk sends (Settings'
    Your name; else the computer's name for the user)."""
    (tmp_path / "settings.json").write_text(json.dumps({"your_name": "Cara"}))
    result = voipdesk(
        tmp_path, "send", "--database", pg_url, "--from", OWN, "--to", "07700900100", "On my way",
        url=sandbox.send_url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    [msg] = shared(pg_url)
    assert (msg.body, msg.sent_by) == ("On my way", "Cara")

    later = voipdesk(
        tmp_path, "send", "--database", pg_url, "--from", OWN, "--to", "07700900100",
        "--at", time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() + 3600)),
        "See you in an hour", url=sandbox.send_url,
    )  # fmt: skip
    assert later.returncode == 0, later.stderr
    with open_store(pg_url) as store:  # its time comes: whoever sends it, it is Cara's
        [scheduled] = store.due_scheduled(time.time() + 2 * 86400)
        assert store.take_scheduled(scheduled.id).sent_by == "Cara"


def test_export_reads_the_shared_store_named_in_the_environment(tmp_path, pg_url):
    with open_store(pg_url) as store:
        store.add_inbound(inbound("from the server"))
    result = voipdesk(tmp_path, "export", extra_env={ENV: pg_url})
    assert result.returncode == 0, result.stderr
    [row] = json.loads(result.stdout)
    assert (row["body"], row["direction"]) == ("from the server", "in")


def test_send_that_cannot_reach_the_provider_leaves_it_in_the_shared_outbox(tmp_path, pg_url):
    result = voipdesk(
        tmp_path, "send", "--database", pg_url, "--from", OWN, "--to", "07700900100", "later",
        url="http://127.0.0.1:1/v1/sms/send",
    )  # fmt: skip
    assert result.returncode == 75, result.stderr
    [msg] = shared(pg_url)
    assert (msg.body, msg.status) == ("later", Status.PENDING)


@pytest.mark.parametrize(
    "secret_url",
    [
        "postgresql://ana:{pw}@db.example/voip",
        "postgresql://ana@db.example/voip?password={pw}",
    ],
)
def test_a_password_in_the_url_on_the_command_line_is_refused(tmp_path, secret_url):
    url = secret_url.format(pw=SECRET_PASSWORD)
    result = voipdesk(tmp_path, "export", "--database", url)
    assert result.returncode == 2
    assert "password file (PGPASSFILE" in result.stderr and "Nothing was done" in result.stderr
    assert SECRET_PASSWORD not in result.stderr + result.stdout


def test_a_database_url_of_another_kind_is_refused(tmp_path):
    result = voipdesk(tmp_path, "export", "--database", "mysql://ana@db.example/voip")
    assert result.returncode == 2 and "PostgreSQL URL" in result.stderr


def test_an_unreachable_database_exits_1_with_a_sentence(tmp_path):
    result = voipdesk(tmp_path, "export", "--database", "postgresql://ana@127.0.0.1:1/voip")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "voipdesk cannot reach the shared database postgresql://ana@127.0.0.1:1/voip ("
    )


def test_a_password_file_gives_the_password(tmp_path, pg_url, pg_cluster):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"DROP ROLE IF EXISTS {PASSWORD_ROLE}")
        conn.execute(f"CREATE ROLE {PASSWORD_ROLE} LOGIN PASSWORD '{SECRET_PASSWORD}'")
        conn.execute(f"GRANT ALL ON SCHEMA {schema_name(pg_url)} TO {PASSWORD_ROLE}")
    url = pg_url.replace(f"{pg_cluster.user}@", f"{PASSWORD_ROLE}@")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:*:{PASSWORD_ROLE}:{SECRET_PASSWORD}\n")
    passfile.chmod(0o600)
    try:
        without = voipdesk(
            tmp_path, "export", "--database", url, extra_env={"PGPASSFILE": "/nonexistent"}
        )
        assert without.returncode == 1
        assert "refused the password" in without.stderr
        result = voipdesk(
            tmp_path, "export", "--database", url, extra_env={"PGPASSFILE": str(passfile)}
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == []
        assert SECRET_PASSWORD not in result.stderr + without.stderr
    finally:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {PASSWORD_ROLE}")
            conn.execute(f"DROP ROLE {PASSWORD_ROLE}")


def test_commands_that_do_not_use_a_shared_database_yet_ignore_the_environment(tmp_path):
    open_store(tmp_path).close()  # a data folder with its database, to back up
    result = voipdesk(tmp_path, "backup", extra_env={ENV: "mysql://ana@db.example/voip"})
    assert "PostgreSQL URL" not in result.stderr
    assert result.returncode == 0, result.stderr
