"""Which voipdesk started which ngrok agent, so a left-behind agent is stopped only once the
voipdesk that started it is gone.

The agent runs in a session of its own (Ctrl+C in a terminal must not end it behind our back),
so it outlives a voipdesk that crashes or is killed; it then holds the account's agent session
(and the static domain) until something stops it. data_dir/ngrok/agent.pid records each agent we
started with its owner: the voipdesk process's pid, and when that process started, which tells
a reused pid apart. The next start stops an agent whose owner is gone, and leaves alone one whose
owner still runs (a second voipdesk on the same data folder must not kill the first's agent).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

from voipdesk.private import replace_private
from voipdesk.receiver.ngrok_agent import runs_agent, terminate

log = logging.getLogger("voipdesk.receiver.tunnel")


@dataclass(frozen=True)
class AgentRecord:
    """One agent we started: its pid and start, and its owner's (a start is None when unknown;
    an owner of 0 is unknown: a record written by a voipdesk before owners were recorded)."""

    pid: int
    started: str | None
    owner: int
    owner_started: str | None


def running(pid: int, started: str | None) -> bool:
    """Whether pid runs and is the very process that started at `started`. When either start is
    unknown, a running pid counts: better to leave an agent running than to kill a live one's."""
    if pid <= 0:
        return False
    alive, mark = probe(pid)
    return alive and (started is None or mark is None or mark == started)


def probe(pid: int) -> tuple[bool, str | None]:
    """(whether pid runs, a mark of when it started, or None when that cannot be read).
    A zombie (ended, not yet reaped by its parent) does not run."""
    if sys.platform == "win32":
        return _probe_windows(pid)
    if os.path.isdir("/proc/self"):
        return _probe_proc(pid)
    return _probe_ps(pid)


def record(path: Path, agent_pid: int) -> None:
    """Note that this process started the agent agent_pid (beside the other live records)."""
    kept = [r for r in read(path) if r.pid != agent_pid and running(r.pid, r.started)]
    kept.append(AgentRecord(agent_pid, probe(agent_pid)[1], os.getpid(), _own_start()))
    _write(path, kept)


def forget(path: Path, agent_pid: int) -> None:
    """Drop the record of agent_pid (which we stopped); the file goes with the last record."""
    records = read(path)
    rest = [r for r in records if r.pid != agent_pid]
    if len(rest) != len(records):
        _write(path, rest)


def stop_left_behind(path: Path, config_path: Path) -> None:
    """Stop each recorded agent whose owner is gone and that still runs config_path (it holds
    the account's agent session); keep the records of agents whose owner still runs."""
    kept = []
    for agent in read(path):
        if agent.pid == os.getpid() or not running(agent.pid, agent.started):
            continue  # gone already
        if agent.owner and running(agent.owner, agent.owner_started):
            log.info("the ngrok agent (pid %d) belongs to voipdesk process %d, which still runs: "
                     "leaving it alone", agent.pid, agent.owner)  # fmt: skip
            kept.append(agent)
        elif runs_agent(agent.pid, config_path):
            log.info("stopping the ngrok agent (pid %d) left by an earlier run", agent.pid)
            terminate(agent.pid)
    _write(path, kept)


def read(path: Path) -> list[AgentRecord]:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return []
    if text.isdigit():  # a bare pid, as voipdesk wrote it before it recorded owners
        return [AgentRecord(int(text), None, 0, None)]
    try:
        items = json.loads(text)["agents"]
        return [
            AgentRecord(int(i["pid"]), i.get("started"), int(i["owner"]), i.get("owner_started"))
            for i in items
        ]
    except (ValueError, TypeError, KeyError):
        return []  # damaged: nothing we can trust to act on


def _write(path: Path, records: list[AgentRecord]) -> None:
    with contextlib.suppress(OSError):
        if not records:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"agents": [asdict(r) for r in records]}, indent=1)
        replace_private(path, data.encode() + b"\n")


@cache
def _own_start() -> str | None:
    return probe(os.getpid())[1]


# -- per platform -----------------------------------------------------------------------------
@cache
def _boot_id() -> str:
    """Start times below count from boot: the boot's id keeps two boots' apart."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _probe_proc(pid: int) -> tuple[bool, str | None]:
    """Linux: /proc/PID/stat's state and start time (clock ticks since boot)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return False, None
    if fields[0] in ("Z", "X", "x"):
        return False, None
    return True, f"{_boot_id()}:{fields[19]}" if len(fields) > 19 else None


def _probe_ps(pid: int) -> tuple[bool, str | None]:
    """macOS and other POSIX systems: ps's state and start time (to the second)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False, None
    except OSError:
        pass  # another user's process: it runs
    env = {**os.environ, "LC_ALL": "C", "TZ": "UTC"}
    try:
        out = subprocess.run(
            ["ps", "-o", "stat=", "-o", "lstart=", "-p", str(pid)],
            capture_output=True, text=True, timeout=15, env=env,
        ).stdout.split(maxsplit=1)  # fmt: skip
    except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
        return True, None
    if not out:
        return False, None
    if out[0].startswith("Z"):
        return False, None
    return True, " ".join(out[1].split()) if len(out) > 1 else None


def _probe_windows(pid: int) -> tuple[bool, str | None]:
    """Windows: OpenProcess, its exit code and creation time. (os.kill(pid, 0) would end it.)"""
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.OpenProcess.restype = wintypes.HANDLE
    query_limited_information, still_active, access_denied = 0x1000, 259, 5
    handle = kernel32.OpenProcess(query_limited_information, False, pid)
    if not handle:  # no such process, or one we may not look at (it runs)
        return ctypes.get_last_error() == access_denied, None  # type: ignore[attr-defined]
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True, None
        if code.value != still_active:
            return False, None
        times = [wintypes.FILETIME() for _ in range(4)]
        if not kernel32.GetProcessTimes(handle, *(ctypes.byref(t) for t in times)):
            return True, None
        return True, str(times[0].dwHighDateTime << 32 | times[0].dwLowDateTime)
    finally:
        kernel32.CloseHandle(handle)
