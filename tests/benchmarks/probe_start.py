"""Start-up probe: run voipdesk (or a bare PySide6 window) and print when the main window first
painted, as time.perf_counter() (CLOCK_MONOTONIC: comparable with the parent's clock), then quit.

    python -m tests.benchmarks.probe_start bare
    python -m tests.benchmarks.probe_start floor '{"PySide6.QtCore": ["Qt", ...], ...}'
    python -m tests.benchmarks.probe_start app DATA_DIR
    python -m tests.benchmarks.probe_start used DATA_DIR

The app is the real `voipdesk --data-dir DATA_DIR` start; the probe only swaps the main window
class for a subclass that reports its first paint, so the app carries no benchmark hook.

`used` is a start run on past its paint until the app has kept what a start keeps for the next
one (the numbers it showed: voipdesk/core/phone_memo.py), then ended, so that the starts measured
after it are those of an app used before, as a user's are (as the bytecode is cached first).

`floor` is the bare window after importing the PySide6 classes that voipdesk's window modules
import (and nothing else: no widget of them is built). PySide6 makes each class's Python type,
with all its enums as Python enums, when it is first imported (the Qt namespace alone takes
tens of ms on CPython 3.11): a cost any window built of those classes pays, so a lower bound
for the app that the bare window does not show.
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


def window_qt_names() -> dict[str, list[str]]:
    """{PySide6 module: names} imported at module level by voipdesk.app and, recursively, by
    the voipdesk modules it imports at module level: what loads before the first paint."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    names: dict[str, set[str]] = {}
    todo, seen = ["voipdesk.app"], set()
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = root.joinpath(*module.split("."))
        path = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
        if not path.exists():
            continue
        for node in ast.parse(path.read_text("utf-8")).body:  # module level, no TYPE_CHECKING
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("PySide6."):
                    names.setdefault(node.module, set()).update(a.name for a in node.names)
                elif node.module.startswith("voipdesk"):
                    todo.append(node.module)
                    todo.extend(f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                todo.extend(a.name for a in node.names if a.name.startswith("voipdesk"))
    return {module: sorted(n) for module, n in names.items()}


def floor(qt_names: dict[str, list[str]]) -> int:
    """The bare window, after importing qt_names (window_qt_names(), found by the caller: the
    search parses source files, which is no part of what is measured)."""
    import importlib

    for module, names in qt_names.items():
        imported = importlib.import_module(module)
        for name in names:
            getattr(imported, name)  # the type (and its enums) made, as `from ... import` does
    return bare()


def app(data_dir: str) -> int:
    """`voipdesk --data-dir DATA_DIR` as the installed command runs it: voipdesk.cli, then its
    main(), which imports the rest in its own order. The reporting window class goes into
    voipdesk.app as that module is first imported (importing it here, first, would change
    what is imported when, and so what is measured)."""
    import importlib.abc
    import importlib.util

    class Hook(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name != "voipdesk.app":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            run_module = spec.loader.exec_module

            def exec_module(module) -> None:
                run_module(module)
                module.MainWindow = _reporter(module.MainWindow)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, Hook())
    from voipdesk.cli import main

    return main(["--data-dir", data_dir])


def used(data_dir: str) -> int:
    """`voipdesk --data-dir DATA_DIR` until the numbers it showed are kept (at once when they
    are already there), then ended."""
    import threading
    from pathlib import Path

    kept = Path(data_dir) / "numbers-shown.json"
    if kept.exists():
        return 0

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not kept.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os._exit(0 if kept.exists() else 1)

    threading.Thread(target=watch, daemon=True).start()
    from voipdesk.cli import main

    return main(["--data-dir", data_dir])


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "floor":
        import json

        sys.exit(floor(json.loads(sys.argv[2])))
    if mode == "used":
        sys.exit(used(sys.argv[2]))
    sys.exit(bare() if mode == "bare" else app(sys.argv[2]))
