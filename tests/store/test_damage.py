"""A damaged database file: found at open, by a full check or at the first query that reads a
damaged page; kept aside byte for byte, written to no more, and said in words."""

from __future__ import annotations

import sqlite3

import pytest

from voipdesk.store import Store, StoreDamaged, StoreReadOnly, database_path
from voipdesk.store.errors import REPAIR_COMMAND

from . import damaged
from .conftest import inbound


def kept_files(exc: StoreDamaged) -> dict[str, bytes]:
    assert exc.kept is not None, exc.keep_error
    return {p.name: p.read_bytes() for p in exc.kept.iterdir()}


def test_noise_in_the_middle_is_found_by_the_check_and_kept_aside(tmp_path):
    path = damaged.make(tmp_path)
    before = path.read_bytes()
    store = Store(path)  # the header and schema are whole: it opens
    with pytest.raises(StoreDamaged) as caught:
        store.check()
    exc = caught.value
    assert kept_files(exc) == {"voipdesk.sqlite3": before}  # (its -wal was empty: not copied)
    assert exc.kept.parent == tmp_path and exc.kept.name.startswith("damaged-")
    # What it says: what happened, where the copy is, what to do; no SQLite jargon alone.
    text = str(exc)
    assert "is damaged" in text and str(exc.kept) in text and REPAIR_COMMAND in text
    # Nothing more is written to it, by this Store or any other on the file.
    with pytest.raises(StoreDamaged):
        store.record_webhooks([inbound("after", mdr_id="after-damage")])
    with pytest.raises(StoreDamaged):
        Store(path)
    store.close()
    assert path.read_bytes() == before


def test_a_query_that_reads_a_damaged_page_says_damaged_not_sqlite(tmp_path):
    path = damaged.make(tmp_path)
    with Store(path) as store:
        with pytest.raises(StoreDamaged) as caught:
            list(store.all_messages())
        assert not isinstance(caught.value, sqlite3.Error)
        assert caught.value.kept is not None
        with pytest.raises(StoreDamaged):  # and it stops writing
            store.mark_read(1)


def test_an_insert_into_damaged_pages_fails_and_keeps_the_copy(tmp_path):
    path = damaged.make(tmp_path, where="end")
    before = path.read_bytes()
    with Store(path) as store, pytest.raises(StoreDamaged) as caught:
        store.record_webhooks([inbound("new", mdr_id="new-after-damage")])
    assert kept_files(caught.value)["voipdesk.sqlite3"] == before
    assert path.read_bytes() == before


def test_a_damaged_header_is_found_at_open(tmp_path):
    path = damaged.make(tmp_path, where="header")
    before = path.read_bytes()
    with pytest.raises(StoreDamaged) as caught:
        Store(path)
    assert kept_files(caught.value) == {"voipdesk.sqlite3": before}
    assert path.read_bytes() == before


def test_a_whole_database_passes_the_check(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(inbound("fine"))
        store.check()
    assert not any(p.name.startswith("damaged-") for p in tmp_path.iterdir())


def test_damaged_and_read_only_say_different_things(tmp_path):
    path = database_path(tmp_path)
    damaged_text = str(StoreDamaged(path, "malformed", kept=tmp_path / "damaged-x"))
    read_only_text = str(StoreReadOnly(path, "Read-only file system"))
    assert "is damaged" in damaged_text and "is damaged" not in read_only_text
    assert "cannot write" in read_only_text and "cannot write" not in damaged_text
    assert "Read-only file system" in read_only_text and str(tmp_path) in read_only_text
