"""How voipdesk tells whether the process that started an ngrok agent still runs: Linux reads
/proc, macOS and other POSIX systems ask `ps` (both tried here, against real processes)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from voipdesk.receiver import agent_owner

pytestmark = pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="compares with /proc")
PROBES = [agent_owner._probe_proc, agent_owner._probe_ps]


@pytest.mark.parametrize("probe", PROBES, ids=["proc", "ps"])
def test_a_process_is_known_by_its_pid_and_start_until_it_ends(probe) -> None:  # type: ignore[no-untyped-def]
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        alive, mark = probe(child.pid)
        assert alive and mark, "a running process, with a start time"
        assert probe(child.pid) == (True, mark), "the same start every time"
        started = agent_owner.probe(child.pid)[1]
        assert agent_owner.running(child.pid, started)
        assert not agent_owner.running(child.pid, "another start"), "a reused pid"
        assert agent_owner.running(child.pid, None), "start unknown: a running pid counts"

        child.kill()  # ended but not reaped: a zombie does not run
        deadline = time.monotonic() + 5
        while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert probe(child.pid) == (False, None)
        assert not agent_owner.running(child.pid, started)
    finally:
        child.kill()
        child.wait()
    assert probe(child.pid) == (False, None)
    assert not agent_owner.running(child.pid, None)
