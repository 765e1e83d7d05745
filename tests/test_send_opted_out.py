"""`voipdesk send` to someone who texted STOP refuses (exit 6) unless told `--anyway`."""

from __future__ import annotations

import pytest
from store.conftest import inbound
from test_cli import OWN, send, stored

from voipdesk.store import Store, database_path

PEER = "+447700900100"


def opted_out(data_dir, body="STOP"):
    data_dir.mkdir(parents=True, exist_ok=True)
    with Store(database_path(data_dir)) as store:
        store.add_inbound(inbound(body, frm=PEER, to=OWN))


@pytest.fixture(scope="module")
def sandbox():
    from test_cli import DEMO_ACCOUNT, OTHER

    from voipdesk.sandbox import Sandbox, SandboxThread

    with SandboxThread(Sandbox((DEMO_ACCOUNT, OTHER))) as running:
        yield running


def test_sending_to_someone_who_texted_stop_is_refused_with_exit_6(sandbox, tmp_path):
    opted_out(tmp_path)
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "hello again")
    assert result.returncode == 6, result.stderr
    assert "texted STOP" in result.stderr and "--anyway" in result.stderr
    assert "Nothing was sent" in result.stderr
    assert sandbox.call(lambda: list(sandbox.sandbox.sent)) == []
    assert [m.body for m in stored(tmp_path)] == ["STOP"]
    later = send(
        tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "--at", "2100-01-01T09:00",
        "hello later",
    )  # fmt: skip
    assert later.returncode == 6 and "Nothing was scheduled" in later.stderr
    with Store(database_path(tmp_path)) as store:
        assert store.scheduled_in(store.conversation_for(OWN, PEER).id) == []


def test_anyway_sends_to_someone_who_texted_stop(sandbox, tmp_path):
    opted_out(tmp_path)
    result = send(tmp_path, sandbox.send_url, "--anyway", "--from", OWN, "--to", PEER, "sorry")
    assert result.returncode == 0, result.stderr
    assert [s.body for s in sandbox.call(lambda: list(sandbox.sandbox.sent))][-1:] == ["sorry"]


def test_after_start_they_can_be_texted_again(sandbox, tmp_path):
    opted_out(tmp_path)
    opted_out(tmp_path, "START")
    result = send(tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "welcome back")
    assert result.returncode == 0, result.stderr


def test_send_help_says_exit_6_and_anyway(tmp_path):
    from test_cli import voipdesk

    out = voipdesk(tmp_path, "send", "--help").stdout
    assert "--anyway" in out and "6   not sent: the recipient texted STOP" in out
