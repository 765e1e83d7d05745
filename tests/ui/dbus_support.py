"""A real D-Bus session bus (dbus-daemon) for a test, and a small org.freedesktop.Notifications
server on it that records what it was given and can invoke a notification's action, as a
desktop's notification server does when the person clicks the notification; and a
StatusNotifier watcher (the tray of KDE, or of GNOME with AppIndicator) that tray icons register
with."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Annotated

import pytest
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusSignature, DBusStr, DBusUInt32
from dbus_fast.constants import PropertyAccess
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property, dbus_signal

SERVICE = "org.freedesktop.Notifications"


@pytest.fixture
def session_bus(monkeypatch):
    """A private session bus; DBUS_SESSION_BUS_ADDRESS points at it for the test."""
    daemon = shutil.which("dbus-daemon")
    if daemon is None:
        if os.environ.get("CI") == "true":
            pytest.fail("dbus-daemon is missing (.ci/system-deps installs it)")
        pytest.skip("dbus-daemon is not installed here, so there is no session bus to test on.")
    process = subprocess.Popen(
        [daemon, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # ("Failed to set fd limit" as root in a container)
        text=True,
    )
    try:
        address = process.stdout.readline().strip()
        assert address, "dbus-daemon printed no address"
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address
    finally:
        process.terminate()
        process.wait(5)
        process.stdout.close()


@dataclass
class Shown:
    app_name: str
    summary: str
    body: str
    actions: list[str]
    id: int


class NotificationServer(ServiceInterface):
    """The parts of the Desktop Notifications Specification a client uses."""

    def __init__(self, capabilities: list[str]) -> None:
        super().__init__(SERVICE)
        self.capabilities = capabilities
        self.shown: list[Shown] = []

    @dbus_method()
    def GetCapabilities(self) -> Annotated[list[str], DBusSignature("as")]:
        return self.capabilities

    @dbus_method()
    def GetServerInformation(self) -> Annotated[tuple[str, str, str, str], DBusSignature("ssss")]:
        return ["test-server", "voipdesk tests", "1.0", "1.2"]

    @dbus_method()
    def Notify(
        self,
        app_name: DBusStr,
        replaces_id: DBusUInt32,
        app_icon: DBusStr,
        summary: DBusStr,
        body: DBusStr,
        actions: Annotated[list[str], DBusSignature("as")],
        hints: Annotated[dict, DBusSignature("a{sv}")],
        expire_timeout: Annotated[int, DBusSignature("i")],
    ) -> DBusUInt32:
        shown = Shown(app_name, summary, body, list(actions), len(self.shown) + 1)
        self.shown.append(shown)
        return shown.id

    @dbus_method()
    def CloseNotification(self, id: DBusUInt32):
        self.NotificationClosed(id, 3)

    @dbus_signal()
    def ActionInvoked(
        self, id: int, action_key: str
    ) -> Annotated[tuple[int, str], DBusSignature("us")]:
        return [id, action_key]

    @dbus_signal()
    def NotificationClosed(
        self, id: int, reason: int
    ) -> Annotated[tuple[int, int], DBusSignature("uu")]:
        return [id, reason]

    def click(self, shown: Shown) -> None:
        """What the server does when the person clicks the notification's body."""
        assert "default" in shown.actions[::2], f"no default action in {shown.actions}"
        self.ActionInvoked(shown.id, "default")


@pytest.fixture
def notification_server(session_bus, aio):
    """start(capabilities): a notification server on the test's session bus."""
    buses = []

    async def connect(capabilities):
        bus = await MessageBus().connect()
        buses.append(bus)
        server = NotificationServer(capabilities)
        bus.export("/org/freedesktop/Notifications", server)
        await bus.request_name(SERVICE)
        return server

    yield lambda capabilities=("body", "body-markup", "actions"): aio(connect(list(capabilities)))
    for bus in buses:
        bus.disconnect()
        aio(bus.wait_for_disconnect())


WATCHER = "org.kde.StatusNotifierWatcher"


class StatusNotifierWatcher(ServiceInterface):
    """What a desktop's tray (its StatusNotifier host) offers: Qt counts the tray as available
    when this name is on the session bus, and a shown tray icon registers its item here."""

    def __init__(self) -> None:
        super().__init__(WATCHER)
        self.items: list[str] = []  # the services that registered an item

    @dbus_method()
    def RegisterStatusNotifierItem(self, service: DBusStr):
        self.items.append(service)  # (Qt gives its connection's unique name)
        self.StatusNotifierItemRegistered(service)

    @dbus_method()
    def RegisterStatusNotifierHost(self, service: DBusStr):
        pass

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> Annotated[list[str], DBusSignature("as")]:
        return self.items

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> Annotated[bool, DBusSignature("b")]:
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> Annotated[int, DBusSignature("i")]:
        return 0

    @dbus_signal()
    def StatusNotifierItemRegistered(self, service: str) -> DBusStr:
        return service

    @dbus_signal()
    def StatusNotifierHostRegistered(self) -> None:
        return None


@pytest.fixture
def status_notifier_watcher(session_bus, aio):
    """A StatusNotifier watcher on the test's session bus, there before the app starts."""
    bus = aio(MessageBus().connect())
    watcher = StatusNotifierWatcher()
    bus.export("/StatusNotifierWatcher", watcher)
    aio(bus.request_name(WATCHER))
    yield watcher
    bus.disconnect()
    aio(bus.wait_for_disconnect())
