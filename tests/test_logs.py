"""Logs: a rotating file in the data dir, with secrets redacted from every record."""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from voipdesk.logs import RedactingFilter, redact, register_secret, setup_logging


@pytest.fixture
def logfile(tmp_path) -> Iterator[Path]:
    """setup_logging on tmp_path; the handlers it added are removed and closed afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    setup_logging(tmp_path, verbose=True)
    try:
        yield tmp_path / "logs" / "voipdesk.log"
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)


def text_of(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text("utf-8")


def test_the_log_file_rotates_in_the_data_dir(logfile):
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    [handler] = [h for h in handlers if Path(h.baseFilename) == logfile]
    assert handler.maxBytes > 0 and handler.backupCount >= 1
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)


def test_registered_secrets_never_reach_the_file(logfile, capsys):
    register_secret("tok-REGISTERED-123456")
    log = logging.getLogger("voipdesk.test")
    log.info("using token %s for %s", "tok-REGISTERED-123456", "acct")
    log.warning("in a message: tok-REGISTERED-123456")
    text = text_of(logfile)
    assert "tok-REGISTERED-123456" not in text
    assert "using token *** for acct" in text and "in a message: ***" in text
    assert "tok-REGISTERED-123456" not in capsys.readouterr().err  # --verbose stderr too


@pytest.mark.parametrize(
    ("message", "leak"),
    [
        ('request {"accountId": "a", "apiToken": "UNREG-json-1"}', "UNREG-json-1"),
        (json.dumps({"apiToken": "UNREG-json-2"}, indent=2), "UNREG-json-2"),
        (str({"accountId": "a", "apiToken": "UNREG-repr-3"}), "UNREG-repr-3"),
        ("POST /send?apiToken=UNREG-query-4&x=1", "UNREG-query-4"),
        ("ngrok_authtoken: UNREG-ngrok-5", "UNREG-ngrok-5"),
        ("public url https://a.ngrok.app/webhook/UNREGwebhook6secret/", "UNREGwebhook6secret"),
    ],
)
def test_token_looking_values_are_redacted_without_registration(logfile, message, leak):
    logging.getLogger("voipdesk.test").info(message)
    text = text_of(logfile)
    assert leak not in text
    assert "***" in text


def test_secrets_in_tracebacks_are_redacted(logfile):
    register_secret("tok-IN-TRACEBACK-987")
    try:
        raise RuntimeError("failed with tok-IN-TRACEBACK-987 and {'apiToken': 'UNREG-tb'}")
    except RuntimeError:
        logging.getLogger("voipdesk.test").exception("send failed")
    text = text_of(logfile)
    assert "Traceback" in text and "RuntimeError" in text
    assert "tok-IN-TRACEBACK-987" not in text and "UNREG-tb" not in text


def test_a_secret_containing_another_is_redacted_whole():
    register_secret("ABCD")
    register_secret("ABCDEFGH-longer")
    assert redact("x ABCDEFGH-longer y") == "x *** y"


def test_short_or_empty_values_are_not_registered():
    register_secret("")
    register_secret(None)
    register_secret("ab")
    assert redact("ab cd") == "ab cd"


def test_ordinary_records_are_left_alone(logfile):
    logging.getLogger("voipdesk.test").info("sent %s -> %s: %s", "+447700900001", "+44770", "ok")
    assert "sent +447700900001 -> +44770: ok" in text_of(logfile)


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_the_log_folder_and_files_are_user_only(tmp_path):
    # The log names who texted whom: like the database, it is the user's alone.
    old_umask = os.umask(0o022)
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        (tmp_path / "logs").mkdir()
        (tmp_path / "logs" / "voipdesk.log").write_text("from an older version\n")
        os.chmod(tmp_path / "logs" / "voipdesk.log", 0o644)
        setup_logging(tmp_path / "fresh")
        setup_logging(tmp_path)
        logging.getLogger("voipdesk.test").warning("x" * 100)
        [*added] = [h for h in root.handlers if h not in before]
        for handler in added:
            assert isinstance(handler, logging.handlers.RotatingFileHandler)
            handler.maxBytes = 50  # rotate on the next record
        logging.getLogger("voipdesk.test").warning("y" * 100)
    finally:
        os.umask(old_umask)
        for handler in root.handlers[:]:
            if handler not in before:
                root.removeHandler(handler)
                handler.close()
    assert stat.S_IMODE(os.stat(tmp_path / "fresh" / "logs").st_mode) == 0o700
    files = sorted((tmp_path / "logs").iterdir()) + sorted((tmp_path / "fresh" / "logs").iterdir())
    assert {f.name for f in files} >= {"voipdesk.log", "voipdesk.log.1"}
    assert {str(f): stat.S_IMODE(os.stat(f).st_mode) for f in files} == {
        str(f): 0o600 for f in files
    }


LOG_700 = """
import logging, sys, time
from pathlib import Path
from voipdesk import logs
logs.setup_logging(Path(sys.argv[1]))
log = logging.getLogger("voipdesk.test")
for i in range(700):
    log.warning("record %d", i)
if len(sys.argv) > 2:  # the disk has room again, a minute later
    Path(sys.argv[1], "logs", "voipdesk.log").unlink()
    logs.RETRY_AFTER = 0.0
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logs.PrivateRotatingFileHandler):
            handler._retry_at = 0.0
    log.warning("after")
print("carried on", flush=True)
"""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize("recovers", [False, True])
def test_a_log_that_cannot_be_written_is_said_once_and_voipdesk_goes_on(tmp_path, recovers):
    """A full disk: every write of the log fails (logs/voipdesk.log is /dev/full)."""
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "voipdesk.log").symlink_to("/dev/full")
    device_mode = os.stat("/dev/full").st_mode
    args = [sys.executable, "-c", LOG_700, str(tmp_path)] + (["recovers"] if recovers else [])
    result = subprocess.run(args, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout == "carried on\n"
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[:2000]
    assert lines[0].startswith("voipdesk: cannot write the log file")
    assert "No space left on device" in lines[0] and "voipdesk.log" in lines[0]
    assert os.stat("/dev/full").st_mode == device_mode  # a device keeps its mode
    if recovers:  # writing again: it says what was dropped, then logs as before
        text = (tmp_path / "logs" / "voipdesk.log").read_text("utf-8")
        assert "700 records were dropped" in text and text.rstrip().endswith("after")
