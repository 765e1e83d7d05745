"""`voipdesk backup` and `voipdesk restore FILE` as a user runs them: real subprocesses on real
SQLite files, and a real second process holding the data folder."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from voipdesk.core.models import InboundMessage
from voipdesk.store import SCHEMA_VERSION, Store, database_path
from voipdesk.store.backup import backups

OWN, PEER = "+447700900001", "+447700900100"


def voipdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    return subprocess.run(
        [sys.executable, "-m", "voipdesk", *args, "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def receive(data_dir: Path, *bodies: str) -> None:
    with Store(database_path(data_dir)) as store:
        store.record_webhooks([message(body) for body in bodies])


def message(body: str) -> InboundMessage:
    return InboundMessage(PEER, OWN, body, "sms", f"mdr-{body}", 1716204585, "{}")


def bodies(path: Path) -> list[str]:
    with Store(path) as store:
        return [m.body for m in store.all_messages()]


def snapshot(data_dir: Path) -> dict[str, str]:
    """Every file in the data folder (but the logs and the lock file) and a hash of its bytes."""
    found = {}
    for path in sorted(data_dir.rglob("*")):
        rel = path.relative_to(data_dir).as_posix()
        if path.is_file() and not rel.startswith("logs/") and rel != "instance.lock":
            found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def make_backup(data_dir: Path) -> Path:
    result = voipdesk(data_dir, "backup")
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def test_backup_prints_where_the_backup_went(tmp_path):
    receive(tmp_path, "one", "two")
    result = voipdesk(tmp_path, "backup")
    assert result.returncode == 0, result.stderr
    path = Path(result.stdout.strip())
    assert path.parent == tmp_path / "backups" and path.name.startswith("voipdesk-")
    assert bodies(path) == ["one", "two"]
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "Backed up" in result.stderr


def test_backup_with_no_database_says_so(tmp_path):
    result = voipdesk(tmp_path, "backup")
    assert result.returncode == 1
    assert "no message database" in result.stderr and "Traceback" not in result.stderr
    assert not database_path(tmp_path).exists()


@pytest.mark.skipif(os.name != "posix", reason="a WAL left by a killed process")
def test_restore_puts_the_backup_in_place_and_keeps_the_current_database_aside(tmp_path):
    receive(tmp_path, "before 1", "before 2")
    backup = make_backup(tmp_path)
    # Messages after the backup, left in the -wal by a voipdesk that was killed (as it is when
    # the computer loses power): they are in the database that restore must keep aside.
    script = textwrap.dedent(f"""
        import os
        from voipdesk.core.models import InboundMessage
        from voipdesk.store import Store, database_path
        store = Store(database_path({str(tmp_path)!r}))
        store.record_webhooks(
            [InboundMessage({PEER!r}, {OWN!r}, "after", "sms", "mdr-after", 1716204585, "{{}}")]
        )
        os._exit(0)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    db = database_path(tmp_path)
    current = {s: Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm")}
    assert current["-wal"], "the killed process left its -wal"

    result = voipdesk(tmp_path, "restore", str(backup))
    assert result.returncode == 0, result.stderr
    assert bodies(db) == ["before 1", "before 2"]
    [aside] = [p for p in tmp_path.glob("voipdesk-before-restore-*.sqlite3")]
    assert str(aside) in result.stdout and "Restored 2 messages" in result.stdout
    assert {s: Path(f"{aside}{s}").read_bytes() for s in ("", "-wal", "-shm")} == current
    assert bodies(aside) == ["before 1", "before 2", "after"]  # with its WAL, nothing lost
    if os.name == "posix":
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert backup.exists() and bodies(backup) == ["before 1", "before 2"]


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Files restore must refuse, and what it says for each."""
    good = tmp_path / "good.sqlite3"
    with Store(good) as store:
        store.record_webhooks([message(f"message {i} " + "x" * 200) for i in range(400)])
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(good.read_bytes())
    with open(damaged, "r+b") as fh:  # 8 KB of random bytes in the middle
        fh.seek(os.path.getsize(damaged) // 2 // 4096 * 4096)
        fh.write(os.urandom(8192))
    newer = tmp_path / "newer.sqlite3"
    newer.write_bytes(good.read_bytes())
    conn = sqlite3.connect(newer)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    text = tmp_path / "notes.txt"
    text.write_text("my shopping list\n" * 100)
    other = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    return {
        "damaged": (damaged, "is damaged"),
        "too new": (newer, "newer voipdesk"),
        "not a database": (text, "is not a SQLite database"),
        "not voipdesk's": (other, "not one of voipdesk's"),
        "missing": (tmp_path / "nowhere.sqlite3", "does not exist"),
    }


def test_restore_refuses_what_is_not_a_sound_voipdesk_backup_and_changes_nothing(tmp_path):
    data_dir = tmp_path / "data"
    receive(data_dir, "mine")
    make_backup(data_dir)
    before = snapshot(data_dir)
    for name, (path, says) in bad_files(tmp_path).items():
        result = voipdesk(data_dir, "restore", str(path))
        assert result.returncode == 2, (name, result.stderr)
        assert says in result.stderr and "Nothing was changed" in result.stderr, name
        assert "Traceback" not in result.stderr, name
        assert snapshot(data_dir) == before, name
    assert bodies(database_path(data_dir)) == ["mine"]


def test_restore_refuses_while_another_voipdesk_holds_the_data_folder(tmp_path):
    receive(tmp_path, "mine")
    backup = make_backup(tmp_path)
    receive(tmp_path, "newer")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from voipdesk.instance import InstanceLock\n"
            f"lock = InstanceLock.acquire({str(tmp_path)!r}, 'listen')\n"
            "print('holding', flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        before = snapshot(tmp_path)
        result = voipdesk(tmp_path, "restore", str(backup))
        assert result.returncode == 75, result.stderr
        assert f"`voipdesk listen` (process {holder.pid}" in result.stderr
        assert "Quit it" in result.stderr and "Nothing was changed" in result.stderr
        assert snapshot(tmp_path) == before
    finally:
        holder.communicate("", timeout=30)
    result = voipdesk(tmp_path, "restore", str(backup))  # once it has quit
    assert result.returncode == 0, result.stderr
    assert bodies(database_path(tmp_path)) == ["mine"]
    assert len(backups(tmp_path)) == 1
