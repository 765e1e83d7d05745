"""The real app on one qasync loop, with the embedded sandbox and a real listener socket."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

from tests.ui.dbus_support import (  # noqa: F401 (fixtures)
    notification_server,
    session_bus,
    status_notifier_watcher,
)
from tests.ui.xvfb_support import x_display  # noqa: F401 (fixture)
from voipdesk.app import Controller, make_application


@pytest.fixture
def demo_app(aio, tmp_path, monkeypatch):
    """voipdesk --demo, started in this process on a temp data dir."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
    aio(controller.start())
    yield controller
    aio(controller.shutdown())
