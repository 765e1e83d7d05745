"""The real `voipdesk` start in a process of its own: the window paints the newest conversation
before the slow parts are imported, and then those parts start (a webhook reaches the store)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from voipdesk.core.models import InboundMessage
from voipdesk.settings import Settings
from voipdesk.store import Store, database_path

ROOT = Path(__file__).resolve().parents[2]
OWN, OLD_PEER, NEW_PEER = "+447700900001", "+447700900100", "+447700900200"
# Imported only once the window has painted: each costs tens of ms at start (filelock: the
# data folder's lock is taken before the window with the OS's own call; QtNetwork: the server a
# second start talks to starts after the paint).
SLOW = ("asyncio", "qasync", "httpx", "aiohttp", "keyring", "voipdesk.services",
        "voipdesk.ui.bridge", "filelock", "PySide6.QtNetwork")  # fmt: skip

# The real `voipdesk --data-dir D` start; at the window's first paint it prints what it shows
# and which slow modules were loaded by then, and exits.
FIRST_PAINT = """
import json, os, sys
from voipdesk import app
from voipdesk.cli import main

class Reported(app.MainWindow):
    def paintEvent(self, event):
        super().paintEvent(event)
        thread = self.thread.model
        print(json.dumps({
            "loaded": sorted(m for m in json.loads(sys.argv[2]) if m in sys.modules),
            "open": self.conversation_id,
            "header": self.thread.title.text(),
            "thread_rows": thread.rowCount(),
            "list_rows": self.conversation_model.rowCount(),
            "compose": self.compose.isVisible(),
        }), flush=True)
        os._exit(0)

app.MainWindow = Reported
main(["--data-dir", sys.argv[1]])
"""


def _env(tmp_path: Path) -> dict[str, str]:
    # TMPDIR: the app's local server socket, left behind when the test ends it with a signal.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", VOIPDESK_TUNNEL="none")
    env["TMPDIR"] = str(tmp_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN", "VOIPDESK_DATA_DIR"):
        env.pop(name, None)
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _data_dir(tmp_path: Path, port: int | None = None) -> Path:
    data = tmp_path / "data"
    settings = Settings.load(data)
    settings.account_id, settings.numbers, settings.webhook_port = "acc-1", [OWN], port
    settings.save()
    store = Store(database_path(data))
    try:
        for peer, n in ((OLD_PEER, 3), (NEW_PEER, 5)):  # NEW_PEER's is the newest
            for i in range(n):
                store.add_inbound(
                    InboundMessage(peer, OWN, f"{peer} {i}", "sms", f"{peer}-{i}", None, "{}")
                )
                time.sleep(0.002)
    finally:
        store.close()
    return data


def _report(tmp_path: Path, script: str, data: Path, modules: tuple[str, ...]) -> dict:
    """Run `script` (a real start that prints one JSON line and exits) in a process of its own
    on `data`, given `modules`; what it printed."""
    run = subprocess.run(
        [sys.executable, "-c", script, str(data), json.dumps(modules)],
        env=_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    assert lines, run.stderr[-2000:]
    return json.loads(lines[0])


def _first_paint(tmp_path: Path, data: Path, modules: tuple[str, ...]) -> dict:
    """A real start in a process of its own, up to its first paint: what it showed then,
    having checked that none of `modules` was imported by that moment."""
    shown = _report(tmp_path, FIRST_PAINT, data, modules)
    assert shown["loaded"] == [], f"imported before the first paint: {shown['loaded']}"
    return shown


def test_the_window_paints_the_newest_conversation_before_the_slow_imports(tmp_path):
    data = _data_dir(tmp_path)
    shown = _first_paint(tmp_path, data, SLOW)
    store = Store(database_path(data))
    try:
        newest = store.conversations(limit=1)[0]
    finally:
        store.close()
    assert newest.peer_number == NEW_PEER
    assert shown["open"] == newest.id
    assert "07700 900200" in shown["header"]  # the number, formatted, in the thread's header
    assert shown["thread_rows"] >= 5  # its five messages (and a day separator) are there
    assert shown["list_rows"] == 2
    assert shown["compose"] is True


@pytest.mark.skipif(sys.platform == "win32", reason="ends the process with SIGTERM")
def test_after_the_first_paint_the_services_start_and_a_webhook_is_stored(tmp_path):
    port = _free_port()
    data = _data_dir(tmp_path, port)
    secret = Settings.load(data).webhook_secret
    log = tmp_path / "stderr.txt"
    with log.open("w") as err:
        app = subprocess.Popen(
            [sys.executable, "-m", "voipdesk", "--data-dir", str(data)],
            env=_env(tmp_path),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        url = f"http://127.0.0.1:{port}/webhook/{secret}"
        body = {"from": "+447700900300", "to": OWN, "mdr_id": "after-start-1",
                "body": "hello after the paint", "type": "sms", "status": "received"}  # fmt: skip
        deadline, answer = time.monotonic() + 30, None
        while time.monotonic() < deadline and app.poll() is None:
            try:
                answer = httpx.post(url, json=body, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.05)  # the listener is not up yet
        assert answer is not None and answer.status_code == 200, log.read_text()[-2000:]
        store = Store(database_path(data))
        try:
            assert "hello after the paint" in [m.body for m in store.all_messages()]
            # The newest conversation, opened for the person at start, stays unread: nobody
            # has looked at it (no click, key or return to the window) while the services ran.
            time.sleep(0.5)  # time for a (wrong) mark-read to be stored
            opened = next(c for c in store.conversations() if c.peer_number == NEW_PEER)
            assert opened.unread_count == 5
        finally:
            store.close()
    finally:
        app.terminate()
        app.wait(timeout=10)


# What a first screen of texts does not use, each loaded when first needed: an MMS's pictures
# (QImage and its readers), selecting a bubble's text, a file's type, OpenSSL's hashes (avatar
# colours use CPython's own SHA-256), the SMS counter's codecs (the box is empty), the
# commands' parsers, the boxes, banners and drops a start does not show (Send later's dialog
# too), and the Connection panel and receiving's states (the status bar says "starting" until
# the services report); and, like SLOW, the network, database and picture libraries.
FIRST_USE = ("voipdesk.ui.thread.media", "voipdesk.ui.thread.media_blocks",
             "voipdesk.ui.thread.selection", "voipdesk.core.media", "mimetypes", "hashlib",
             "voipdesk.core.segments", "gsm0338", "voipdesk.send_cli", "voipdesk.serve_cli",
             "voipdesk.migrate_cli", "voipdesk.backup_cli", "voipdesk.ui.app_boxes",
             "voipdesk.ui.quitting", "voipdesk.ui.compose_media", "voipdesk.ui.send_later_dialog",
             "voipdesk.ui.connection", "voipdesk.receiver.status", "voipdesk.ui.banner",
             "voipdesk.ui.offline_banner", "pyngrok", "psycopg", "PIL")  # fmt: skip


def test_what_a_first_screen_of_texts_does_not_use_loads_after_the_paint(tmp_path):
    shown = _first_paint(tmp_path, _data_dir(tmp_path), FIRST_USE)
    assert shown["thread_rows"] >= 5 and shown["list_rows"] == 2  # the texts are there


# The real start again, with no MMS anywhere: once the services are attached, what the first
# MMS picture in view would import (its shelf, the fetcher, the first request's anyio backend)
# is imported off the window's thread, before any picture is shown; it prints what is missing
# after WAIT_S.
MMS_READY = """
import json, os, sys, time
from PySide6.QtCore import QTimer
from voipdesk import app
from voipdesk.cli import main

