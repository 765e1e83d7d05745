"""A voipdesk QApplication (its style sheet) with a window and a label in it, printing what they
show every 100 ms: "<scheme> <application window colour> <label text colour>". Run by
test_desktop_scheme_switch.py on an X display with Qt's XDG desktop portal theme."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from voipdesk.ui.application import make_application


def main() -> int:
    app = make_application(sys.argv[:1])
    window = QWidget()
    label = QLabel("Hello", window)
    QVBoxLayout(window).addWidget(label)
    window.show()

    def report() -> None:
        scheme = app.styleHints().colorScheme().name
        background = app.palette().window().color().name()
        text = label.palette().windowText().color().name()
        print(scheme, background, text, flush=True)

    timer = QTimer(interval=100)
    timer.timeout.connect(report)
    timer.start()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
