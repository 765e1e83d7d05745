"""Receiving on a damaged database (8 KB of noise in a file of a few thousand messages): every
webhook is answered 503, never 200; `voipdesk listen` stops and says why; the file is not
changed, and a byte-identical copy of it is kept aside."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from store import damaged

from voipdesk.receiver.listener import Listener, ListenerError
from voipdesk.sandbox.webhook import body as webhook_body
from voipdesk.store import database_path

SECRET = "test-secret-Zm9vYmFyYmF6cXV4"
OWN, PEER = "+447476553275", "+447445459147"


def message(i: int) -> dict:
    return webhook_body(PEER, OWN, f"m{i}", mdr_id=f"new-{i}", ts=1716204585 + i)


def kept_copies(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("damaged-*/voipdesk.sqlite3"))


def test_the_listener_answers_503_and_writes_nothing(tmp_path: Path) -> None:
    path = damaged.make(tmp_path)
    before = path.read_bytes()
    listener = Listener(path, SECRET)
    listener.start()
    try:
        url = listener.local_url + listener.webhook_path
        with httpx.Client(timeout=40) as client:
            codes = [client.post(url, json=message(i)).status_code for i in range(20)]
            ready = client.get(url)
        assert codes == [503] * 20  # never 200: nothing was committed
        assert ready.status_code == 503 and "damaged" in ready.text  # the Test button
        assert listener.damaged is not None
    finally:
        listener.stop()
    assert path.read_bytes() == before
    [copy] = kept_copies(tmp_path)
    assert copy.read_bytes() == before


def test_a_damaged_header_stops_the_listener_at_start_with_a_sentence(tmp_path: Path) -> None:
    path = damaged.make(tmp_path, where="header")
    with pytest.raises(ListenerError) as caught:
        Listener(path, SECRET).start()
    text = str(caught.value)
    assert "is damaged" in text and str(kept_copies(tmp_path)[0].parent) in text


def run_listen(data_dir: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOIPDESK_")}
    env.update(VOIPDESK_TUNNEL="none", PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    return subprocess.run(
        [sys.executable, "-m", "voipdesk", "listen", "--data-dir", str(data_dir)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.parametrize(("where", "code"), [("middle", 1), ("header", 2)])
def test_listen_says_receiving_stopped_and_why(tmp_path: Path, where: str, code: int) -> None:
    path = damaged.make(tmp_path, where=where)
    before = path.read_bytes()
    started = time.monotonic()
    result = run_listen(tmp_path)
    assert time.monotonic() - started < 30
    assert result.returncode == code, result.stderr
    assert "webhook:" not in result.stdout  # it never claimed to be receiving
    assert "is damaged" in result.stderr and "voipdesk repair" in result.stderr
    if where == "middle":
        assert result.stderr.startswith("voipdesk: receiving stopped.")
    assert "Traceback" not in result.stderr
    [copy] = kept_copies(tmp_path)
    assert str(copy.parent) in result.stderr
    assert copy.read_bytes() == before
    assert database_path(tmp_path).read_bytes() == before  # running on it changed nothing
