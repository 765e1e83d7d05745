"""From the demo back to a real account: the demo notice's "Set up my account" button and the
File menu's "Set up my account…" restart the app on the user's own data folder and open its
setup (Settings over the welcome page), as the welcome page's button does.

A demo started with `voipdesk --demo` holds only the demo's folder: the user's own folder is
claimed first (when another voipdesk runs on it, that one comes to the front instead)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QPushButton, QWidget

if TYPE_CHECKING:
    from voipdesk.app import Controller

SET_UP = "Set up my account"


def account_button(window: QWidget) -> QPushButton:
    """The demo notice's way out, beside its "Got it"."""
    button = QPushButton(SET_UP)
    button.setObjectName("primary")
    button.setAccessibleName(SET_UP)
    button.setToolTip("Leave the demo and set voipdesk up with your VoIP Number account")
    button.setAutoDefault(False)
    button.clicked.connect(window.accountRequested)
    return button


def may_leave(controller: Controller) -> bool:
    """True when this process may run on the user's own data folder (it holds it, or has just
    claimed it); False when another voipdesk runs there (it was asked to come forward)."""
    if getattr(controller, "account_lock", None) is not None or not controller.started_in_demo:
        return True
    from voipdesk.ui import single_instance

    owned = single_instance.claim(controller.data_dir)
    if isinstance(owned, int):
        return False
    controller.account_lock = owned  # held until the process ends
    # A second start on that folder brings this window forward, as for an app started there.
    controller.account_server = single_instance.RaiseServer(
        controller.data_dir, controller.show_window
    )
    controller.account_server.start()
    return True


def after_start(controller: Controller) -> None:
    """Just back from the demo: with no account yet, open its setup as the welcome page's
    "Set up my account" does; with one, the app is simply there."""
    window = controller.window
    if window is not None and window.showing_welcome():
        window.welcome.setup_button.click()
