"""From the welcome page: "Set up my account" opens Settings over the window as it will be
(not over an empty page), Cancel goes back to the welcome, and the File menu leads to the demo."""

import asyncio

import pytest
from PySide6.QtWidgets import QPushButton

from voipdesk.app import Controller, make_application

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture
def fresh_app(aio, tmp_path, monkeypatch):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    aio(controller.start())
    yield controller
    aio(controller.shutdown())


def test_set_up_my_account_opens_settings_over_the_app_and_cancel_returns(fresh_app, qtbot):
    window = fresh_app.window
    assert window.showing_welcome()
    window.welcome.setup_button.click()
    qtbot.waitUntil(lambda: fresh_app.settings_dialog is not None, timeout=3000)
    dialog = fresh_app.settings_dialog
    assert dialog.isVisible()
    # Behind the dialog: the conversation list and the status bar, not an empty page.
    assert not window.showing_welcome()
    assert window.conversations.isVisible() and window.statusBar().isVisible()
    dialog.reject()
    qtbot.waitUntil(lambda: fresh_app.settings_dialog is None, timeout=3000)
    assert window.showing_welcome()  # still no account: its two ways on again


def test_the_file_menu_leads_to_the_demo(fresh_app, qtbot):
    window = fresh_app.window
    fresh_app._quit = asyncio.Event()  # (made by main() when the app runs for real)
    file_menu = window.menuBar().actions()[0].menu()
    action = next(a for a in file_menu.actions() if a.text().replace("&", "") == "Try the demo")
    action.trigger()
    assert fresh_app._switch_to_demo and fresh_app._quit.is_set()  # main() restarts in the demo


def test_the_demo_has_no_way_to_itself(demo_app):
    file_menu = demo_app.window.menuBar().actions()[0].menu()
    assert "Try the demo" not in [a.text().replace("&", "") for a in file_menu.actions()]


def test_the_demo_leads_back_to_setting_up_an_account(aio, tmp_path, monkeypatch, qtbot):
    """From `voipdesk --demo`: the demo notice's "Set up my account" restarts on the user's
    own folder (not the demo's) with Settings open over it, as the welcome page's button does;
    the File menu has the same way."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
    running = asyncio.ensure_future(controller.main())
    try:
        qtbot.waitUntil(
            lambda: controller.services is not None and controller.window.isVisible(),
            timeout=10000,
        )
        window = controller.window
        file_menu = window.menuBar().actions()[0].menu()
        texts = [a.text().replace("&", "") for a in file_menu.actions()]
        assert "Set up my account…" in texts
        button = next(
            b
            for b in window.demo_notice.findChildren(QPushButton)
            if b.text() == "Set up my account"
        )
        assert button.isVisible()
        button.click()
        qtbot.waitUntil(
            lambda: (
                controller.window is not None
                and controller.window is not window
                and controller.settings_dialog is not None
            ),
            timeout=10000,
        )
        assert not controller.demo and controller.window.demo_notice is None
        assert controller.window.settings.data_dir == tmp_path  # the user's folder
        assert controller.settings_dialog.isVisible()
        assert controller.sandbox is None
        controller.settings_dialog.reject()
        qtbot.waitUntil(lambda: controller.settings_dialog is None, timeout=3000)
        assert controller.window.showing_welcome()  # still no account: its two ways on
    finally:
        controller._end_run()
        qtbot.waitUntil(running.done, timeout=10000)
    if controller.account_lock is not None:
        controller.account_lock.release()
        controller.account_server.close()
