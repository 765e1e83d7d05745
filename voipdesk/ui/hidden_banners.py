"""The window's banners above the thread (webhook URL changed, sending paused, VoIP Number
unreachable), each built the first time it is asked for: all are hidden at start, and building
them would delay the first paint. A built one takes its place among those already built, in
the order of BANNERS."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from voipdesk.ui.banner import Banner
    from voipdesk.ui.main_window import MainWindow
    from voipdesk.ui.offline_banner import OfflineBanner
    from voipdesk.ui.receiving_view import ReceivingView

BANNERS = ("url_banner", "banner", "offline_banner")  # top to bottom


class BuiltWhenAsked:
    """A class attribute whose widget `build(owner)` makes on the first read; it is then kept
    on the owner, so later reads are plain attribute reads."""

    def __init__(self, build: Callable[[Any], QWidget]) -> None:
        self.build = build

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, owner: Any, kind: type | None = None) -> Any:
        if owner is None:
            return self
        widget = self.build(owner)
        owner.__dict__[self.name] = widget
        return widget


def built(owner: object, name: str) -> bool:
    """Whether owner's widget `name` has been built (reading it would build it)."""
    return name in vars(owner)


def _built_banner(window: MainWindow, name: str) -> QWidget | None:
    owner = window.receiving if name == "url_banner" else window
    return vars(owner).get(name)


def place(window: MainWindow, name: str, banner: Banner) -> None:
    """Put `banner` into the window's banners, above the first built one below it."""
    later = BANNERS[BANNERS.index(name) + 1 :]
    below = [w for w in (_built_banner(window, n) for n in later) if w is not None]
    banners = window.banners
    if below:
        banners.insertWidget(banners.indexOf(below[0]), banner)
    else:
        banners.addWidget(banner)
    banner.apply_colors()


def paused_banner(window: MainWindow) -> Banner:
    """Sending is paused: why, and Open Settings."""
    from voipdesk.ui.banner import Banner

    banner = Banner()
    banner.setAccessibleName("Sending paused")
    banner.button.clicked.connect(lambda: window.settingsRequested.emit())
    place(window, "banner", banner)
    return banner


def offline_banner(window: MainWindow) -> OfflineBanner:
    """Messages wait for VoIP Number to be reachable: how many, the next try, Retry now."""
    from voipdesk.ui.offline_banner import OfflineBanner

    banner = OfflineBanner()
    banner.button.clicked.connect(lambda: window.services.retry_waiting())
    place(window, "offline_banner", banner)
    return banner


def url_banner(view: ReceivingView) -> Banner:
    """The webhook URL changed: Show new URL."""
    from voipdesk.ui.banner import Banner

    banner = Banner()
    banner.setAccessibleName("Webhook URL changed")
    banner.button.clicked.connect(view.show_connection)
    place(view.window, "url_banner", banner)
    return banner
