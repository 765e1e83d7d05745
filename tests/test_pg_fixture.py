"""The PostgreSQL tests without the server binaries: locally they skip with a sentence saying
how to install them; in CI (CI=true) they fail, so a CI run never passes without them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_pg_tests(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "CI"}
    environ.update(VOIPDESK_TEST_PG_BINDIR=str(tmp_path), **env)  # a folder without initdb
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/store/test_pg_server.py"],
        cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_without_the_server_they_skip_saying_how_to_install_it(tmp_path):
    result = run_pg_tests(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "sudo apt-get install postgresql" in result.stdout


def test_without_the_server_they_fail_in_ci(tmp_path):
    result = run_pg_tests(tmp_path, CI="true")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 errors" in result.stdout
    assert "sudo apt-get install postgresql" in result.stdout
