"""The floors below the window: nothing under core, store, provider, receiver, outbox,
sandbox, services or settings loads PySide6, qasync or voipdesk.ui (so `voipdesk listen`,
`send` and `export` run without Qt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FLOORS = ["core", "store", "provider", "receiver", "outbox", "sandbox", "services", "settings"]

CHECK = """
import importlib, pkgutil, sys
floor = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(getattr(floor, "__path__", []), floor.__name__ + "."):
    if not info.name.endswith(".__main__"):
        importlib.import_module(info.name)
print(sorted(m for m in sys.modules
             if m.split(".")[0] in ("PySide6", "qasync") or m.startswith("voipdesk.ui")))
"""


@pytest.mark.parametrize("floor", FLOORS)
def test_a_floor_loads_no_qt(floor):
    """Every module of the floor, each imported: none of them pulls in Qt or the window."""
    out = subprocess.run(
        [sys.executable, "-c", CHECK, f"voipdesk.{floor}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_every_floor_is_checked():
    """A new package beside these is either a floor (checked here) or the window's."""
    packages = {p.name for p in (ROOT / "voipdesk").iterdir() if (p / "__init__.py").exists()}
    modules = {p.stem for p in (ROOT / "voipdesk").glob("*.py")}
    assert set(FLOORS) <= packages | modules
