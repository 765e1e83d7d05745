"""A Tunnel's ngrok agent: launched through pyngrok, killed and reaped, downloaded on first use."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pyngrok import conf, installer, ngrok, process
from pyngrok.conf import PyngrokConfig
from pyngrok.exception import (
    PyngrokError,
    PyngrokNgrokError,
    PyngrokNgrokHTTPError,
    PyngrokNgrokInstallError,
    PyngrokNgrokURLError,
)
from pyngrok.process import NgrokProcess

from voipdesk.logs import redact
from voipdesk.receiver import agent_owner
from voipdesk.receiver.ngrok_agent import (
    DOWNLOAD_ERRORS,
    classify,
    download_agent,
    launch,
    prepare_config,
)
from voipdesk.receiver.tunnel_status import OFF as _OFF
from voipdesk.receiver.tunnel_status import TunnelState, TunnelStatus

if TYPE_CHECKING:
    from voipdesk.receiver.tunnel import Tunnel

log = logging.getLogger("voipdesk.receiver.tunnel")

_ENDPOINT_NAME = "voipdesk"
_STARTUP_TIMEOUT = 15  # pyngrok's wait for the agent; it only checks it between agent log lines
_STARTUP_GRACE = 5.0  # then our own timer ends an agent that went silent

# pyngrok keeps one agent per ngrok path; the Tunnel that last started on a path owns it, and
# every pyngrok call that starts or kills an agent happens under agents_lock.
owners: dict[str, Tunnel] = {}
owners_lock = threading.Lock()
agents_lock = threading.RLock()


class AgentControl:
    """The agent side of a Tunnel (which mixes it in): one launch of the agent and its endpoint,
    what a failed launch means, the download on first use, and killing and reaping the agent.
    The watchdog, the statuses and the public surface are the Tunnel's (tunnel.py); this side
    calls back its _announce, _error, _online and _on_agent_log."""

    # The Tunnel's state this side uses (set in Tunnel.__init__ and Tunnel.start).
    ngrok_path: Path
    config_path: Path
    status: TunnelStatus
    _key: str
    _pid_path: Path
    _authtoken: str | None
    _domain: str | None
    _managed: bool
    _agent_url: str | None
    _on_download_progress: Callable[[int, int], None] | None
    _stopping: threading.Event
    _agent: NgrokProcess | None
    _port: int
    _public_url: str | None
    _launching: bool
    _died: bool

    def _launch(self) -> TunnelStatus:
        stopping = self._stopping
        with agents_lock:
            with owners_lock:
                if stopping.is_set() or owners.get(self._key) is not self:
                    return _OFF
            agent_owner.stop_left_behind(self._pid_path, self.config_path)
            cfg = PyngrokConfig(
                ngrok_path=self._key,
                config_path=str(self.config_path),
                log_event_callback=self._on_agent_log,
                startup_timeout=_STARTUP_TIMEOUT,
                # Ctrl+C in a terminal must not kill it behind our back (POSIX only).
                start_new_session=os.name == "posix",
            )
            cfg.auth_token = None  # pyngrok would put NGROK_AUTHTOKEN on the command line
            options: dict[str, str] = {}
            if self._domain and getattr(cfg, "config_version", "2") == "3":
                options["url"] = f"https://{self._domain}"  # pyngrok 9 creates v3 endpoints
            elif self._domain:
                options["domain"] = self._domain
            # pyngrok checks its start-up timeout only between agent lines; a silent agent
            # would block it for good, so a timer ends the agent instead.
            guard = threading.Timer(
                _STARTUP_TIMEOUT + _STARTUP_GRACE, self._interrupt_start, ["timeout"]
            )
            guard.daemon = True
            self._launching, began = True, time.monotonic()
            guard.start()
            agent = None
            try:
                prepare_config(self.config_path)
                agent = launch(cfg, self._authtoken or "")
                upstream = f"http://127.0.0.1:{self._port}"
                endpoint = ngrok.connect(upstream, "http", _ENDPOINT_NAME, cfg, **options)
                # Ours ended (and connect may have had pyngrok start one with no authtoken).
                if (
                    agent.proc.poll() is not None
                    or process._current_processes.get(self._key) is not agent
                ):
                    raise PyngrokNgrokError("the ngrok agent ended while the tunnel started")
            except Exception as exc:  # start() must not raise; _failure logs what it was
                # An agent that ended after it came up: what pyngrok says next is not why.
                ended = agent is not None and agent.proc.poll() is not None
                process.kill_process(self._key)  # it may have started before the endpoint failed
                if isinstance(exc, yaml.YAMLError):  # our config file got damaged: start afresh
                    self.config_path.unlink(missing_ok=True)
                if stopping.is_set():
                    return _OFF
                if ended:
                    log.warning("the ngrok agent ended while the tunnel started: %s",
                                redact(str(exc)))  # fmt: skip
                    self._died = True
                    return self._announce(self._error("agent_died"))
                timed_out = time.monotonic() - began >= _STARTUP_TIMEOUT
                return self._announce(self._failure(exc, timed_out))
            finally:
                guard.cancel()
                self._launching = False
            if stopping.is_set():
                self._reap(agent)
                return _OFF
            self._agent, self._died = agent, False
            self._public_url = (endpoint.public_url or "").rstrip("/") or None
            agent_owner.record(self._pid_path, agent.proc.pid)
            log.info("tunnel online at %s (agent pid %d)", self._public_url, agent.proc.pid)
            return self._announce(self._online())

    def _failure(self, exc: BaseException, timed_out: bool) -> TunnelStatus:
        if isinstance(exc, PyngrokNgrokInstallError):  # pyngrok tried a download of its own
            problem = "download_failed"
        elif isinstance(exc, OSError):  # the program could not be executed at all
            problem = "agent_missing"
        elif isinstance(exc, PyngrokNgrokURLError):  # the agent's local API went away
            problem = "unknown"
        elif isinstance(exc, PyngrokNgrokError):
            errors = [entry.err for entry in reversed(exc.ngrok_logs) if entry.err != "nil"]
            problem = classify(exc.ngrok_error, getattr(exc, "body", None), str(exc), *errors)
            # Connected, but without the local API pyngrok 9 uses (/api/endpoints).
            session = any("client session established" in (e.msg or "") for e in exc.ngrok_logs)
            if problem == "unknown" and (
                (isinstance(exc, PyngrokNgrokHTTPError) and exc.status_code == 404)
                or (timed_out and session and exc.ngrok_error is None)
            ):
                problem = "agent_too_old"
        else:  # not pyngrok's: a bug or a damaged config file
            log.error("unexpected tunnel failure", exc_info=exc)
            problem = "unknown"
        if problem == "unknown" and self._died:
            problem = "agent_died"
        log.warning("the tunnel could not start (%s): %s", problem, redact(str(exc)))
        return self._error(problem)

    def _ensure_agent(self) -> TunnelStatus | None:
        """Download the agent on first use; None when it is in place."""
        if self.ngrok_path.exists():
            return None
        try:
            url = self._agent_url or installer.get_ngrok_cdn_url(conf.get_default().ngrok_version)
        except PyngrokError:
            return self._error("agent_missing")  # no ngrok build for this platform
        if self.status.state is not TunnelState.ERROR:  # no flicker on retries
            self._announce(TunnelStatus(TunnelState.STARTING, None, "Downloading ngrok (once)…"))
        try:
            download_agent(url, self.ngrok_path, self._progress, self._stopping)
        except DOWNLOAD_ERRORS as exc:
            log.warning("could not download the ngrok agent from %s: %s", url, exc)
            return self._error("download_failed")
        log.info("downloaded the ngrok agent to %s", self.ngrok_path)
        return None

    def _progress(self, done: int, total: int) -> None:
        if self._on_download_progress is not None:
            try:
                self._on_download_progress(done, total)
            except Exception:
                log.exception("the download progress callback failed")

    def _kill_agent(self, *, wait: bool = False) -> None:
        """Kill our agent now, even while pyngrok waits for it to start (holding its lock)."""
        # launch() registers the process before its start-up loop; the only handle until then.
        starting = getattr(process, "_current_processes", {}).get(self._key)
        for agent in (self._agent, starting):
            if agent is not None:
                with contextlib.suppress(OSError, subprocess.SubprocessError):
                    agent.proc.kill()
                    if wait:
                        agent.proc.wait(timeout=5)

    def _interrupt_start(self, reason: str) -> None:
        # While we launch we hold agents_lock, so the registered agent can only be ours.
        if self._launching:
            log.info("stopping the starting ngrok agent: %s", reason)
            self._kill_agent()

    def _reap(self, agent: NgrokProcess) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            agent.proc.kill()
            agent.proc.wait(timeout=5)
        process.is_process_running(self._key)  # makes pyngrok forget the agent if it was ours
        agent_owner.forget(self._pid_path, agent.proc.pid)
