"""The public tunnel: an ngrok agent run through pyngrok, watched, restarted and explained."""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from pyngrok.log import NgrokLog
from pyngrok.process import NgrokProcess

from voipdesk.logs import RedactingFilter, register_secret
from voipdesk.receiver.ngrok_agent import AGENT_BIN, RETRYABLE, classify, sentence
from voipdesk.receiver.tunnel_agent import AgentControl, agents_lock, owners, owners_lock
from voipdesk.receiver.tunnel_status import OFF as _OFF
from voipdesk.receiver.tunnel_status import TunnelState, TunnelStatus, online_status

__all__ = ["Tunnel", "TunnelState", "TunnelStatus"]

log = logging.getLogger("voipdesk.receiver.tunnel")

_POLL = 0.2  # seconds between checks that the agent still runs
# A logger's filters only see records created on that very logger, so each pyngrok logger gets
# one; the agent's own lines (which can echo a rejected authtoken) arrive on pyngrok.process.ngrok.
_REDACTED_LOGGERS = ("pyngrok", "pyngrok.ngrok", "pyngrok.process", "pyngrok.process.ngrok",
                     "pyngrok.installer", "pyngrok.conf", log.name)  # fmt: skip


class Tunnel(AgentControl):
    """Exposes a local port through an ngrok agent, restarting the agent when it dies.

    `start` blocks (call it from a worker thread). `on_status` and `on_download_progress` are
    called from worker threads and must return quickly. The authtoken reaches the agent in its
    environment (NGROK_AUTHTOKEN), never on its command line, where every local user could read
    it, nor in a file we write.
    """

    def __init__(
        self,
        *,
        data_dir: Path,
        authtoken: str | None,
        domain: str | None = None,
        ngrok_path: Path | None = None,
        on_status: Callable[[TunnelStatus], None] | None = None,
        on_download_progress: Callable[[int, int], None] | None = None,
        restart_backoff: tuple[float, float] = (1.0, 60.0),
        agent_url: str | None = None,
    ) -> None:
        data_dir = Path(data_dir)
        self._authtoken = (authtoken or "").strip() or None
        self._domain = re.sub(r"^[a-z]+://|/.*$", "", (domain or "").strip().lower()) or None
        self._managed = ngrok_path is None  # ours to download and replace
        self.ngrok_path = Path(ngrok_path) if ngrok_path else data_dir / "bin" / AGENT_BIN
        self.config_path = data_dir / "ngrok" / "ngrok.yml"  # never the user's global config
        self._pid_path = data_dir / "ngrok" / "agent.pid"
        self._key = str(self.ngrok_path)
        self._on_status = on_status
        self._on_download_progress = on_download_progress
        self._backoff = restart_backoff
        self._agent_url = agent_url  # default: pyngrok's download address for this platform
        self.status = _OFF
        self._status_lock = threading.Lock()
        self._stopping = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._agent: NgrokProcess | None = None
        self._port = 0
        self._public_url: str | None = None
        self._launching = False
        self._died = False
        self._replaced_old_agent = False
        register_secret(self._authtoken)
        for name in _REDACTED_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())

    # -- public surface ------------------------------------------------------------------------
    def start(self, local_port: int) -> TunnelStatus:
        """Bring the tunnel up in front of 127.0.0.1:local_port; blocks; never raises for
        tunnel failures: they come back (and are announced) as an ERROR status."""
        if not 0 < local_port < 65536:
            raise ValueError(f"not a port: {local_port!r}")
        self.stop()
        self._stopping = threading.Event()  # a fresh one, so an old watchdog stays stopped
        self._port, self._died, self._replaced_old_agent = local_port, False, False
        if not self._authtoken:
            return self._announce(self._error("no_authtoken"))
        with owners_lock:
            previous = owners.get(self._key)
            if previous is not None and previous is not self:
                previous._stopping.set()
                previous._kill_agent(wait=True)  # pyngrok would hand us the dying agent
            owners[self._key] = self
        self._announce(TunnelStatus(TunnelState.STARTING, None, "Starting the tunnel…"))
        status = self._attempt()
        if self._stopping.is_set():
            return _OFF
        if status.state is TunnelState.ONLINE or status.problem in RETRYABLE:
            watchdog = threading.Thread(
                target=self._watch, args=(self._stopping,), name="voipdesk-tunnel", daemon=True
            )
            watchdog.start()
            # Published only once started: a stop() on another thread joins it.
            self._watchdog = watchdog
        return status

    def stop(self) -> None:
        """Kill the agent and stop the watchdog; idempotent, quiet (on_status is not called)."""
        self._stopping.set()
        with owners_lock:
            mine = owners.get(self._key) is self
            if mine:
                self._kill_agent()  # also ends a start that is waiting on a silent agent
                del owners[self._key]
        watchdog = self._watchdog
        if watchdog is not None and watchdog is not threading.current_thread():
            watchdog.join(timeout=10)
        # A start in progress unwinds once its agent dies; that agent may not have been
        # registered with pyngrok yet when we first looked, so keep at it.
        while not agents_lock.acquire(timeout=0.05):
            if mine:
                self._kill_agent()
        try:
            agent, self._agent = self._agent, None
            if mine and agent is not None:
                self._reap(agent)
            self._watchdog = None
        finally:
            agents_lock.release()
        with self._status_lock:
            self.status = _OFF

    def public_webhook_url(self, path: str) -> str | None:
        """The public address of `path` (e.g. the webhook path), while the tunnel is online."""
        url = self.status.public_url if self.status.state is TunnelState.ONLINE else None
        if not url:
            return None
        return url.rstrip("/") + ("/" + path.lstrip("/") if path else "")

    def check(self, path: str, *, timeout: float = 10.0) -> tuple[bool, str]:
        """GET the public address of `path` through the tunnel; (True, …) when it answers 200,
        else (False, a sentence saying what failed). Blocking network call."""
        status = self.status
        if not self._authtoken:
            return False, self._error("no_authtoken").message
        url = self.public_webhook_url(path)
        if url is None:
            if status.state is TunnelState.ERROR:
                return False, status.message
            return False, "The tunnel is not online yet: wait a moment and test again."
        headers = {"ngrok-skip-browser-warning": "1", "User-Agent": "voipdesk-tunnel-check"}
        try:
            with httpx.Client(timeout=timeout, headers=headers) as client:
                response = client.get(url)
        except httpx.TimeoutException:
            return False, "The public address did not answer in time: the tunnel may be down."
        except httpx.HTTPError as exc:
            log.info("tunnel check could not connect: %s", exc)
            return (
                False,
                "The tunnel refused the connection: voipdesk restarts it, test again soon.",
            )
        if response.status_code == 200:
            return True, "The public webhook address works: messages can reach voipdesk."
        found = re.search(r"ERR_NGROK_\d+", response.text[:20000])
        code = response.headers.get("ngrok-error-code") or (found.group(0) if found else "")
        log.info("tunnel check got HTTP %d %s", response.status_code, code)
        if code == "ERR_NGROK_8012":
            return False, "The tunnel works, but voipdesk's webhook listener behind it is down: "\
                "restart voipdesk."  # fmt: skip
        if code == "ERR_NGROK_3200":
            return False, "ngrok says the tunnel is offline: check your internet connection."
        return False, f"The tunnel gave an unexpected answer (HTTP {response.status_code}): "\
            "restart receiving and test again."  # fmt: skip

    # -- one attempt ---------------------------------------------------------------------------
    def _attempt(self) -> TunnelStatus:
        missing = self._ensure_agent()
        if missing is not None:
            return self._announce(missing)
        status = self._launch()
        if status.problem == "agent_too_old" and self._managed and not self._replaced_old_agent:
            log.info("ngrok says its program is too old; downloading a current one")
            self._replaced_old_agent = True
            with contextlib.suppress(OSError):
                self.ngrok_path.unlink()
            return self._attempt()
        return status

    # -- watching ------------------------------------------------------------------------------
    def _watch(self, stopping: threading.Event) -> None:
        """Restart a dead agent and retry failed starts, with exponential backoff."""
        delay = self._backoff[0]
        while not stopping.is_set():
            agent = self._agent
            if agent is not None:
                if stopping.wait(_POLL):
                    return
                if (code := agent.proc.poll()) is None:
                    continue
                log.warning("the ngrok agent stopped (exit code %s); restarting it", code)
                self._agent, self._died, delay = None, True, self._backoff[0]
                self._announce(TunnelStatus(TunnelState.STARTING, None, "Restarting the tunnel…"))
            if stopping.wait(delay):
                return
            status = self._attempt()
            if status.state is TunnelState.ONLINE:
                delay = self._backoff[0]
            elif status.problem not in RETRYABLE:
                return  # the user has to change something; the status says what
            else:
                delay = min(delay * 2, self._backoff[1])

    def _on_agent_log(self, entry: NgrokLog) -> None:
        """Called by pyngrok for each agent line, on its threads (which must not die)."""
        try:
            message = entry.msg or ""
            fatal = entry.lvl == "CRITICAL" or (entry.lvl == "ERROR" and "session" in message)
            back = "client session established" in message and self._agent is not None
            if fatal and entry.err:
                problem = classify(entry.err)
                if problem != "unknown" and self._launching:  # fail fast, not after 15 s
                    self._interrupt_start(f"ngrok reported a problem ({problem})")
                elif problem == "no_internet" and self.status.state is TunnelState.ONLINE:
                    self._announce(self._error("no_internet"))  # the agent reconnects itself
            elif back and self.status.problem == "no_internet":  # after a drop while online
                self._announce(self._online())
        except Exception:
            log.exception("could not handle an ngrok log line")

    # -- statuses ------------------------------------------------------------------------------
    def _error(self, problem: str) -> TunnelStatus:
        text = sentence(problem, ngrok_path=self.ngrok_path, domain=self._domain)
        return TunnelStatus(TunnelState.ERROR, None, text, problem)

    def _online(self) -> TunnelStatus:
        return online_status(self._public_url)

    def _announce(self, status: TunnelStatus) -> TunnelStatus:
        with self._status_lock:
            if self._stopping.is_set():
                return status
            changed, self.status = status != self.status, status
        if changed and self._on_status is not None:
            try:
                self._on_status(status)
            except Exception:
                log.exception("the tunnel status callback failed")
        return status
