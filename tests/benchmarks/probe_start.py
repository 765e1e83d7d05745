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
    """A subclass of window_class that prints the time its first paint pass ended, and exits.

    It hooks the window's own paintEvent, not an application-wide event filter: a filter in
    Python would turn every event of the start into a Python call, a cost that grows with the
    window's contents and so would weigh on the app far more than on the empty bare window."""
    from PySide6.QtCore import QTimer

    class Probed(window_class):
        _reported = False

        def paintEvent(self, event) -> None:
            super().paintEvent(event)
            if not self._reported:
                self._reported = True
                # The window paints first, then its children in the same pass: report once
                # that pass has ended.
                QTimer.singleShot(0, report)

    return Probed


def report() -> None:
    print(f"first-paint {time.perf_counter():.6f}", flush=True)
    if os.environ.get("BENCH_RSS"):
        print(f"rss-kb {rss_kb()}", flush=True)
    os._exit(0)


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
