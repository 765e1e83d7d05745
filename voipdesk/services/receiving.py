"""Receiving for the services: the webhook listener, the tunnel in front of it, and where
receiving stands (a ReceivingStatus, told through `changed`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx

from voipdesk.core.models import Message
from voipdesk.receiver.status import NOT_STARTED, ReceivingStatus, TunnelState
from voipdesk.services.events import ERROR, Event
from voipdesk.settings import Settings
from voipdesk.store import StoreOpener

log = logging.getLogger("voipdesk.app")


class Receiving:
    """Starts, restarts and stops the listener and the tunnel; all blocking calls run on worker
    threads through `spawn(asyncio.to_thread(...))`, the services' one worker mechanism."""

    def __init__(
        self,
        settings: Settings,
        *,
        spawn: Callable[..., asyncio.Task],
        call_soon: Callable[..., None],
        secret: Callable[[str], str],
        notice: Event[str, str],
        on_messages: Callable[[list[Message]], None],
        tunnel_factory: Callable[..., object] | None = None,
        port: int | None = None,
        tunnel_mode: str | None = None,
        remember_url: bool = True,
        location: object = None,
    ) -> None:
        """`port` and `tunnel_mode` override the settings' (for `listen`); `remember_url`
        keeps the public URL in the settings (the app does, to say when it changed);
        `location` is the store's (open_store's; default: the data folder), or a
        store.LentStore that gives the listener an open store instead."""
        self.settings = settings
        self.location = location if location is not None else settings.data_dir
        self._port, self._tunnel_mode, self._remember_url = port, tunnel_mode, remember_url
        self.data_dir = settings.data_dir
        self._spawn, self._call_soon, self._secret = spawn, call_soon, secret
        self._notice = notice
        self._on_messages = on_messages  # on the listener's thread
        self._tunnel_factory = tunnel_factory
        self.listener = None
        self.tunnel = None
        self.status: ReceivingStatus = NOT_STARTED
        self.changed: Event[ReceivingStatus] = Event("receiving changed")
        # How each tunnel start ended, told after `changed`: its status, or the exception.
        self.tunnel_started: Event[object] = Event("tunnel started")
        self.stopped = False

    def set(self, **changes: object) -> None:
        """Change where receiving stands, and tell it."""
        self.status = self.status.but(**changes)
        self.changed.emit(self.status)

    def local_webhook_url(self) -> str | None:
        if self.listener is None:
            return None
        return self.listener.local_url + self.listener.webhook_path

    # -- the listener --------------------------------------------------------------------------
    def start_listener(self) -> None:
        """(Re)start the listener on the settings' port, then the tunnel in front of it."""
        from voipdesk.receiver.listener import Listener, ListenerError

        if self.listener is not None:
            self.listener.stop()
        location = self.location  # a store lent by serve (store.LentStore) is callable
        self.listener = Listener(
            location if callable(location) else StoreOpener(location),
            self.settings.webhook_secret,
            port=self._port if self._port is not None else self.settings.effective_port,
            on_messages=self._on_messages,
        )
        try:
            self.listener.start()
        except ListenerError as exc:
            self.listener = None
            self.set(listener_running=False, listener_port=None, listener_error=str(exc))
            self._notice.emit(ERROR, str(exc))
            return
        self.set(listener_running=True, listener_port=self.listener.port, listener_error=None)
        self.restart_tunnel()

    # -- the tunnel ----------------------------------------------------------------------------
    def restart_tunnel(self) -> None:
        """(Re)start the tunnel on a worker thread according to the settings."""
        self._stop_tunnel()
        if self.listener is None:
            return
        if self.tunnel_mode == "none":
            self.set(
                authtoken_missing=False,
                tunnel_state=TunnelState.DISABLED,
                tunnel_message="The tunnel is off: only this computer can reach the listener.",
                public_url=self.local_webhook_url(),
            )
            return
        token = self._secret("ngrok_authtoken")  # read by load_secrets(), off the GUI thread
        self.set(authtoken_missing=not token)
        factory = self._tunnel_factory
        if factory is None:
            from voipdesk.receiver.tunnel import Tunnel as factory
        self.tunnel = tunnel = factory(
            data_dir=self.data_dir,
            authtoken=token,
            domain=self.settings.ngrok_domain.strip() or None,
            on_status=self._from_tunnel,
            on_download_progress=self._from_download,
        )
        self.set(tunnel_state=TunnelState.STARTING, tunnel_message="Starting the tunnel…")
        self._spawn(self._run_tunnel(tunnel, self.listener.port))

    @property
    def tunnel_mode(self) -> str:
        """ "ngrok" or "none": the override, else the settings'."""
        return (self._tunnel_mode or self.settings.effective_tunnel).strip().lower()

    async def _run_tunnel(self, tunnel, port: int) -> None:
        try:
            status = await asyncio.to_thread(tunnel.start, port)
        except Exception as exc:
            log.exception("tunnel start failed")
            if not self.stopped:
                self.set(tunnel_state=TunnelState.ERROR, tunnel_message=str(exc), public_url=None)
                self.tunnel_started.emit(exc)
            return
        self._on_tunnel(status)
        if not self.stopped:
            self.tunnel_started.emit(status)

    def _stop_tunnel(self) -> None:
        tunnel, self.tunnel = self.tunnel, None
        if tunnel is not None:
            self._spawn(asyncio.to_thread(tunnel.stop))

    async def stop(self) -> None:
        """The tunnel, then the listener (its in-flight requests finish)."""
        tunnel, self.tunnel = self.tunnel, None
        if tunnel is not None:
            await asyncio.to_thread(tunnel.stop)
        if self.listener is not None:
            await asyncio.to_thread(self.listener.stop)
            self.listener = None

    def _from_tunnel(self, status) -> None:  # tunnel thread
        self._call_soon(self._on_tunnel, status)

    def _from_download(self, done: int, total: int) -> None:  # tunnel thread, first run only
        got = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total > 0 else "")
        self._call_soon(self.set, tunnel_message=f"Downloading ngrok (once): {got}…")

    def _on_tunnel(self, status) -> None:
        if self.stopped:
            return
        online = TunnelState(status.state) is TunnelState.ONLINE
        path = self.listener.webhook_path if self.listener else ""
        url = status.public_url + path if status.public_url else None
        changed = False
        if url and online:
            previous = self.settings.last_public_url
            changed = bool(previous) and previous != url
            if previous != url and self._remember_url:
                self.settings.last_public_url = url
                self._spawn(asyncio.to_thread(self.settings.save))
            changed = changed or self.status.url_changed
        self.set(
            tunnel_state=TunnelState(status.state),
            tunnel_message=status.message,
            public_url=url if online else self.status.public_url,
            url_changed=changed,
        )

    # -- the end-to-end test -------------------------------------------------------------------
    async def test(self, http, damaged: bool) -> tuple[bool, str]:
        """Check the webhook end to end: through the tunnel when there is one."""
        if self.listener is None or damaged:
            return False, self.status.listener_error or "The listener is not running."
        path = self.listener.webhook_path
        if self.tunnel is not None:
            return await asyncio.to_thread(self.tunnel.check, path)
        if self.tunnel_mode == "ngrok":
            return False, "There is no tunnel: add your ngrok authtoken in Settings."
        try:
            response = await http.get(self.local_webhook_url() or "", timeout=5)
        except httpx.HTTPError as exc:
            return False, f"The listener did not answer ({type(exc).__name__})."
        if response.status_code == 200:
            return True, "The listener answers on this computer (the tunnel is off)."
        return False, f"The listener answered HTTP {response.status_code}."
