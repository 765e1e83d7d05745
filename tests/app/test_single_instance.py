"""One app per data folder: a second start brings the running window to the front and quits;
the app and `voipdesk listen` refuse each other, naming the one that runs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.receiver.test_listen_cli import ListenProcess
from voipdesk.instance import EXIT_RUNNING, Holder, running
from voipdesk.ui.single_instance import RaiseServer, ask_to_come_forward, refusal_text

ROOT = Path(__file__).resolve().parents[2]
RAISED = "asked this window to come to the front"
LISTENING = "webhook listener accepting"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="ends processes with signals")


def _env(data: Path) -> dict[str, str]:
    # The local server's socket goes in TMPDIR: the test's own, so the sockets of the apps it
    # ends with a signal (which leaves them behind) go with it.
    tmp = data.parent / "tmp"
    tmp.mkdir(exist_ok=True)
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        VOIPDESK_TUNNEL="none",
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",  # never the real keyring
        TMPDIR=str(tmp),
    )
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN", "VOIPDESK_DATA_DIR"):
        env.pop(name, None)
    return env


def _log(data: Path) -> str:
    path = data / "logs" / "voipdesk.log"
    return path.read_text("utf-8") if path.exists() else ""


class App:
    """`python -m voipdesk --data-dir DATA` (the app, offscreen), started and waited for."""

    def __init__(self, data: Path, *extra: str) -> None:
        self.data = data
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "voipdesk", "--data-dir", str(data), *extra],
            env=_env(data),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_until_receiving(self, count: int = 1, timeout: float = 60) -> None:
        """Until the log says `count` listeners accept (its raise server starts before)."""
        deadline = time.monotonic() + timeout
        while _log(self.data).count(LISTENING) < count:
            assert self.proc.poll() is None, self.proc.communicate()[1][-2000:]
            assert time.monotonic() < deadline, "the app did not start its listener"
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        self.proc.communicate(timeout=20)


@pytest.fixture
def apps():
    started: list[App] = []
    yield lambda *args: started.append(App(*args)) or started[-1]
    for app in started:
        app.stop()


def _second_start(data: Path, *extra: str, timeout: float = 30) -> tuple[int, str, float]:
    began = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "voipdesk", "--data-dir", str(data), *extra],
        env=_env(data),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return run.returncode, run.stderr, time.monotonic() - began


def test_a_second_start_brings_the_running_window_forward_and_quits(tmp_path, apps):
    data = tmp_path / "data"
    first = apps(data)
    first.wait_until_receiving()

    code, err, took = _second_start(data)

    assert code == 0, err
    assert err.strip() == ""  # quietly
    assert took < 10
    assert RAISED in _log(data)  # the first one was asked, and showed its window
    assert _log(data).count(LISTENING) == 1  # the second never started receiving
    assert running(data).pid == first.proc.pid
    assert first.proc.poll() is None


def test_a_crashed_apps_leftover_socket_does_not_stop_the_next_one_being_raised(tmp_path, apps):
    """SIGKILL leaves the local server's socket file behind; the next app (which holds the
    folder's lock, so knows it is stale) replaces it, and a start after that reaches it."""
    data = tmp_path / "data"
    crashed = apps(data)
    crashed.wait_until_receiving()
    crashed.stop(signal.SIGKILL)
    second = apps(data)
    second.wait_until_receiving(count=2)

    code, err, _took = _second_start(data)

    assert code == 0, err
    assert RAISED in _log(data)
    assert running(data).pid == second.proc.pid


def test_the_app_refuses_a_folder_listen_receives_on_and_says_so(tmp_path):
    data = tmp_path / "data"
    listen = ListenProcess(data)
    try:
        listen.webhook_url()
        code, err, took = _second_start(data)
        assert code == EXIT_RUNNING
        assert f"`voipdesk listen` (process {listen.proc.pid}, started " in err
        assert str(data) in err and "Ctrl+C" in err
        assert took < 10  # listen cannot be asked to show a window: no waiting for it
    finally:
        listen.proc.send_signal(signal.SIGINT)
        assert listen.finish() == 0


def test_listen_refuses_a_folder_the_app_receives_on_and_says_so(tmp_path, apps):
    data = tmp_path / "data"
    app = apps(data)
    app.wait_until_receiving()

    code, err, _took = _second_start(data, "listen")

    assert code == EXIT_RUNNING
    assert f"the voipdesk app (process {app.proc.pid}, started " in err
    assert "Quit" in err


def test_the_demo_runs_beside_the_real_app_and_is_one_per_folder_itself(tmp_path, apps):
    """The demo keeps to <data>/demo: it never takes the user's folder from the app (nor the
    app from it); a second demo brings the first one's window forward."""
    data = tmp_path / "data"
    app = apps(data)
    app.wait_until_receiving()
    demo = apps(data, "--demo")
    demo.wait_until_receiving(count=2)
    assert running(data).pid == app.proc.pid
    assert running(data / "demo").pid == demo.proc.pid

    code, err, _took = _second_start(data, "--demo")

    assert code == 0, err
    assert _log(data).count(RAISED) == 1


# -- in this process: the window itself ---------------------------------------------------------


@pytest.mark.qt_log_ignore("This plugin does not support raise")  # (offscreen)
@pytest.mark.parametrize("how", ["hidden to the tray", "minimized"])
def test_the_request_shows_a_window_hidden_in_the_tray_or_minimized(demo_app, qtbot, tmp_path, how):
    window = demo_app.window
    if how == "minimized":
        window.showMinimized()
    else:
        window.hide()
    qtbot.waitUntil(lambda: not window.isVisible() or window.isMinimized())
    server = RaiseServer(tmp_path, demo_app.show_window)
    assert server.start()
    answered: list[bool] = []
    # The second start blocks on its socket: a thread of its own here, a process in real life.
    asker = threading.Thread(target=lambda: answered.append(ask_to_come_forward(tmp_path)))
    try:
        asker.start()
        qtbot.waitUntil(lambda: bool(answered), timeout=10_000)
    finally:
        asker.join(10)
        server.close()
    assert answered == [True]
    assert window.isVisible()
    assert not window.windowState() & Qt.WindowState.WindowMinimized


def test_nothing_answers_on_a_folder_without_a_running_app(tmp_path):
    assert ask_to_come_forward(tmp_path, timeout_ms=500) is False


def test_the_refusal_says_who_holds_the_folder_and_what_to_do(tmp_path):
    now = time.time()
    title, text = refusal_text(tmp_path, Holder(4321, "listen", now), unanswered=False)
    assert title == "voipdesk is already running"
    started = time.strftime("%H:%M", time.localtime(now))
    assert text.startswith(f"`voipdesk listen` (process 4321, started {started})")
    assert str(tmp_path) in text and "Ctrl+C" in text and "--data-dir" in text
    _title, text = refusal_text(tmp_path, Holder(99, "app", time.time()), unanswered=True)
    assert text.startswith("The voipdesk app (process 99")
    assert "did not answer" in text and "end process 99" in text
