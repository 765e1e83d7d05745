"""README's sandbox example works as printed, from a shell in the repository after README's
install command (which made .venv)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def block(marker: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"<!-- {marker} -->\n```\n(.*?)```", text, re.S)
    assert found, f"README has no block marked {marker}"
    return found.group(1)


@pytest.mark.slow
def test_the_sandbox_example_sends_one_message(tmp_path):
    if not (ROOT / ".venv" / "bin" / "voipdesk").exists():
        pytest.skip("README's install command has not made .venv here (CI's test command does)")
    # Run where README says (the repository), leaving nothing behind there.
    for leftover in ("sandbox.log", "sandbox-data"):
        assert not (ROOT / leftover).exists(), f"{leftover} is in the way"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}
    try:
        run = subprocess.run(
            ["bash", "-e", "-c", block("sandbox-example")],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        (ROOT / "sandbox.log").unlink(missing_ok=True)
        shutil.rmtree(ROOT / "sandbox-data", ignore_errors=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert re.fullmatch(r"[0-9a-f-]{36}\n", run.stdout), run.stdout
