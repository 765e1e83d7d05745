"""Backups of a real SQLite file: made while webhooks keep being committed, checked, user-only,
the newest 7 kept, and the daily schedule driven by an injected clock."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import threading
import time
from pathlib import Path

import pytest

from voipdesk.store import Store, database_path
from voipdesk.store import backup as backup_module
from voipdesk.store.backup import (
    DAY,
    KEEP,
    RETRY,
    BackupCancelled,
    BackupError,
    DailyBackup,
    backup_dir,
    backups,
    make_backup,
)

from .bigfile import fill
from .conftest import OWN, PEER, Clock, inbound


def ids_in(path: Path) -> set[str]:
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return {r[0] for r in conn.execute("SELECT provider_id FROM messages")}
    finally:
        conn.close()


def fill_large(path: Path, messages: int) -> None:
    """`messages` inbound messages, each with a 1 KB webhook body: ~1.4 KB a message."""
    Store(path).close()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.execute(
            "INSERT INTO conversations (id, own_number, peer_number) VALUES (1, ?, ?)", (OWN, PEER)
        )
        raw = '{"pad": "' + "r" * 1000 + '"}'
        conn.executemany(
            "INSERT INTO messages (conversation_id, direction, body, status, created_at,"
            " provider_id, raw) VALUES (1, 'in', ?, 'received', 0, ?, ?)",
            ((f"old {i}", f"old-{i}", raw) for i in range(messages)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def damage(path: Path, size: int = 8192) -> None:
    """8 KB of random bytes in the middle of the file, on a page boundary."""
    with open(path, "r+b") as fh:
        fh.seek((os.path.getsize(path) // 2) // 4096 * 4096)
        fh.write(os.urandom(size))


def test_a_backup_completes_while_webhooks_keep_being_committed(tmp_path):
    """The listener commits from its own thread through its own store while the backup runs:
    the backup finishes, each commit waits no longer than it would anyway, and every message
    committed before the backup started is in it."""
    path = database_path(tmp_path)
    fill_large(path, 40_000)  # 57 MB: the copy takes 14 steps
    committed: list[str] = []
    stalls: list[float] = []
    stop = threading.Event()

    def listener() -> None:
        with Store(path) as store:
            n = 0
            while not stop.is_set():
                n += 1
                item = inbound(f"webhook {n}", mdr_id=f"live-{n}")
                began = time.perf_counter()
                store.record_webhooks([item])
                stalls.append(time.perf_counter() - began)
                committed.append(item.mdr_id)

    writer = threading.Thread(target=listener)
    writer.start()
    try:
        while len(committed) < 20:
            time.sleep(0.01)
        before = list(committed)
        during_from = len(stalls)
        result: list[Path | BaseException] = []
        deadline = time.monotonic() + 20

        def run() -> None:
            try:
                result.append(make_backup(tmp_path, cancelled=lambda: time.monotonic() > deadline))
            except BaseException as exc:
                result.append(exc)

        backing_up = threading.Thread(target=run)
        began = time.perf_counter()
        backing_up.start()
        backing_up.join(30)
        took = time.perf_counter() - began
        during = stalls[during_from:]
    finally:
        stop.set()
        writer.join()
    assert result and isinstance(result[0], Path), f"the backup did not complete: {result}"
    assert took < 10
    copy = result[0]
    stored = ids_in(copy)
    assert set(before) <= stored
    assert len(during) > 20  # receiving went on while the backup ran
    worst = max(during)
    print(
        f"\nbackup of {os.path.getsize(copy) / 1e6:.0f} MB took {took:.2f} s; "
        f"{len(during)} commits meanwhile, the longest {worst * 1000:.0f} ms "
        f"(before it: {max(stalls[:during_from]) * 1000:.0f} ms)"
    )
    assert worst < 1.0


def test_the_newest_7_are_kept_and_nothing_else_is_touched(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(inbound("hello"))
    clock = Clock(1_716_000_000.0)
    foreign = backup_dir(tmp_path) / "my-own-copy.sqlite3"
    made = []
    for _day in range(KEEP + 3):
        made.append(make_backup(tmp_path, clock=clock))
        if not foreign.exists():
            foreign.write_text("mine")
        clock.now += DAY
    assert [p.name for p in backups(tmp_path)] == [p.name for p in made[-KEEP:]]
    assert foreign.read_text() == "mine"
    assert sorted(p.name for p in backup_dir(tmp_path).iterdir()) == sorted(
        [foreign.name, *(p.name for p in made[-KEEP:])]
    )


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_backups_are_user_only_and_complete(tmp_path):
    old = os.umask(0o022)
    try:
        with Store(database_path(tmp_path)) as store:
            store.add_inbound(inbound("private", mdr_id="secret-1"))
            copy = make_backup(tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    assert stat.S_IMODE(backup_dir(tmp_path).stat().st_mode) == 0o700
    assert copy.name.startswith("voipdesk-") and copy.suffix == ".sqlite3"
    assert [p.name for p in backup_dir(tmp_path).iterdir()] == [copy.name]  # no -wal, no partial
    assert ids_in(copy) == {"secret-1"}


def test_a_damaged_database_does_not_push_good_backups_out(tmp_path):
    """The copy is checked before it takes a backup's name: a damaged database makes the backup
    fail, and the 7 good backups stay."""
    path = database_path(tmp_path)
    fill(path, 3000, 20)
    clock = Clock(1_716_000_000.0)
    good = []
    for _day in range(KEEP):
        good.append(make_backup(tmp_path, clock=clock))
        clock.now += DAY
    damage(path)
    with pytest.raises(BackupError, match="damaged"):
        make_backup(tmp_path, clock=clock)
    assert backups(tmp_path) == good
    assert sorted(p.name for p in backup_dir(tmp_path).iterdir()) == sorted(p.name for p in good)


def test_a_backup_that_would_fill_the_disk_is_not_made(tmp_path):
    """Receiving must still be able to commit: a backup leaves room on the disk (here the
    room asked for is more than the disk has), and writes nothing."""
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(inbound("hello"))
    kept = make_backup(tmp_path)
    free = shutil.disk_usage(tmp_path).free
    with pytest.raises(BackupError, match="nearly full"):
        make_backup(tmp_path, reserve=free)
    assert list(backup_dir(tmp_path).iterdir()) == [kept]


@pytest.mark.parametrize("after_checks", [1, 6])  # while copying (4 steps); while checking
def test_a_backup_stopped_midway_leaves_nothing_behind(tmp_path, after_checks, monkeypatch):
    fill_large(database_path(tmp_path), 10_000)  # 14 MB: 4 steps, then the check
    # (a check this small may end before its first ask: ask often enough to stop it midway)
    monkeypatch.setattr(backup_module, "CHECK_ASK_EVERY", 10_000)
    asked = []

    def quitting() -> bool:
        asked.append(1)
        return len(asked) > after_checks

    with pytest.raises(BackupCancelled):
        make_backup(tmp_path, cancelled=quitting)
    assert list(backup_dir(tmp_path).iterdir()) == []


def test_the_daily_schedule_backs_up_when_the_newest_is_a_day_old(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(inbound("hello"))
    clock = Clock(time.time())
    daily = DailyBackup(tmp_path, clock=clock)
    assert daily.run_if_due() == (None, RETRY)  # none yet: one now; the next in a day
    assert len(backups(tmp_path)) == 1
    clock.now += 23 * 3600
    problem, wait = daily.run_if_due()
    assert (problem, len(backups(tmp_path))) == (None, 1)
    assert wait == pytest.approx(3600, abs=5)
    clock.now += 3600 + 1  # a day and a second after the backup
    daily.run_if_due()
    assert len(backups(tmp_path)) == 2


def test_a_new_start_backs_up_only_when_the_newest_backup_is_a_day_old(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(inbound("hello"))
    made = make_backup(tmp_path)
    DailyBackup(tmp_path).run_if_due()  # started an hour after it, say
    assert backups(tmp_path) == [made]
    DailyBackup(tmp_path, clock=lambda: time.time() + DAY + 60).run_if_due()  # a day later
    assert len(backups(tmp_path)) == 2


def test_a_failing_backup_is_told_once_and_retried_hourly(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(inbound("hello"))
    backup_dir(tmp_path).write_text("not a folder")  # the backups cannot be written
    clock = Clock(time.time())
    daily = DailyBackup(tmp_path, clock=clock)
    problem, wait = daily.run_if_due()
    assert problem and "daily backup" in problem and "could not be written" in problem
    assert "Traceback" not in problem
    assert wait == RETRY
    clock.now += RETRY
    assert daily.run_if_due()[0] is None  # failed again: logged, not told again
    backup_dir(tmp_path).unlink()
    clock.now += RETRY
    assert daily.run_if_due() == (None, RETRY)
    assert len(backups(tmp_path)) == 1
