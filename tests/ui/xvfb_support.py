"""A private X server (Xvfb) for tests that need Qt's xcb platform: Qt's StatusNotifier tray
(QSystemTrayIcon over D-Bus) exists only on a real platform, never on "offscreen"."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest


@pytest.fixture
def x_display():
    """A fresh Xvfb; yields its DISPLAY (":N"). Missing Xvfb fails in CI, skips elsewhere."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Xvfb is missing (.ci/system-deps installs it)")
        pytest.skip("Xvfb is not installed here, so there is no X display to test on.")
    read, write = os.pipe()
    process = subprocess.Popen(
        [xvfb, "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as reader:
            number = reader.readline().strip()  # written once the server takes connections
        assert number, "Xvfb printed no display number"
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(5)
