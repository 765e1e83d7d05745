"""The daily backup runs beside what the user does without competing with it: on a thread of its
own at the lowest priority, never on the workers that store sends and read pages, and quitting
while it runs does not wait for it."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
import time

import pytest

from voipdesk.services.backups import back_up_daily
from voipdesk.store import Store, database_path
from voipdesk.store.backup import DailyBackup, backups


class Watched(DailyBackup):
    """A real daily backup that also notes where it ran, and can be held midway."""

    def __init__(self, data_dir, *, hold: threading.Event | None = None) -> None:
        super().__init__(data_dir)
        self.ran_on: list[tuple[str, int | None]] = []
        self.started = threading.Event()
        self.hold = hold

    def run_if_due(self):
        policy = os.sched_getscheduler(0) if hasattr(os, "sched_getscheduler") else None
        self.ran_on.append((threading.current_thread().name, policy))
        self.started.set()
        if self.hold is not None:
            self.hold.wait(10)
        return super().run_if_due()


def a_database(data_dir) -> None:
    with Store(database_path(data_dir)) as store:
        store.message_count()


async def until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def back_up_once(data_dir) -> Watched:
    """The schedule started on a real database, until its first backup is made; then stopped."""
    a_database(data_dir)
    daily = Watched(data_dir)

    async def run() -> None:
        task = asyncio.create_task(back_up_daily(daily, print))
        await until(lambda: len(backups(data_dir)) == 1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    return daily


def test_the_backup_runs_on_a_thread_of_its_own(tmp_path):
    daily = back_up_once(tmp_path)
    ((name, _policy),) = daily.ran_on
    assert name.startswith("voipdesk-backup")  # not a worker that stores sends or reads pages


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE is Linux's")
def test_the_backup_thread_runs_at_the_lowest_priority(tmp_path):
    daily = back_up_once(tmp_path)
    assert [policy for _name, policy in daily.ran_on] == [os.SCHED_IDLE]
    assert os.sched_getscheduler(0) != os.SCHED_IDLE  # (the caller's own thread untouched)


def test_quitting_during_a_backup_does_not_wait_for_it(tmp_path):
    a_database(tmp_path)
    hold = threading.Event()
    daily = Watched(tmp_path, hold=hold)

    async def run() -> float:
        task = asyncio.create_task(back_up_daily(daily, print))
        await until(daily.started.is_set)
        daily.stop()  # as the services do when quitting
        began = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return time.monotonic() - began

    try:
        assert asyncio.run(run()) < 1.0  # the backup is still held: the loop did not wait
    finally:
        hold.set()
    deadline = time.monotonic() + 10
    while any(t.name.startswith("voipdesk-backup") for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert backups(tmp_path) == []  # stopped before it began: nothing kept
