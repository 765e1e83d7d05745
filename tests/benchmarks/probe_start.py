"""Start-up probe: run voipdesk (or a bare PySide6 window) and print when the main window first
painted, as time.perf_counter() (CLOCK_MONOTONIC: comparable with the parent's clock), then quit.

    python -m tests.benchmarks.probe_start bare
    python -m tests.benchmarks.probe_start app DATA_DIR

The app is the real `voipdesk --data-dir DATA_DIR` start; the probe only swaps the main window
class for a subclass that reports its first paint, so the app carries no benchmark hook.
"""

from __future__ import annotations

import os
import sys
import time


def _reporter(window_class: type) -> type:
    """A subclass of window_class that prints the time its first paint pass ended, and exits."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        def __init__(self, window) -> None:
            super().__init__(window)
            self.window = window

        def eventFilter(self, watched, event) -> bool:
            painted = event.type() == QEvent.Type.Paint and watched.isWidgetType()
            if painted and watched.window() is self.window:
                QApplication.instance().removeEventFilter(self)
                # Report once the whole paint pass (every child) is done.
                QTimer.singleShot(0, self.report)
            return False

        def report(self) -> None:
            print(f"first-paint {time.perf_counter():.6f}", flush=True)
            if os.environ.get("BENCH_RSS"):
                print(f"rss-kb {rss_kb()}", flush=True)
            os._exit(0)

    class Probed(window_class):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            QApplication.instance().installEventFilter(FirstPaint(self))

    return Probed


def rss_kb() -> int | None:
    """This process's resident memory in kB (Linux /proc; None elsewhere)."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None


def bare() -> int:
    from PySide6.QtWidgets import QApplication, QMainWindow

    app = QApplication(sys.argv[:1])
    window = _reporter(QMainWindow)()
    window.resize(1040, 700)
    window.show()
    return app.exec()


def app(data_dir: str) -> int:
    from voipdesk import app as app_module
    from voipdesk.cli import main

    app_module.MainWindow = _reporter(app_module.MainWindow)
    return main(["--data-dir", data_dir])


if __name__ == "__main__":
    sys.exit(bare() if sys.argv[1] == "bare" else app(sys.argv[2]))
