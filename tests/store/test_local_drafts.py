"""Drafts a desk on the shared inbox keeps on its own computer (store/local_drafts.py)."""

from __future__ import annotations

import stat
import sys

import pytest

from voipdesk.store.local_drafts import FILE, LocalDrafts


def test_drafts_are_kept_across_restarts_per_shared_database(tmp_path):
    office = LocalDrafts(tmp_path, key="postgresql://office/voipdesk")
    office.set(7, "Running late — 👍 there by ten")
    office.set(8, "to be cleared")
    office.set(8, "")
    again = LocalDrafts(tmp_path, key="postgresql://office/voipdesk")
    assert again.all() == {7: "Running late — 👍 there by ten"}
    assert again.get(8) == ""
    other = LocalDrafts(tmp_path, key="postgresql://home/voipdesk")  # other ids, other drafts
    assert other.all() == {}
    other.set(7, "another database's conversation 7")
    assert LocalDrafts(tmp_path, key="postgresql://office/voipdesk").get(7).startswith("Running")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")
def test_the_drafts_file_is_readable_by_its_user_only(tmp_path):
    LocalDrafts(tmp_path).set(1, "private")
    assert stat.S_IMODE((tmp_path / FILE).stat().st_mode) == 0o600


def test_a_damaged_drafts_file_starts_empty_and_is_written_again(tmp_path, caplog):
    (tmp_path / FILE).write_text("{not json", "utf-8")
    drafts = LocalDrafts(tmp_path)
    assert drafts.all() == {}
    assert "could not be read" in caplog.text
    drafts.set(3, "new")
    assert LocalDrafts(tmp_path).all() == {3: "new"}
