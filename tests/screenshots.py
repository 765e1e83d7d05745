"""Screenshots of the real app (demo) for README, light and dark, under a real X display.

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python tests/screenshots.py
    # or, with an X server already on :99:
    DISPLAY=:99 VOIPDESK_TUNNEL=none .venv/bin/python tests/screenshots.py

Writes resources/screenshots/{main,settings,connection,welcome}-{light,dark}.png. Dark mode is the
palette a dark desktop theme hands Qt (the bare X server has no theme to ask).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import qasync
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from voipdesk import demo
from voipdesk.app import Controller, make_application

OUT = Path(__file__).resolve().parent.parent / "resources" / "screenshots"


def dark_palette() -> QPalette:
    """What a dark desktop theme hands Qt: every role, the 3D ones too (Fusion draws frames
    and bevels with Light/Mid/Dark; left out, they stay light-mode grey)."""
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26272b",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2d2e31",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.BrightText: "#ffffff",
        QPalette.ColorRole.Highlight: "#2f7cf6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#2d2e31",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#9aa0a6",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.LinkVisited: "#c58af9",
        QPalette.ColorRole.Light: "#3c3d41",
        QPalette.ColorRole.Midlight: "#333438",
        QPalette.ColorRole.Mid: "#4a4b4f",
        QPalette.ColorRole.Dark: "#111213",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, color in roles.items():
        p.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7378"))
    return p


async def settle(seconds: float = 0.4) -> None:
    # The qasync loop runs Qt's events while we sleep; never processEvents() inside a task.
    await asyncio.sleep(seconds)


def grab(widget, name: str) -> None:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    pixmap = screen.grabWindow(widget.winId())
    if pixmap.isNull() or pixmap.width() < 10:
        pixmap = widget.grab()
    OUT.mkdir(parents=True, exist_ok=True)
    pixmap.save(str(OUT / f"{name}.png"))
    print("wrote", OUT / f"{name}.png")


async def shoot(app: QApplication, scheme: str) -> None:
    from voipdesk.ui.settings_dialog import SettingsDialog

    app.setPalette(dark_palette() if scheme == "dark" else app.style().standardPalette())
    with tempfile.TemporaryDirectory() as tmp:
        controller = Controller(app, Path(tmp), demo=True, confirm_quit=False)
        await controller.start()
        window = controller.window
        window.resize(1100, 700)
        window.move(0, 0)
        window.activateWindow()  # the user is looking at it: Sam's answer arrives read
        await settle()
        sam = next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)
        window.open_conversation(sam.id)
        window.compose.editor.setPlainText("Are we still on for Friday? I'll bring the charts.")
        window.compose.send()
        await settle(3.5)  # Sam answers after 1.5 s, delivery report after 2 s
        window.compose.editor.setPlainText("Perfect — see you there")
        await settle()
        grab(window, f"main-{scheme}")

        window.show_welcome(True)  # what a first start shows, in the same window
        window.setWindowTitle("voipdesk")
        await settle()
        grab(window, f"welcome-{scheme}")
        window.show_welcome(False)

        dialog = SettingsDialog(window.services.settings, parent=window, demo=True)
        dialog.show()
        await settle()
        grab(dialog, f"settings-{scheme}")
        dialog.reject()

        window.show_connection()
        await settle()
        window.connection_panel.test_button.click()  # the real check, with its answer
        await settle(1.0)
        grab(window._connection_dialog, f"connection-{scheme}")
        window._connection_dialog.close()
        await controller.shutdown()


def main() -> int:
    app = make_application(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)

    async def run() -> None:
        for scheme in ("light", "dark"):
            await shoot(app, scheme)

    with loop:
        loop.run_until_complete(run())
    return 0


if __name__ == "__main__":
    sys.exit(main())
