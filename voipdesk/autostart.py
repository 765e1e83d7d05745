"""Starting voipdesk when the user logs in, by each platform's own convention: an XDG autostart
entry on Linux and other freedesktop systems, a LaunchAgent on macOS, the Run key on Windows.
The command starts the app hidden in the tray (`--hidden`) on the same data folder."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voipdesk.settings import Settings

NAME = "voipdesk"
MAC_LABEL = "net.voipdesk.app"
_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def command(data_dir: Path) -> list[str]:
    """The command line that starts this voipdesk, hidden, on data_dir."""
    if getattr(sys, "frozen", False):  # the bundle's own program
        program = [sys.executable]
    else:  # an installed package: the same Python, so the same environment
        program = [sys.executable, "-m", "voipdesk"]
    return [*program, "--data-dir", str(Path(data_dir).resolve()), "--hidden"]


def wanted(settings: Settings) -> bool:
    """Whether voipdesk should start at login for these settings: as chosen in Settings, and
    when not chosen yet, once an account is set up (never for the demo)."""
    if settings.demo:
        return False
    if settings.start_at_login is not None:
        return settings.start_at_login
    return bool(settings.effective_account_id and settings.numbers)


def sync(settings: Settings) -> str | None:
    """Make the login entry match the settings (a worker's job: it writes a file or the
    registry). None when done, else a sentence saying what could not be done. The demo's
    settings leave the entry alone (it is the real voipdesk's)."""
    if settings.demo:
        return None
    want = wanted(settings)
    try:
        if want:
            enable(settings.data_dir)
        elif is_enabled():
            disable()
    except OSError as exc:
        what = "start at login" if want else "stop starting at login"
        return f"voipdesk could not {what} ({exc.strerror or exc}): {where()}."
    return None


def where() -> str:
    """Where the entry lives, in words for Settings."""
    if sys.platform == "win32":
        return f"HKEY_CURRENT_USER\\{_RUN_KEY}\\{NAME}"
    return str(_entry_path())


def is_enabled() -> bool:
    if sys.platform == "win32":
        return _windows_value() is not None
    return _entry_path().exists()


def enable(data_dir: Path) -> None:
    """Start voipdesk at login from now on (replaces an older entry). OSError when it cannot
    be written."""
    args = command(data_dir)
    if sys.platform == "win32":
        _windows_set(subprocess.list2cmdline(args))
        return
    path = _entry_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    if sys.platform == "darwin":
        import plistlib  # (macOS alone: elsewhere it would load an XML parser for nothing)

        data = plistlib.dumps({"Label": MAC_LABEL, "ProgramArguments": args, "RunAtLoad": True})
        path.write_bytes(data)
        return
    path.write_text(desktop_entry(args), encoding="utf-8")


def disable() -> None:
    """No longer start at login; nothing to do when it was not on."""
    if sys.platform == "win32":
        _windows_set(None)
        return
    with contextlib.suppress(FileNotFoundError):
        _entry_path().unlink()


def desktop_entry(args: list[str]) -> str:
    """An XDG autostart entry that runs args."""
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={NAME}\n"
        "Comment=Receive your text messages from the moment you log in\n"
        f"Exec={' '.join(exec_quote(arg) for arg in args)}\n"
        "Icon=voipdesk\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def exec_quote(arg: str) -> str:
    """One argument of an Exec key, quoted as the Desktop Entry Specification says."""
    arg = arg.replace("%", "%%")  # field codes start with %
    if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
        return arg
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
    return f'"{escaped}"'


def _entry_path() -> Path:
    if sys.platform == "darwin":
        return Path.home() / "Library" / "LaunchAgents" / f"{MAC_LABEL}.plist"
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "autostart" / f"{NAME}.desktop"


def _windows_value() -> str | None:  # pragma: no cover - Windows
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY) as key:
            return str(winreg.QueryValueEx(key, NAME)[0])
    except FileNotFoundError:
        return None


def _windows_set(value: str | None) -> None:  # pragma: no cover - Windows
    import winreg

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, _RUN_KEY) as key:
        if value is None:
            with contextlib.suppress(FileNotFoundError):
                winreg.DeleteValue(key, NAME)
        else:
            winreg.SetValueEx(key, NAME, 0, winreg.REG_SZ, value)
