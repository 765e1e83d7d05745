"""Start at login, end to end on Linux: once an account is set up the app writes its XDG
autostart entry; the entry's command starts the app in the tray, without a window, where a
second start still finds it; turned off in Settings, the entry goes."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.app.test_single_instance import RAISED, ROOT, _env, _log, _second_start
from voipdesk import autostart
from voipdesk.settings import Settings

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG autostart entry is Linux's"
)


def _set_up(data: Path, **extra: object) -> None:
    data.mkdir(parents=True)
    values = {"account_id": "acct-1", "numbers": ["+447700900001"], "tunnel_mode": "none"}
    (data / "settings.json").write_text(json.dumps({**values, **extra}), encoding="utf-8")


def _until(check, what: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert proc.poll() is None, f"voipdesk exited while waiting for {what}"
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.05)


def _exec_line(config: Path) -> str:
    parser = configparser.RawConfigParser()
    parser.optionxform = str
    parser.read(config / "autostart" / "voipdesk.desktop", encoding="utf-8")
    return parser["Desktop Entry"]["Exec"]


@pytest.mark.slow
def test_the_entry_is_written_and_its_command_starts_the_app_in_the_tray(tmp_path):
    data, config = tmp_path / "data", tmp_path / "config"
    _set_up(data)
    env = dict(_env(data), XDG_CONFIG_HOME=str(config))
    entry = config / "autostart" / "voipdesk.desktop"
    app = subprocess.Popen(
        [sys.executable, "-m", "voipdesk", "--data-dir", str(data)], env=env, cwd=ROOT
    )
    try:
        _until(entry.exists, "the autostart entry", app)
    finally:
        app.terminate()
        app.wait(20)

    # As the desktop runs it at login (%% is a literal %; the rest is sh's quoting).
    line = _exec_line(config).replace("%%", "%")
    at_login = subprocess.Popen(["sh", "-c", f"exec {line}"], env=env, cwd=tmp_path)
    try:
        _until(lambda: "started in the tray" in _log(data), "a start in the tray", at_login)
        _until(
            lambda: "webhook listener accepting" in _log(data).split("started in the tray")[-1],
            "its listener",
            at_login,
        )
        code, err, _took = _second_start(data)  # a double-click on the icon finds it
        assert code == 0, err
        assert RAISED in _log(data)
    finally:
        at_login.terminate()
        at_login.wait(20)


def test_turned_off_in_settings_the_entry_goes(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data = tmp_path / "data"
    _set_up(data)
    settings = Settings.load(data)
    assert autostart.wanted(settings)  # not chosen yet: on, since the account is set up
    assert autostart.sync(settings) is None and autostart.is_enabled()
    settings.start_at_login = False
    assert autostart.sync(settings) is None
    assert not autostart.is_enabled()
    settings.demo = True  # the demo never touches the real entry
    autostart.enable(data)
    assert autostart.sync(settings) is None and autostart.is_enabled()
