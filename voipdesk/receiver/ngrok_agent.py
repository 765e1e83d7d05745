"""The ngrok agent program: fetching it, starting it, recognising its process, reading its
errors."""

from __future__ import annotations

import atexit
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
import yaml
from pyngrok import installer, process
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import PyngrokNgrokError
from pyngrok.process import NgrokProcess

from voipdesk.private import private_dir, tighten

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


def prepare_config(path: Path) -> None:
    """Our own agent config (never the user's global one): created user-only with pyngrok's
    defaults, then checked as pyngrok would (yaml.YAMLError when it is damaged). voipdesk puts
    no authtoken in it, but it is where `ngrok config add-authtoken` would put one."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        tighten(path)
    else:
        os.close(fd)
        installer.install_default_config(str(path))  # rewrites the file we made, keeping its mode
    with path.open(encoding="utf-8") as file:
        config = yaml.safe_load(file)
    if isinstance(config, dict):
        installer.validate_config(config)


def agent_environment(authtoken: str) -> dict[str, str]:
    """The agent's environment: ours without voipdesk's own variables (they may hold our
    secrets), and the authtoken as NGROK_AUTHTOKEN, which the ngrok v3 agent reads when its
    command line has no --authtoken. Only the agent's owner (and root) can read it there."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("VOIPDESK_")}
    env["NGROK_AUTHTOKEN"] = authtoken
    return env


def launch(cfg: PyngrokConfig, authtoken: str) -> NgrokProcess:
    """Start the agent the way pyngrok's process.get_process does, with two differences: the
    authtoken goes in the agent's environment, not on its command line (where `ps` shows it to
    every local user), and the agent's stderr (which echoes a rejected authtoken) joins its log
    lines, which voipdesk's logging redacts, instead of landing on our own stderr. The agent
    is registered with pyngrok, so ngrok.connect uses it; raises PyngrokNgrokError like pyngrok
    when it does not come up, and OSError when the program cannot be run."""
    key = cfg.ngrok_path
    with process._current_processes_lock:  # what get_process holds while it starts one
        if process.is_process_running(key):
            return process._current_processes[key]
        command = [key, "start", "--none", "--log", "stdout", "--config", str(cfg.config_path)]
        options: dict = {}
        if os.name == "posix":
            options["start_new_session"] = cfg.start_new_session
        else:  # no console window, and no Ctrl+C from ours
            options["creationflags"] = getattr(subprocess, "CREATE_NO_WINDOW", 0)
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env=agent_environment(authtoken),
            **options,
        )
        atexit.register(_end_at_exit, proc)
        agent = NgrokProcess(proc, cfg)
        process._current_processes[key] = agent  # from here on, Tunnel.stop can find and end it
        deadline = time.monotonic() + cfg.startup_timeout
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            agent._log_startup_line(proc.stdout.readline())
            if agent.healthy():
                agent.startup_error = None
                if cfg.monitor_thread:
                    agent.start_monitor_thread()
                return agent
            if proc.poll() is not None:
                for line in proc.stdout:  # what it said before it ended, to tell why
                    agent._log_startup_line(line)
                break
        process.kill_process(key)
        if agent.startup_error is not None:
            raise PyngrokNgrokError(
                f"The ngrok process errored on start: {agent.startup_error}.",
                agent.logs,
                agent.startup_error,
            )
        raise PyngrokNgrokError("The ngrok process was unable to start.", agent.logs)


def _end_at_exit(proc: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        if proc.poll() is None:
            proc.terminate()


def runs_agent(pid: int, config_path: Path) -> bool:
    """Whether pid is an ngrok agent started with config_path."""
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
