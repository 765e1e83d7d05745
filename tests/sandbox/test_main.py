"""`python -m voipdesk.sandbox` as a separate process."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading

import httpx

from .test_send import GOOD


def test_entry_point_serves_echoes_delivers_stdin_and_stops(receiver, tmp_path):
    command = [sys.executable, "-m", "voipdesk.sandbox", "--port", "0", "--webhook", receiver.url]
    with subprocess.Popen(
        command,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as proc:
        watchdog = threading.Timer(20, proc.kill)
        watchdog.start()
        try:
            first = proc.stdout.readline()
            match = re.fullmatch(r"sandbox: (http://127\.0\.0\.1:(\d+)/v1/sms/send)\n", first)
            assert match, first + proc.stderr.read()
            header = [proc.stdout.readline() for _ in range(5)]
            assert header[0] == "account: demo-account\n"
            assert header[1].split() == ["token:", "demo-token"]
            assert header[2].split() == ["numbers:", "+447700900001", "+447700900002"]

            with httpx.Client(timeout=5) as client:
                answer = client.post(match.group(1), json={**GOOD, "to": "+447700900100"})
            assert answer.json()["result"]["result"]["status"] == "queued"
            proc.stdin.write("+447445459147 +447700900002 hello from stdin\n")
            proc.stdin.flush()

            got = sorted(r["json"]["body"] for r in receiver.wait_for(2, timeout=8))
            assert got == ["You said: Thank you", "hello from stdin"]

            if sys.platform == "win32":
                proc.terminate()
            else:
                proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            watchdog.cancel()
    assert "delivered +447445459147 -> +447700900002" in out
    assert out.rstrip().endswith("sandbox: stopped"), out + err
    if sys.platform != "win32":
        assert proc.returncode == 0, err


def test_entry_point_refuses_half_an_account(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "voipdesk.sandbox", "--account", "acc", "--port", "0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 2
    assert "--account needs --token" in result.stderr
