"""A data folder that the voipdesk process cannot write: every command says which folder and why
in one sentence (no traceback) and exits 1; `export` still works, reading it read-only.

The folder is made read-only for real. As a normal user: chmod 0500. As root (CI containers),
chmod does not stop root, so voipdesk runs in a mount namespace of its own (`unshare -m`) where
the folder is bind-mounted read-only: the "data folder on a read-only mount" of the issue,
seen by that process alone. Where that is not allowed, the folder is given to the unprivileged
user 65534 with mode 0500 and voipdesk runs as that user; when that user cannot run this Python
either, the tests are skipped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from store.bigfile import fill

from voipdesk.store import database_path

MESSAGES = 40
NOBODY = 65534

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")


_MOUNT_RO = 'mount --bind -o ro "$0" "$0" && exec "$@"'


class ReadOnlyFolder:
    def __init__(self, path: Path, as_user: dict, *, mount: bool = False) -> None:
        self.path, self.as_user, self.mount = path, as_user, mount

    def command(self, *args: str) -> list[str]:
        if not self.mount:
            return list(args)
        return ["unshare", "--mount", "sh", "-c", _MOUNT_RO, str(self.path), *args]

    def voipdesk(self, *args: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
        env.update(
            VOIPDESK_TUNNEL="none",
            VOIPDESK_ACCOUNT_ID="acct",
            VOIPDESK_API_TOKEN="tok-123456",
            VOIPDESK_API_URL="http://127.0.0.1:9/v1/sms/send",
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
            PYTHONDONTWRITEBYTECODE="1",
            HOME=str(self.path.parent),
        )
        return subprocess.run(
            self.command(sys.executable, "-m", "voipdesk", "--data-dir", str(self.path), *args),
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.path.parent,
            **self.as_user,
        )


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[ReadOnlyFolder]:
    if os.geteuid() != 0:
        data = tmp_path / "data"
        fill(database_path(data), MESSAGES, 4)
        os.chmod(data, 0o500)
        try:
            yield ReadOnlyFolder(data, {})
        finally:
            os.chmod(data, 0o700)
        return
    data = tmp_path / "data"
    fill(database_path(data), MESSAGES, 4)
    mounted = ReadOnlyFolder(data, {}, mount=True)
    if shutil.which("unshare"):
        probe = subprocess.run(mounted.command("touch", str(data / "probe")), capture_output=True)
        if probe.returncode != 0 and b"Read-only file system" in probe.stderr:
            yield mounted
            return
    base = Path(tempfile.mkdtemp(prefix="voipdesk-read-only-"))
    try:
        os.chmod(base, 0o755)
        data = base / "data"
        fill(database_path(data), MESSAGES, 4)
        for path in (data, *data.iterdir()):
            os.chown(path, NOBODY, NOBODY)
        os.chmod(data, 0o500)
        as_user = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
        try:
            code = subprocess.run([sys.executable, "-c", "import voipdesk.cli"], **as_user)
        except OSError:
            code = None
        if code is None or code.returncode != 0:
            pytest.skip(
                "running as root, where no read-only mount can be made and user 65534 cannot "
                "run this Python: there is no folder this test could make read-only"
            )
        yield ReadOnlyFolder(data, as_user)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_export_works_from_a_read_only_folder(read_only: ReadOnlyFolder) -> None:
    before = contents(read_only.path)
    result = read_only.voipdesk("export")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)) == MESSAGES
    assert "Traceback" not in result.stderr
    assert contents(read_only.path) == before  # nothing written, no log, no journal


@pytest.mark.parametrize(
    "command",
    [
        ["listen"],
        ["send", "--from", "+447700900001", "--to", "+447700900100", "hello"],
        ["repair"],
    ],
)
def test_writing_commands_say_which_folder_and_why(
    read_only: ReadOnlyFolder, command: list[str]
) -> None:
    before = contents(read_only.path)
    result = read_only.voipdesk(*command)
    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"voipdesk cannot write to its data folder {read_only.path} (")
    assert "(Permission denied)" in line or "(Read-only file system)" in line
    assert "make the folder writable" in line and "is damaged" not in line
    assert result.stdout == ""
    assert contents(read_only.path) == before
