"""`voipdesk send --at TIME` as a real subprocess: it schedules (the app's outbox sends later)."""

from __future__ import annotations

import datetime as dt

from test_cli import send

from voipdesk.sandbox import Sandbox, SandboxThread
from voipdesk.store import Store, database_path

OWN, PEER = "+447700900001", "+447700900100"


def scheduled(data_dir):
    with Store(database_path(data_dir)) as store:
        conversation = store.conversation_for(OWN, PEER)
        return store.scheduled_in(conversation.id), list(store.all_messages())


def test_send_at_a_local_time_schedules_and_prints_when(tmp_path):
    with SandboxThread(Sandbox()) as sandbox:
        at = (dt.datetime.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
        result = send(
            tmp_path, sandbox.send_url, "--from", OWN, "--to", PEER, "--at", at.isoformat(),
            "call me back",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert sandbox.call(lambda: list(sandbox.sandbox.sent)) == []  # not sent now
    assert "Tomorrow" in result.stdout and at.strftime("%H:%M") in result.stdout
    assert at.astimezone().isoformat() in result.stdout  # ISO 8601 with the local offset
    assert "voipdesk app" in result.stderr
    waiting, messages = scheduled(tmp_path)
    assert [(s.body, s.send_at) for s in waiting] == [("call me back", at.timestamp())]
    assert messages == []


def test_send_at_with_an_offset_is_that_moment(tmp_path):
    result = send(
        tmp_path, "http://127.0.0.1:9/send", "--from", OWN, "--to", PEER,
        "--at", "2100-01-02T03:04:05Z", "hello",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [s.send_at for s in scheduled(tmp_path)[0]] == [4102542245.0]


def test_a_past_or_unreadable_time_exits_5_and_schedules_nothing(tmp_path):
    past = (dt.datetime.now() - dt.timedelta(minutes=5)).isoformat(timespec="minutes")
    for at, words in ((past, "in the past"), ("next tuesday", "ISO 8601")):
        result = send(
            tmp_path, "http://127.0.0.1:9/send", "--from", OWN, "--to", PEER, "--at", at, "hi"
        )
        assert result.returncode == 5, result.stderr
        assert words in result.stderr and "Nothing was scheduled" in result.stderr
        assert result.stdout == ""
    assert not database_path(tmp_path).exists() or scheduled(tmp_path) == ([], [])


def test_send_help_tells_the_at_option_and_its_exit_status(tmp_path):
    from test_cli import voipdesk

    out = voipdesk(tmp_path, "send", "--help").stdout
    assert "--at TIME" in out and "5   TIME cannot be read" in out
