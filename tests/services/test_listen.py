"""`voipdesk listen` runs on the services floor without loading Qt (its output, exit codes and
stops are checked as a real process in tests/receiver/test_listen_*.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from voipdesk.core.models import Direction, Message, Status
from voipdesk.services.listen import message_line

ROOT = Path(__file__).resolve().parents[2]

# Runs listen until it prints its webhook line, then stops it as Ctrl-C would.
CHILD = """
import os, signal, sys
from voipdesk.services import listen

class Out:
    def write(self, text):
        sys.__stdout__.write(text)
        if text.startswith("webhook: "):
            os.kill(os.getpid(), signal.SIGINT)
    def flush(self):
        sys.__stdout__.flush()

sys.stdout = Out()
code = listen.main(sys.argv[1], 0, "none")
sys.stdout = sys.__stdout__
print("exit", code)
print(sorted(m for m in sys.modules
             if m.split(".")[0] in ("PySide6", "qasync") or m.startswith("voipdesk.ui")))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_listen_receives_and_stops_without_loading_qt(tmp_path):
    env = dict(os.environ, VOIPDESK_TUNNEL="none")
    env.pop("VOIPDESK_WEBHOOK_PORT", None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )
    lines = out.stdout.splitlines()
    assert lines[0].startswith("webhook: http://127.0.0.1:"), (out.stdout, out.stderr)
    assert lines[1:] == ["exit 0", "[]"], out.stderr


def test_a_message_is_one_line_whatever_its_body():
    message = Message(
        1, 1, Direction.OUT, "+447700900001", "+447700900100", "a\nb\u2028c", "sms",
        Status.DELIVERED, 0.0,
    )  # fmt: skip
    assert message_line(message) == "+447700900001 -> +447700900100: [delivered] a\\nb\\u2028c"
