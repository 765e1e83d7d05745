"""The message database and its WAL files are user-only on POSIX (they hold every message)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest

from voipdesk.store import Store, database_path

from .conftest import inbound

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    """A umask that would make new files world-readable (0644) unless created user-only."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_database_and_its_wal_files_are_user_only(tmp_path):
    data_dir = tmp_path / "new-profile"
    path = database_path(data_dir)
    with Store(path) as s:
        s.add_inbound(inbound("private"))
        files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    assert mode(data_dir) == 0o700


def test_a_database_an_older_version_left_readable_is_made_user_only(tmp_path):
    path = database_path(tmp_path)
    with Store(path) as s:
        s.add_inbound(inbound("private"))
        wal = path.with_name(path.name + "-wal")
        os.chmod(path, 0o644)
        os.chmod(wal, 0o644)
        with Store(path) as again:  # the next start
            assert again.message_count() == 1
        assert (mode(path), mode(wal)) == (0o600, 0o600)
