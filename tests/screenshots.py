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
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication
from ui.palettes import dark_palette  # tests/ is this script's folder on sys.path

from voipdesk import demo
from voipdesk.app import Controller, make_application

OUT = Path(__file__).resolve().parent.parent / "resources" / "screenshots"


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
    from voipdesk.ui.settings import SettingsDialog

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
        await settle()  # (the conversation is read, then shown)
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
