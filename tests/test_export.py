"""What `voipdesk export` writes for times: a spreadsheet reader sees the computer's local time
with its offset (ISO 8601), not seconds since 1970; JSON keeps the seconds and adds the time."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voipdesk.core.models import InboundMessage
from voipdesk.store import Store, database_path

# 2024-05-20 11:29:45 UTC, the provider page's example: 12:29:45 in London's summer time.
TS = 1716204585


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    with Store(database_path(tmp_path)) as store:
        store.add_inbound(
            InboundMessage("+447700900100", "+447700900001", "hi", "sms", "m", TS, "{}")
        )
    return tmp_path


def export(folder: Path, fmt: str, tz: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    env["TZ"] = tz
    run = subprocess.run(
        [sys.executable, "-m", "voipdesk", "--data-dir", str(folder), "export", "--format", fmt],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout.decode("utf-8")


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Europe/London", "2024-05-20T12:29:45+01:00"),
        ("America/New_York", "2024-05-20T07:29:45-04:00"),
    ],
)
def test_csv_times_are_local_iso_8601_with_the_offset(folder, tz, expected):
    [record] = csv.DictReader(io.StringIO(export(folder, "csv", tz), newline=""))
    assert record["timestamp"] == expected
    assert record["provider_ts"] == expected
    assert record["created_at"].startswith("20") and record["created_at"][-6] in "+-"


def test_json_keeps_the_seconds_and_adds_the_local_time(folder):
    [record] = json.loads(export(folder, "json", "Europe/London"))
    assert record["timestamp"] == TS
    assert record["time"] == "2024-05-20T12:29:45+01:00"