WANTED = json.loads(sys.argv[2])

class Reported(app.MainWindow):
    def attach(self, services, bridge):
        super().attach(services, bridge)
        deadline = time.monotonic() + 20

        def check():
            missing = [m for m in WANTED if m not in sys.modules]
            if not missing or time.monotonic() > deadline:
                print(json.dumps({"missing": missing}), flush=True)
                os._exit(0)

        self._check = QTimer(self, interval=50, timeout=check)
        self._check.start()

app.MainWindow = Reported
main(["--data-dir", sys.argv[1]])
"""
MMS_MODULES = ("voipdesk.ui.thread.media", "voipdesk.services.media", "anyio._backends._asyncio")


def test_after_the_services_start_the_first_mms_picture_has_nothing_left_to_import(tmp_path):
    ready = _report(tmp_path, MMS_READY, _data_dir(tmp_path), MMS_MODULES)
    assert ready["missing"] == []


@pytest.mark.skipif(sys.platform == "win32", reason="ends the process with SIGTERM")
def test_a_second_start_shows_the_numbers_formatted_without_loading_phonenumbers(tmp_path):
    """A start keeps the numbers it showed (core/phone_memo.py); the next one paints them as
    people read them before phonenumbers (15-20 ms to import) is loaded."""
    data = _data_dir(tmp_path)
    first = subprocess.Popen(
        [sys.executable, "-m", "voipdesk", "--data-dir", str(data)],
        env=_env(tmp_path),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not (data / "numbers-shown.json").exists() and time.monotonic() < deadline:
            assert first.poll() is None, "the first start ended"
            time.sleep(0.05)
    finally:
        first.terminate()
        first.wait(timeout=10)
    shown = _first_paint(tmp_path, data, ("phonenumbers",))
    assert "07700 900200" in shown["header"]
    assert shown["list_rows"] == 2
