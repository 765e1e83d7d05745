"""The desktop switches between light and dark the way GNOME and others say it, through the XDG
desktop portal's Settings (org.freedesktop.appearance color-scheme), while voipdesk runs: a
fake portal on a private session bus, voipdesk's QApplication in a process of its own on a
private X display with Qt's portal theme. With no palette from the desktop, Qt 6.11 changes
the scheme but not the palette; the app must still turn dark, and back."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Annotated

import pytest
from dbus_fast import Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusSignature, DBusStr, DBusUInt32
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property, dbus_signal
from PySide6.QtGui import QColor

ROOT = Path(__file__).resolve().parents[2]
DARK, LIGHT = 1, 2  # the portal's color-scheme values


class PortalSettings(ServiceInterface):
    """org.freedesktop.portal.Settings as a desktop offers it: the colour scheme only."""

    def __init__(self, scheme: int) -> None:
        super().__init__("org.freedesktop.portal.Settings")
        self.scheme = scheme

    @dbus_method()
    def ReadAll(
        self, namespaces: Annotated[list[str], DBusSignature("as")]
    ) -> Annotated[dict, DBusSignature("a{sa{sv}}")]:
        return {"org.freedesktop.appearance": {"color-scheme": Variant("u", self.scheme)}}

    @dbus_method()
    def ReadOne(self, namespace: DBusStr, key: DBusStr) -> Annotated[Variant, DBusSignature("v")]:
        return Variant("u", self.scheme)

    @dbus_method()
    def Read(self, namespace: DBusStr, key: DBusStr) -> Annotated[Variant, DBusSignature("v")]:
        return Variant("v", Variant("u", self.scheme))

    @dbus_signal()
    def SettingChanged(self) -> Annotated[tuple[str, str, Variant], DBusSignature("ssv")]:
        return ["org.freedesktop.appearance", "color-scheme", Variant("u", self.scheme)]

    @dbus_property(access=PropertyAccess.READ)
    def version(self) -> DBusUInt32:
        return 2

    def switch(self, scheme: int) -> None:
        self.scheme = scheme
        self.SettingChanged()


@pytest.fixture
def portal(session_bus, aio):
    buses = []

    async def start() -> PortalSettings:
        bus = await MessageBus().connect()
        buses.append(bus)
        settings = PortalSettings(LIGHT)
        bus.export("/org/freedesktop/portal/desktop", settings)
        await bus.request_name("org.freedesktop.portal.Desktop")
        return settings

    yield aio(start())
    for bus in buses:
        bus.disconnect()
        aio(bus.wait_for_disconnect())


def dark(color: str) -> bool:
    return QColor(color).lightness() < 128


def test_voipdesk_follows_the_desktop_portal_switching_to_dark_and_back(
    portal,
    x_display,
    qtbot,
    tmp_path,
):
    env = dict(os.environ, DISPLAY=x_display, QT_QPA_PLATFORM="xcb")
    env["QT_QPA_PLATFORMTHEME"] = "xdgdesktopportal"
    env["PYTHONPATH"] = str(ROOT)
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "tests" / "app" / "scheme_probe.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(line) for line in process.stdout], daemon=True
    ).start()
    seen: list[list[str]] = []

    def shows(scheme: str, want_dark: bool) -> bool:
        while not lines.empty():
            seen.append(lines.get().split())
        if not seen:
            return False
        name, background, text = seen[-1]
        return (
            name == scheme
            and dark(background) == want_dark
            and dark(text) != want_dark  # the label's text reads on it
        )

    try:
        qtbot.waitUntil(lambda: shows("Light", False), timeout=10000)
        portal.switch(DARK)
        qtbot.waitUntil(lambda: shows("Dark", True), timeout=5000)
        portal.switch(LIGHT)
        qtbot.waitUntil(lambda: shows("Light", False), timeout=5000)
    finally:
        process.terminate()
        process.wait(5)
        process.stdout.close()
