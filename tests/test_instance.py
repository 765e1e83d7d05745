"""voipdesk.instance: one voipdesk owns a data folder, in this process and across real ones."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from voipdesk.instance import (
    INFO_NAME,
    LOCK_NAME,
    AlreadyRunning,
    Holder,
    InstanceLock,
    running,
)

# A process that takes the folder for a role, says so, and holds it until stdin closes (or it is
# killed). With "spawn", it first starts a long-lived child of its own, as the app starts the
# ngrok agent, and prints that child's pid too.
HOLDER = """
import subprocess, sys
from voipdesk.instance import InstanceLock
lock = InstanceLock.acquire(sys.argv[1], sys.argv[2])
child = None
if "spawn" in sys.argv[3:]:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print("held", child.pid if child else 0, flush=True)
sys.stdin.read()
"""


class HolderProcess:
    def __init__(self, data_dir: Path, role: str, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(data_dir), role, *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().split()
        assert line[:1] == ["held"], line
        self.child_pid = int(line[1])

    def kill(self) -> None:
        self.proc.kill()
        self.stop()

    def stop(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout):  # stdin's end stops it
            if stream is not None and not stream.closed:
                stream.close()
        self.proc.wait(10)


@pytest.fixture
def holders():
    started: list[HolderProcess] = []
    yield lambda *args: started.append(HolderProcess(*args)) or started[-1]
    for holder in started:
        holder.stop()
        if holder.child_pid:  # (it would end by itself after a minute)
            with contextlib.suppress(ProcessLookupError):
                os.kill(holder.child_pid, signal.SIGKILL)


def test_a_second_acquire_names_the_first_and_a_release_lets_the_next_one_in(tmp_path):
    first = InstanceLock.acquire(tmp_path, "app")
    with pytest.raises(AlreadyRunning) as caught:
        InstanceLock.acquire(tmp_path, "listen")
    holder = caught.value.holder
    assert (holder.pid, holder.role) == (os.getpid(), "app")
    assert abs(holder.started - time.time()) < 60
    assert running(tmp_path) == holder
    started = time.strftime("%H:%M", time.localtime(holder.started))
    assert str(caught.value) == (
        f"the voipdesk app (process {os.getpid()}, started {started}) "
        f"is already running on the data folder {tmp_path}"
    )
    first.release()
    assert not (tmp_path / INFO_NAME).exists()
    assert running(tmp_path) is None
    with InstanceLock.acquire(tmp_path, "listen"):
        assert running(tmp_path).role == "listen"
    assert running(tmp_path) is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_two_processes_one_folder_and_a_killed_holder_lets_go(tmp_path, holders):
    """The lock is the OS's: another process is refused while the holder lives, and SIGKILL
    (no clean-up at all) frees the folder at once, though instance.json is left behind."""
    holder = holders(tmp_path, "listen")
    with pytest.raises(AlreadyRunning) as caught:
        InstanceLock.acquire(tmp_path, "app")
    assert caught.value.holder.pid == holder.proc.pid
    assert caught.value.holder.describe().startswith(
        f"`voipdesk listen` (process {holder.proc.pid}, started "
    )
    assert running(tmp_path).pid == holder.proc.pid

    holder.kill()
    assert (tmp_path / INFO_NAME).exists()  # a crash leaves it
    assert running(tmp_path) is None
    with InstanceLock.acquire(tmp_path, "app"):
        assert running(tmp_path).pid == os.getpid()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_child_the_holder_started_does_not_keep_the_folder(tmp_path, holders):
    """The app and `listen` start the ngrok agent, which outlives a voipdesk that is killed:
    the agent must not inherit the lock, or the folder would stay taken until it ends."""
    holder = holders(tmp_path, "app", "spawn")
    os.kill(holder.child_pid, 0)  # the child lives
    holder.kill()
    os.kill(holder.child_pid, 0)  # and still does, its parent gone
    with InstanceLock.acquire(tmp_path, "listen"):
        pass


def test_asking_who_runs_never_makes_a_start_fail(tmp_path):
    """running() takes the lock for a moment to see whether it is free: a start that meets that
    moment must wait it out, not report "already running" with nobody running."""
    stop = threading.Event()

    def ask() -> None:
        while not stop.is_set():
            running(tmp_path)

    InstanceLock.acquire(tmp_path, "app").release()  # the lock file exists: running() probes
    asker = threading.Thread(target=ask)
    asker.start()
    try:
        for _ in range(200):
            InstanceLock.acquire(tmp_path, "app").release()
    finally:
        stop.set()
        asker.join()


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX flock from a raw process")
def test_a_crashs_leftover_never_names_a_dead_process(tmp_path):
    """The holder takes the lock before it writes who it is; meanwhile the instance.json a
    crashed voipdesk left must not be taken for it."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], text=True,
                          capture_output=True, check=True)  # fmt: skip
    (tmp_path / INFO_NAME).write_text(
        f'{{"pid": {int(dead.stdout)}, "role": "listen", "started": 1.0, "host": ""}}'
    )
    locker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT); "
            "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
            str(tmp_path / LOCK_NAME),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "held\n"
        with pytest.raises(AlreadyRunning) as caught:
            InstanceLock.acquire(tmp_path, "app")
        assert caught.value.holder == Holder(0, "", 0.0)
        assert caught.value.holder.describe() == "another voipdesk"
    finally:
        locker.communicate(timeout=10)


def test_asking_about_a_folder_creates_nothing(tmp_path):
    folder = tmp_path / "never-used"
    assert running(folder) is None
    assert not folder.exists()


def test_a_folder_that_cannot_be_used_is_an_os_error_not_another_voipdesk(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    with pytest.raises(OSError) as caught:
        InstanceLock.acquire(not_a_folder, "app")
    assert not isinstance(caught.value, AlreadyRunning)


def test_the_holder_is_described_for_a_person():
    now = time.time()
    assert Holder(4321, "app", now).describe() == (
        f"the voipdesk app (process 4321, started {time.strftime('%H:%M', time.localtime(now))})"
    )
    three_days_ago = now - 3 * 86400
    assert Holder(7, "listen", three_days_ago).describe() == (
        "`voipdesk listen` (process 7, started "
        f"{time.strftime('%d %b %H:%M', time.localtime(three_days_ago))})"
    )
    assert "on other-pc" in Holder(7, "app", now, "other-pc").describe()  # a shared folder
    assert Holder(0, "", 0.0).describe() == "another voipdesk"
