"""On a StatusNotifier desktop (KDE; GNOME with AppIndicator) Qt's tray icon is a D-Bus item
registered with the desktop's watcher. Here a real watcher and notification server sit on a
private session bus, and the app runs on Qt's xcb platform under Xvfb (the offscreen platform
has no tray), in a process of its own: Qt decides once per process whether a StatusNotifier tray
exists and which session bus it talks to. That process runs tests/app/status_notifier_case.py."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CASE = "tests/app/status_notifier_case.py"


def test_the_tray_registers_with_the_watcher_and_a_text_notifies_as_typed_and_opens_on_click(
    session_bus, status_notifier_watcher, x_display, qtbot
):
    env = dict(os.environ, DISPLAY=x_display, QT_QPA_PLATFORM="xcb", VOIPDESK_TUNNEL="none")
    env.pop("WAYLAND_DISPLAY", None)
    run = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", CASE],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # The watcher answers on this process's loop, so keep it running while the case runs.
        qtbot.waitUntil(lambda: run.poll() is not None, timeout=90_000)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait(10)
        output = run.stdout.read()
        run.stdout.close()
    assert run.returncode == 0, output
    assert "1 passed" in output, output
    assert len(status_notifier_watcher.items) == 1  # RegisterStatusNotifierItem came here
