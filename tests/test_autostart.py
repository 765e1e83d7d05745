"""Start at login, the Linux way: an XDG autostart entry whose command starts this voipdesk on
the same data folder, and that goes away when turned off."""

from __future__ import annotations

import configparser
import subprocess
import sys

import pytest

from voipdesk import autostart

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the XDG autostart entry is Linux's"
)


def _entry(tmp_path) -> configparser.SectionProxy:
    parser = configparser.RawConfigParser(strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(tmp_path / "config" / "autostart" / "voipdesk.desktop", encoding="utf-8")
    return parser["Desktop Entry"]


def _as_a_desktop_runs_it(exec_line: str) -> list[str]:
    """The arguments a desktop passes for an Exec line (%% is a literal %; the quoting is the
    shell's double quotes with \\ before " ` $ \\)."""
    line = exec_line.replace("%%", "%")
    run = subprocess.run(
        ["sh", "-c", f"for a in {line}; do printf '%s\\0' \"$a\"; done"],
        capture_output=True,
        check=True,
    )
    return run.stdout.decode().split("\0")[:-1]


def test_turning_it_on_writes_an_entry_that_starts_this_voipdesk_hidden(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data = tmp_path / "my data $HOME `x` 100%"  # what a shell or the spec would mangle
    data.mkdir()
    assert not autostart.is_enabled()
    autostart.enable(data)
    assert autostart.is_enabled()
    entry = _entry(tmp_path)
    assert (entry["Type"], entry["Name"], entry["Terminal"]) == ("Application", "voipdesk", "false")
    assert _as_a_desktop_runs_it(entry["Exec"]) == [
        sys.executable,
        "-m",
        "voipdesk",
        "--data-dir",
        str(data.resolve()),
        "--hidden",
    ]


def test_turning_it_off_removes_the_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    autostart.enable(tmp_path)
    autostart.disable()
    assert not autostart.is_enabled()
    assert not (tmp_path / "config" / "autostart" / "voipdesk.desktop").exists()
    autostart.disable()  # already off: nothing to do, no error
