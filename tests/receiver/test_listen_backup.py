"""`voipdesk listen` backs the database up daily, as a real process: at start when the newest
backup is a day old, not when it is fresh; a backup that fails is said once, receiving goes on."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import httpx
import pytest

from voipdesk.store import Store, database_path
from voipdesk.store.backup import DAY, backup_dir, backups, make_backup

from .test_listen_cli import ListenProcess, message

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def with_a_backup(data_dir: Path, age: float) -> Path:
    with Store(database_path(data_dir)) as store:
        store.message_count()
    made = make_backup(data_dir)
    os.utime(made, (time.time() - age, time.time() - age))
    return made


def wait_for(condition, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def stop(listen: ListenProcess) -> str:
    listen.proc.terminate()
    assert listen.finish() == 0
    return listen.stderr


def test_listen_backs_up_at_start_when_the_newest_backup_is_a_day_old(tmp_path):
    old = with_a_backup(tmp_path, age=DAY + 60)
    listen = ListenProcess(tmp_path)
    try:
        listen.webhook_url()
        assert wait_for(lambda: len(backups(tmp_path)) == 2), listen.stderr
    finally:
        stop(listen)
    assert backups(tmp_path)[0] == old


def test_listen_does_not_back_up_when_the_newest_backup_is_recent(tmp_path):
    with_a_backup(tmp_path, age=DAY - 3600)
    listen = ListenProcess(tmp_path)
    try:
        listen.webhook_url()
        time.sleep(1.5)
    finally:
        stop(listen)
    assert len(backups(tmp_path)) == 1


def test_a_backup_that_fails_is_said_once_and_receiving_goes_on(tmp_path):
    with Store(database_path(tmp_path)) as store:
        store.message_count()
    backup_dir(tmp_path).write_text("not a folder")  # where the backups go cannot be written
    listen = ListenProcess(tmp_path)
    try:
        url = listen.webhook_url()
        response = httpx.post(url, json=message(1, "still here"), timeout=10)
        assert response.status_code == 200
        assert listen.next_line() == "+447445459147 -> +447476553275: still here"
    finally:
        stderr = stop(listen)
    assert stderr.count("The daily backup of your messages could not be made") == 1, stderr
    assert "Traceback" not in stderr
