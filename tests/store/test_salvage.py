"""`repair`: every message that can still be read moves into a new database made by the store's
own schema; the damaged file stays aside, byte for byte."""

from __future__ import annotations

import pytest

from voipdesk.store import Store, StoreDamaged, database_path
from voipdesk.store.salvage import RepairFailed, repair

from . import damaged
from .conftest import inbound


def snapshot(path) -> dict[int, tuple]:
    with Store(path) as store:
        return {
            m.id: (m.conversation_id, m.direction, m.body, m.status, m.provider_id)
            for m in store.all_messages()
        }


def test_readable_messages_survive_the_repair(tmp_path):
    path = damaged.make(tmp_path / "data")
    # The same messages, undamaged, to compare with (fill() is deterministic).
    reference = tmp_path / "reference.sqlite3"
    damaged.fill(reference, damaged.MESSAGES, 60)
    before = snapshot(reference)
    damaged_bytes = path.read_bytes()
    with Store(path) as store, pytest.raises(StoreDamaged) as caught:
        store.check()
    result = repair(path)
    after = snapshot(path)
    # Every message in the new file is one of the originals, unchanged, under its own id.
    assert after and all(before[mid] == row for mid, row in after.items())
    assert result.copied["messages"] == len(after)
    assert result.copied["messages"] + result.lost["messages"] == len(before)
    assert 0 < result.lost["messages"] < len(before) // 10  # 8 KB is a few pages
    assert result.kept == caught.value.kept
    assert (result.kept / "voipdesk.sqlite3").read_bytes() == damaged_bytes
    text = result.sentence()
    assert f"{len(after)} messages" in text and str(result.kept) in text
    with Store(path) as store:  # a whole database again: checked, searchable, writable
        store.check()
        assert store.search("lunch")
        assert store.conversations(limit=1)[0].last_message_id in after
        _message, new = store.add_inbound(inbound("after the repair", mdr_id="after-repair"))
        assert new


def test_a_file_that_is_no_database_at_all_is_left_as_it_is(tmp_path):
    path = damaged.make(tmp_path, where="header")
    before = path.read_bytes()
    with pytest.raises(RepairFailed) as caught:
        repair(path)
    assert "Nothing could be read" in str(caught.value)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.glob("damaged-*/*")] == ["voipdesk.sqlite3"]


def test_messages_whose_conversation_is_lost_are_kept_under_a_new_one(tmp_path):
    path = database_path(tmp_path)
    with Store(path) as store:
        store.add_inbound(inbound("orphan"))
        store._conn.execute("PRAGMA foreign_keys = OFF")
        store._conn.execute("DELETE FROM conversations")
    result = repair(path)
    assert result.rebuilt == 1
    with Store(path) as store:
        [kept] = list(store.all_messages())
        assert (
            kept.body == "orphan"
            and kept.peer_number == f"unknown conversation {kept.conversation_id}"
        )
