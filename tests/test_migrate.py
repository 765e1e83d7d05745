"""`voipdesk migrate`: this computer's history copied into the shared store on the tests' private
PostgreSQL server, as a user runs it (a real subprocess) and, for a run that stops midway, the
store's copy itself with a failure after some batches. What a user sees in the shared store
(the list, the threads, search) is what they saw here; a second run copies nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys

import pytest
from store.conftest import OWN, OWN2, PEER, PEER2, inbound
from test_cli import voipdesk

from voipdesk.core.models import Status
from voipdesk.instance import InstanceLock
from voipdesk.store import database_path, open_store
from voipdesk.store.choice import ENV
from voipdesk.store.pg import local_copy
from voipdesk.store.pg.local_copy import MOVED_TEXT, copy_local_history

PEER3 = "+447700900300"
PEER4 = "+447700900400"
SECRET = "pw-c2VjcmV0-migrate"


class Ticks:
    """A clock a second later at each call: every message has its own time."""

    def __init__(self) -> None:
        self.now = 1_716_000_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def fill(data_dir) -> None:
    """A local history with a bit of everything."""
    with open_store(data_dir, clock=Ticks()) as s:
        a, _ = s.add_inbound(inbound("Lunch at the café?", mdr_id="mdr-a1"))
        out = s.add_outgoing(OWN, PEER, "Sure, see you at noon", sent_by="Ana")
        s.update_outgoing(out.id, status=Status.DELIVERED, provider_id="p-1", provider_ts=17)
        s.record_webhooks([inbound("photo", mdr_id="mdr-a2", kind="mms")])
        s._write(  # an MMS with its links (what the webhook parser makes of media)
            lambda c: c.execute(
                "UPDATE messages SET attachments = ? WHERE provider_id = 'mdr-a2'",
                ('["https://media.example/1.jpg"]',),
            )
        )
        bad = s.add_outgoing(OWN, PEER, "to a bad number")
        s.update_outgoing(
            bad.id, status=Status.FAILED, error_code="NUMBER_NOT_FOUND", error_text="No such"
        )
        s.set_muted(a.conversation_id, True)
        s.set_draft(a.conversation_id, "a draft stays here")
        b, _ = s.add_inbound(inbound("STOP", frm=PEER2, mdr_id="mdr-b1"))
        s.add_inbound(inbound("quokka sighting", frm=PEER2, mdr_id="mdr-b2"))
        s.mark_read(b.conversation_id)
        s.mark_unread(b.conversation_id)
        s.add_inbound(inbound("unread one", frm=PEER3, mdr_id="mdr-c1"))
        s.add_inbound(inbound("unread two", frm=PEER3, mdr_id="mdr-c2"))
        pending = s.add_outgoing(OWN2, PEER, "waiting for the network")
        s.update_outgoing(pending.id, status=Status.PENDING, next_attempt_at=1_716_000_500.0)
        s.add_outgoing(OWN2, PEER, "was on the wire")  # sending
        unknown = s.add_outgoing(OWN2, PEER, "who knows")
        s.update_outgoing(unknown.id, status=Status.UNKNOWN, error_text="Maybe sent")
        s.schedule(OWN, PEER4, "happy birthday", 1_800_000_000.0, sent_by="Ana")
        s.set_contact(PEER, "Ana")
        s.set_contact(PEER2, "Bo")
        s.add_inbound(inbound("spam", frm="+447700900999", mdr_id="mdr-z"))
        s.block("+447700900999")


LISTED = (
    "own_number", "peer_number", "display_name", "last_body", "last_direction", "unread_count",
    "muted", "opted_out", "scheduled",
)  # fmt: skip
SHOWN = (
    "direction", "body", "type", "status", "created_at", "provider_id", "provider_ts",
    "error_code", "error_text", "attachments", "attempts", "next_attempt_at", "sent_by",
)  # fmt: skip
INTERRUPTED = (
    "This message was being sent when it was copied to the shared inbox, so it may or may not "
    "have been sent. Send it again, or discard it."
)


def view(store) -> dict:
    """What a user sees: the list (name, preview, unread, mute, opt-out, scheduled, in order),
    each thread, search, contacts and blocked numbers."""
    listed = store.conversations()
    threads = {
        (c.own_number, c.peer_number): [
            {f: getattr(m, f) for f in SHOWN} for m in store.messages(c.id, limit=1000)
        ]
        for c in listed
    }
    return {
        "list": [tuple(getattr(c, f) for f in LISTED) for c in listed],
        "threads": threads,
        "search": [(m.peer_number, m.body) for m in store.search("quokka")]
        + [(m.peer_number, m.body) for m in store.search("cafe")],
        "contacts": store.contacts(),
        "blocked": store.blocked_numbers(),
        "scheduled": [(s.body, s.send_at) for c in listed for s in store.scheduled_in(c.id)],
    }


def as_shared(local: dict) -> dict:
    """What the shared store shows of a local view: the outbox as migrate hands it over (one
    that was being sent may have reached the provider: `unknown`, never sent by itself)."""

    def handed_over(m: dict) -> dict:
        if m["status"] is not Status.SENDING:
            return m
        return {**m, "status": Status.UNKNOWN, "error_text": m["error_text"] or INTERRUPTED}

    threads = {k: [handed_over(m) for m in t] for k, t in local["threads"].items()}
    return {**local, "threads": threads}


def test_migrate_copies_everything_a_user_sees_and_a_second_run_copies_nothing(tmp_path, pg_url):
    fill(tmp_path)
    with open_store(tmp_path) as local:
        before = view(local)
        unread = local.unread_total()
        outbox = local.outbox()
    assert len(outbox) == 3 and unread == 5

    result = voipdesk(tmp_path, "migrate", "--database", pg_url)
    assert result.returncode == 0, result.stderr
    assert "Copied 12 messages in 5 conversations" in result.stdout
    assert "0 already there" in result.stdout
    assert "1 message waiting to be sent now waits in the shared outbox" in result.stdout
    assert "2 messages may or may not have been sent" in result.stdout
    assert "1 scheduled message (moved: sent from the shared inbox at its time" in result.stdout
    with open_store(pg_url) as shared:
        assert view(shared) == as_shared(before)
        assert {m.body: m.status for m in shared.outbox()} == {
            "waiting for the network": Status.PENDING,  # `serve` sends it, once
            "was on the wire": Status.UNKNOWN,  # may have reached the provider: never resent
            "who knows": Status.UNKNOWN,
        }
        assert shared.drafts() == {}  # drafts stay on this computer
        assert shared.unread_total() == unread
    with open_store(tmp_path) as local:
        assert local.outbox() == []  # this computer never sends them too
        moved = [m for m in local.all_messages() if m.error_text == MOVED_TEXT]
        assert len(moved) == 3 and {m.status for m in moved} == {Status.FAILED}
        assert local.draft(local.conversation_for(OWN, PEER).id) == "a draft stays here"

    again = voipdesk(tmp_path, "migrate", extra_env={ENV: pg_url})
    assert again.returncode == 0, again.stderr
    assert "Copied 0 messages in 0 conversations" in again.stdout
    assert "12 already there" in again.stdout
    assert "waiting to be sent" not in again.stdout
    with open_store(pg_url) as shared:
        assert view(shared) == as_shared(before)
        assert shared.message_count() == 12
        # Who scheduled it: the thread says "Sent by Ana" once the outbox takes it.
        (scheduled,) = shared.scheduled_in(shared.conversation_for(OWN, PEER4).id)
        assert shared.take_scheduled(scheduled.id).sent_by == "Ana"


def test_a_copy_stopped_midway_and_run_again_completes_without_duplicates(tmp_path, pg_url):
    with open_store(tmp_path, clock=Ticks()) as s:
        for i in range(30):  # outgoing ones (no mdr_id) in every batch
            s.add_inbound(inbound(f"message {i}", frm=(PEER, PEER2)[i % 2], mdr_id=f"m-{i}"))
            sent = s.add_outgoing(OWN, (PEER, PEER2)[i % 2], f"reply {i}")
            s.update_outgoing(sent.id, status=Status.QUEUED, provider_id=f"p-{i}")
        s.update_outgoing(sent.id, status=Status.PENDING)  # the newest, in the last batch
        before = view(s)

    class Stop(Exception):
        pass

    def stop_after_three(result) -> None:
        if result.batches == 3:
            raise Stop

    with open_store(tmp_path) as local, open_store(pg_url) as shared:
        with pytest.raises(Stop):
            copy_local_history(local, shared, batch=7, progress=stop_after_three)
        assert shared.message_count() == 21
        rest = copy_local_history(local, shared, batch=7)
    assert (rest.messages, rest.already) == (39, 21)
    with open_store(pg_url) as shared:
        assert shared.message_count() == 60
        assert view(shared) == as_shared(before)
        assert [m.body for m in shared.outbox()] == ["reply 29"]
    with open_store(tmp_path) as local:
        assert local.outbox() == []


def test_a_body_with_a_nul_character_is_copied_with_a_replacement_character(tmp_path, pg_url):
    with open_store(tmp_path) as s:
        s.add_inbound(inbound("before after", mdr_id="mdr-nul"))
    # Written before NUL characters were kept out of the local store too.
    with sqlite3.connect(database_path(tmp_path)) as conn:
        conn.execute("UPDATE messages SET body = 'before' || char(0) || 'after', raw = char(0)")
    result = voipdesk(tmp_path, "migrate", "--database", pg_url)
    assert result.returncode == 0, result.stderr
    assert "Copied 1 message in 1 conversation" in result.stdout
    with open_store(pg_url) as shared:
        [m] = shared.all_messages()
        assert (m.body, m.raw) == ("before\ufffdafter", "\ufffd")
        assert [x.body for x in shared.search("after")] == ["before\ufffdafter"]


def test_a_message_received_in_both_stores_is_there_once(tmp_path, pg_url):
    with open_store(tmp_path) as local:
        local.add_inbound(inbound("seen by both", mdr_id="mdr-both"))
        local.add_inbound(inbound("only here", mdr_id="mdr-local"))
    with open_store(pg_url) as shared:
        shared.add_inbound(inbound("seen by both", mdr_id="mdr-both"))
    result = voipdesk(tmp_path, "migrate", "--database", pg_url)
    assert result.returncode == 0, result.stderr
    assert "Copied 1 message in 1 conversation" in result.stdout
    assert "1 already there" in result.stdout
    with open_store(pg_url) as shared:
        assert sorted(m.body for m in shared.all_messages()) == ["only here", "seen by both"]


@pytest.mark.parametrize(
    "url",
    ["postgresql://ana:{pw}@db.example/voip", "postgresql://ana@db.example/voip?password={pw}"],
)
def test_a_password_in_the_url_on_the_command_line_is_refused(tmp_path, url):
    fill(tmp_path)
    result = voipdesk(tmp_path, "migrate", "--database", url.format(pw=SECRET))
    assert result.returncode == 2
    assert "password file (PGPASSFILE" in result.stderr and "Nothing was done" in result.stderr
    assert SECRET not in result.stderr + result.stdout


def test_without_a_database_url_migrate_says_what_it_needs(tmp_path):
    fill(tmp_path)
    result = voipdesk(tmp_path, "migrate")
    assert result.returncode == 2
    assert f"give --database postgresql://user@host/dbname, or set {ENV}" in result.stderr


def test_a_data_folder_without_a_history_is_said_and_left_empty(tmp_path, pg_url):
    result = voipdesk(tmp_path, "migrate", "--database", pg_url)
    assert result.returncode == 1
    assert "there is no message history in" in result.stderr
    assert not database_path(tmp_path).exists()


def test_an_unreachable_shared_database_exits_1_and_copies_nothing(tmp_path):
    fill(tmp_path)
    result = voipdesk(tmp_path, "migrate", "--database", "postgresql://ana@127.0.0.1:1/voip")
    assert result.returncode == 1
    assert "cannot reach the shared database" in result.stderr
    with open_store(tmp_path) as local:
        assert len(local.outbox()) == 3  # nothing moved


def test_while_the_app_uses_the_data_folder_migrate_asks_to_quit_it_first(tmp_path, pg_url):
    fill(tmp_path)
    with InstanceLock.acquire(tmp_path, "app"):
        result = voipdesk(tmp_path, "migrate", "--database", pg_url)
    assert result.returncode == 1
    assert "quit it (File > Quit" in result.stderr and "Nothing was copied" in result.stderr
    with open_store(pg_url) as shared:
        assert shared.message_count() == 0


def test_a_copy_stopped_before_this_computer_let_go_of_its_outbox_lets_go_on_the_next_run(
    tmp_path, pg_url, monkeypatch
):
    with open_store(tmp_path) as s:
        waiting = s.add_outgoing(OWN, PEER, "waiting")
        s.update_outgoing(waiting.id, status=Status.PENDING)

    def stopped(*args: object) -> None:
        raise KeyboardInterrupt  # Ctrl+C right after the shared store committed the batch

    with monkeypatch.context() as m:
        m.setattr(local_copy, "_leave_local_outbox", stopped)
        with open_store(tmp_path) as local, open_store(pg_url) as shared:
            with pytest.raises(KeyboardInterrupt):
                local_copy.copy_local_history(local, shared)
            assert [m.body for m in local.outbox()] == ["waiting"]  # not let go yet
    result = voipdesk(tmp_path, "migrate", "--database", pg_url)
    assert result.returncode == 0, result.stderr
    assert "Copied 0 messages in 0 conversations" in result.stdout
    with open_store(tmp_path) as local, open_store(pg_url) as shared:
        assert local.outbox() == []
        assert [(m.body, m.status) for m in shared.outbox()] == [("waiting", Status.PENDING)]


def test_a_migrate_killed_midway_and_run_again_copies_each_message_once(tmp_path, pg_url):
    from tests.benchmarks.generate import Params, generate

    data = tmp_path / "data"
    generate(data, Params(messages=12_000, conversations=40, big_threads=1, big_size=3000))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    command = [sys.executable, "-m", "voipdesk", "migrate", "--data-dir", str(data)]
    with subprocess.Popen(
        [*command, "--database", pg_url], env=env, stderr=subprocess.PIPE, text=True
    ) as first:
        try:
            assert first.stderr is not None
            while "of 12,000 messages" not in first.stderr.readline():  # a batch is in
                assert first.poll() is None
        finally:
            first.kill()  # SIGKILL: no clean-up of any kind
    with open_store(pg_url) as shared:
        assert 0 < shared.message_count() < 12_000
    again = voipdesk(data, "migrate", "--database", pg_url)
    assert again.returncode == 0, again.stderr
    assert "already there" in again.stdout and "Copied 0 messages" not in again.stdout
    with open_store(pg_url) as shared:
        assert shared.message_count() == 12_000
        uids = shared._read("SELECT count(DISTINCT uid) FROM messages")[0][0]
        assert uids == 12_000


def test_a_desk_following_the_shared_store_during_a_copy_hears_of_every_message_once(
    tmp_path, pg_url
):
    """A desk connected while migrate runs reads every copied message from the change log
    (numbers gap-free, in commit order with a webhook received between two batches), and is
    woken once a batch, not once a message."""
    import psycopg

    from voipdesk.store.pg.schema import CHANNEL

    with open_store(tmp_path, clock=Ticks()) as s:
        for i in range(30):
            s.add_inbound(inbound(f"message {i}", frm=(PEER, PEER2, PEER3)[i % 3], mdr_id=f"m{i}"))
    with open_store(pg_url) as shared, psycopg.connect(pg_url, autocommit=True) as desk:
        shared.add_inbound(inbound("there before", frm=PEER4, mdr_id="before"))
        start = shared.last_change()
        desk.execute(f"LISTEN {CHANNEL}")

        def a_webhook_arrives(result) -> None:
            if result.batches == 2:
                shared.add_inbound(inbound("during the copy", frm=PEER, mdr_id="during"))

        with open_store(tmp_path) as local:
            result = copy_local_history(local, shared, batch=7, progress=a_webhook_arrives)
        woken = [n.payload for n in desk.notifies(timeout=1)]
        changes = shared.changes_after(start, limit=10_000)
        ids = {m.body: (m.id, m.conversation_id) for m in shared.all_messages()}
    assert result.batches == 5 and result.messages == 30
    assert [c.number for c in changes] == list(range(start + 1, start + 1 + len(changes)))
    heard = [(c.message_id, c.conversation_id) for c in changes if c.kind == "message"]
    assert sorted(heard) == sorted(v for body, v in ids.items() if body != "there before")
    conversations = {c.conversation_id for c in changes if c.kind == "conversation"}
    assert conversations == {cid for body, (_, cid) in ids.items() if body != "there before"}
    # One NOTIFY a batch of the copy, one for the webhook (its message and its conversation).
    assert len(woken) == result.batches + 1
    assert woken[-1] == str(changes[-1].number)
