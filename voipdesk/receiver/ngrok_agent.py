"""The ngrok agent program: fetching it, recognising its process, reading its errors."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import httpx

AGENT_BIN = "ngrok.exe" if sys.platform == "win32" else "ngrok"
# What download_agent raises when the agent cannot be fetched or unpacked.
DOWNLOAD_ERRORS = (httpx.HTTPError, OSError, tarfile.TarError, zipfile.BadZipFile)

# Kinds the watchdog keeps retrying by itself; the others need the user to change something.
RETRYABLE = frozenset({"no_internet", "session_limit", "agent_died", "download_failed", "unknown"})

# Checked in this order: ngrok wraps several of these in "authentication failed: ...", so the
# specific ones (too old, session limit) come before the authtoken ones. Codes from
# https://ngrok.com/docs/errors/.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(pattern, re.IGNORECASE))
    for kind, pattern in (
        ("agent_too_old", r"ERR_NGROK_12[01]\b|too old|no longer supported"),
        (
            "session_limit",
            r"ERR_NGROK_(108|334|348)\b|simultaneous ngrok agent session|is already online"
            r"|already bound to another tunnel session",
        ),
        (
            "bad_authtoken",
            r"ERR_NGROK_(105|106|107|300|4018)\b|authtoken you specified"
            r"|verified account and authtoken",
        ),
        (
            "domain_not_yours",
            r"ERR_NGROK_(31[3-9]|32[0-2]|32[6-9]|33[01]|347|354|355|39[67])\b"
            r"|reserve a custom hostname|failed to bind (the|a) domain"
            r"|reserved for another account",
        ),
        (
            "no_internet",
            r"failed to dial|dial tcp|no such host|lookup \S+|connection refused"
            r"|network is unreachable|no route to host|i/o timeout|handshake timeout"
            r"|deadline exceeded|connection reset|temporary failure in name resolution",
        ),
    )
)


def classify(*texts: str | None) -> str:
    """The kind of failure the first recognisable text describes, else "unknown"."""
    for text in texts:
        if not text:
            continue
        for kind, pattern in _KINDS:
            if pattern.search(text):
                return kind
    return "unknown"


def sentence(problem: str, *, ngrok_path: Path, domain: str | None) -> str:
    """One plain sentence for the user that says what happened and what to do."""
    where = f"“{domain}”" if domain else "you entered"
    sentences = {
        "no_authtoken": "Add your ngrok authtoken in Settings to receive messages "
        "(it is on dashboard.ngrok.com under “Your Authtoken”).",
        "bad_authtoken": "ngrok did not accept your authtoken: copy it again from "
        "dashboard.ngrok.com (“Your Authtoken”) into Settings.",
        "session_limit": "Another ngrok program is using your ngrok account: close it (on this "
        "or another computer) and voipdesk connects by itself.",
        "agent_too_old": f"The ngrok program at {ngrok_path} is too old for your account: "
        "replace it with a current one from ngrok.com/download.",
        "domain_not_yours": f"The ngrok domain {where} is not one of your ngrok account's "
        "domains: copy it from dashboard.ngrok.com (Domains), or leave the field empty.",
        "no_internet": "voipdesk cannot reach ngrok: check your internet connection "
        "(voipdesk keeps trying).",
        "agent_missing": f"voipdesk could not run the ngrok program at {ngrok_path}: "
        "place a working ngrok program there.",
        "download_failed": "voipdesk could not download the ngrok agent: check your internet "
        f"connection, or place the ngrok program at {ngrok_path}.",
        "agent_died": "The ngrok program keeps stopping: voipdesk keeps restarting it, and "
        "restarting voipdesk may help if this goes on.",
    }
    return sentences.get(
        problem, "The tunnel could not start: voipdesk keeps trying, and its log has the details."
    )


def download_agent(
    url: str, dest: Path, progress: Callable[[int, int], None], cancel: threading.Event
) -> None:
    """Fetch ngrok's archive and install its program at dest. We stream it ourselves instead of
    pyngrok's installer, which reports progress only by writing to sys.stdout (None in a windowed
    build) and extracts the whole archive."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    archive = dest.with_name(dest.name + ".download")
    try:
        timeout = httpx.Timeout(30.0, connect=10.0)
        with httpx.stream("GET", url, follow_redirects=True, timeout=timeout) as response:
            response.raise_for_status()
            total = int(response.headers.get("content-length") or 0)
            done = 0
            with archive.open("wb") as out:
                for chunk in response.iter_bytes(1 << 16):
                    if cancel.is_set():
                        raise OSError("download cancelled")
                    out.write(chunk)
                    done += len(chunk)
                    progress(done, max(total, done))
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                names = [n for n in zipped.namelist() if PurePosixPath(n).name == AGENT_BIN]
                data = zipped.read(names[0]) if names else None
        else:
            with tarfile.open(archive, "r:*") as tarred:
                infos = [m for m in tarred.getmembers() if m.isfile()]
                found = [m for m in infos if PurePosixPath(m.name).name == AGENT_BIN]
                member = tarred.extractfile(found[0]) if found else None
                data = member.read() if member else None
        if not data:
            raise OSError(f"the download has no {AGENT_BIN} in it")
        part = dest.with_name(dest.name + ".part")
        part.write_bytes(data)
        part.chmod(0o755)
        os.replace(part, dest)
    finally:
        archive.unlink(missing_ok=True)


def runs_agent(pid: int, config_path: Path) -> bool:
    """Whether pid is an ngrok agent started with config_path. Its command line carries the
    authtoken: never log it."""
    line = ""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            line = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    else:
        if os.name == "posix":
            cmd = ["ps", "-ww", "-o", "command=", "-p", str(pid)]
        else:
            query = f"(Get-CimInstance Win32_Process -Filter 'ProcessId={pid}').CommandLine"
            cmd = ["powershell", "-NoProfile", "-NonInteractive", "-Command", query]
        with contextlib.suppress(OSError, subprocess.SubprocessError, UnicodeDecodeError):
            flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
            run = subprocess.run(
                cmd, capture_output=True, text=True, timeout=15, creationflags=flags
            )
            line = run.stdout
    return str(config_path) in line and "ngrok" in line.lower() and " start " in f" {line} "


def terminate(pid: int) -> None:
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGTERM)  # TerminateProcess on Windows: immediate
    if os.name != "posix":
        return
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
            stat = Path(f"/proc/{pid}/stat")
            if stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z":
                return  # exited; only its parent's wait is missing
        except OSError:
            return
        time.sleep(0.05)
    with contextlib.suppress(OSError):
        os.kill(pid, signal.SIGKILL)
