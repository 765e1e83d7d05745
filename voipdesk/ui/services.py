"""The app's services behind one QObject: the store, outbox, listener and tunnel, with signals
delivered on the GUI thread. Widgets read from `store` and call methods here; all writes and
network calls happen off the GUI thread."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
from PySide6.QtCore import QObject, Signal

from voipdesk import logs
from voipdesk.core.models import Direction, Message, Status
from voipdesk.logs import register_secret
from voipdesk.outbox import Outbox
from voipdesk.provider.client import DEFAULT_TIMEOUT, VoipNumberClient
from voipdesk.provider.http_loop import HttpThread
from voipdesk.receiver.status import NOT_STARTED, ReceivingStatus, TunnelState
from voipdesk.settings import Settings
from voipdesk.store import Store, StoreDamaged, damage, database_path
from voipdesk.store.backup import DailyBackup

log = logging.getLogger("voipdesk.app")


class Services(QObject):
    """Owns the running parts of voipdesk and reports on them through signals."""

    messagesChanged = Signal(list)  # list[Message]: stored or changed (local echo included)
    incoming = Signal(list)  # list[Message]: newly received inbound messages
    receivingChanged = Signal(object)  # ReceivingStatus
    sendingPaused = Signal(str)  # the sentence; "" when sending resumes
    notice = Signal(str)  # a plain-language line for the status bar
    # A message the user just sent failed. Its reason is shown under its bubble; the window
    # repeats it in the status bar only when that conversation is not the one in front.
    sendFailed = Signal(object)  # Message
    contactsChanged = Signal()
    databaseDamaged = Signal(object)  # StoreDamaged: receiving and writing stopped (once)

    def __init__(
        self,
        settings: Settings,
        *,
        credentials: tuple[str, str] | None = None,
        tunnel_factory: Callable[..., object] | None = None,
        store: Store | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.data_dir = settings.data_dir
        self._credentials_override = credentials
        self._tunnel_factory = tunnel_factory
        path = database_path(self.data_dir)
        # GUI-thread reads (the window's, opened before the services: closed by stop())
        self.store = store if store is not None else Store(path)
        self._writer = Store(path)  # writes, always from worker threads
        # Requests run on a loop of their own: on the GUI's they would leave only after whatever
        # the GUI does meanwhile (the local echo's relayout and repaint delayed every send).
        self.http = HttpThread(timeout=DEFAULT_TIMEOUT)
        self.client = VoipNumberClient(self.http, url=settings.effective_api_url)
        # Secrets as last read from the keyring, on a worker thread (a locked keyring can hold
        # a read for seconds): at start and after each settings change. Sending and the tunnel
        # wait for the read in progress; nothing here reads the keyring on the GUI thread.
        self._secrets: dict[str, str] = {}
        self._secrets_task: asyncio.Task | None = None
        self._apply_credentials()
        self.outbox = Outbox(
            self._writer,
            self.client,
            on_change=self._from_loop_message,
            before_send=self.wait_for_secrets,  # the bubble shows at once; the request waits
        )
        self.listener = None
        self.tunnel = None
        self.backups = DailyBackup(self.data_dir)
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._stopped = False
        self.damaged: StoreDamaged | None = None
        self._unwatch: list[Callable[[], None]] = []
        self.receiving: ReceivingStatus = NOT_STARTED

    # -- credentials --------------------------------------------------------------------------
    def credentials(self) -> tuple[str, str]:
        """Account ID and API token as last read (never reads the keyring itself)."""
        if self._credentials_override:
            return self._credentials_override
        return self.settings.effective_account_id, self._secrets.get("api_token", "")

    def secret(self, name: str) -> str:
        """A secret as last read by load_secrets() ("" when there is none)."""
        return self._secrets.get(name, "")

    def _wanted_secrets(self) -> list[str]:
        names = [] if self._credentials_override else ["api_token"]
        if self.settings.effective_tunnel == "ngrok":
            names.append("ngrok_authtoken")
        return names

    def _read_secrets(self, names: list[str]) -> dict[str, str]:  # worker thread
        return self.settings.read_secrets(names).effective

    def load_secrets(self) -> asyncio.Task:
        """Read the secrets on a worker thread, then apply them; sends and the tunnel wait for
        it (see wait_for_secrets). A read started later supersedes an earlier one."""
        names = self._wanted_secrets()

        async def read() -> None:
            values = await asyncio.to_thread(self._read_secrets, names)
            if self._secrets_task is not task:  # a newer read (newer settings) wins
                return
            for value in values.values():
                register_secret(value)
            self._secrets = values
            self._apply_credentials()

        task = self.spawn(read())
        self._secrets_task = task
        return task

    async def wait_for_secrets(self) -> None:
        """Until the latest secrets read has finished (at once when none is running)."""
        while True:
            task = self._secrets_task
            if task is None or task.done():
                return
            await asyncio.wait([task])

    def _apply_credentials(self) -> None:
        account, token = self.credentials()
        register_secret(token)
        self.client.account_id, self.client.api_token = account, token
        self.client.url = self.settings.effective_api_url

    # -- start and stop -----------------------------------------------------------------------
    def spawn(self, coro) -> asyncio.Task:
        """Run a coroutine as a registered task (cancelled at shut-down); errors are reported."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            log.error("background task failed", exc_info=exc)
            self.notice.emit(f"Something went wrong: {exc}")

    async def start(self) -> None:
        """Recover the outbox, start the listener and the tunnel, start retrying."""
        self._loop = asyncio.get_running_loop()
        self._watch_for_damage()
        self.load_secrets()
        recovered = await self.outbox.recover()
        if recovered:
            self.notice.emit(
                f"{len(recovered)} message(s) may not have been sent when voipdesk last stopped."
            )
        # aiohttp takes a tenth of a second to import: on a worker, not the GUI thread.
        await asyncio.to_thread(importlib.import_module, "voipdesk.receiver.listener")
        # the tunnel needs the authtoken, the outbox the token: the latest read (Settings may
        # have been saved meanwhile, superseding this start's read)
        await self.wait_for_secrets()
        self.start_listener()
        self.spawn(self.outbox.run())
        self.spawn(self._back_up_daily())

    async def _back_up_daily(self) -> None:
        """The daily backup of the database (store/backup.py), on a worker thread: at start when
        the newest is a day old, then daily. A failure is said once; receiving goes on."""
        while True:
            problem, wait = await asyncio.to_thread(self.backups.run_if_due)
            if problem:
                self.notice.emit(problem)
            await asyncio.sleep(wait)

    def start_listener(self) -> None:
        from voipdesk.receiver.listener import Listener, ListenerError

        if self.listener is not None:
            self.listener.stop()
        self.listener = Listener(
            database_path(self.data_dir),
            self.settings.webhook_secret,
            port=self.settings.effective_port,
            on_messages=self._from_listener,
        )
        try:
            self.listener.start()
        except ListenerError as exc:
            self.listener = None
            self._set_receiving(listener_running=False, listener_port=None, listener_error=str(exc))
            self.notice.emit(str(exc))
            return
        self._set_receiving(
            listener_running=True, listener_port=self.listener.port, listener_error=None
        )
        self.restart_tunnel()

    def local_webhook_url(self) -> str | None:
        if self.listener is None:
            return None
        return self.listener.local_url + self.listener.webhook_path

    def restart_tunnel(self) -> None:
        """(Re)start the tunnel on a worker thread according to the settings."""
        self._stop_tunnel()
        if self.listener is None:
            return
        if self.settings.effective_tunnel == "none":
            self._set_receiving(
                authtoken_missing=False,
                tunnel_state=TunnelState.DISABLED,
                tunnel_message="The tunnel is off: only this computer can reach the listener.",
                public_url=self.local_webhook_url(),
            )
            return
        token = self.secret("ngrok_authtoken")  # read by load_secrets(), off the GUI thread
        self._set_receiving(authtoken_missing=not token)
        factory = self._tunnel_factory
        if factory is None:
            from voipdesk.receiver.tunnel import Tunnel as factory
        self.tunnel = factory(
            data_dir=self.data_dir,
            authtoken=token,
            domain=self.settings.ngrok_domain.strip() or None,
            on_status=self._from_tunnel,
            on_download_progress=self._from_download,
        )
        port, tunnel = self.listener.port, self.tunnel
        self._set_receiving(
            tunnel_state=TunnelState.STARTING, tunnel_message="Starting the tunnel…"
        )
        threading.Thread(
            target=self._run_tunnel, args=(tunnel, port), name="voipdesk-tunnel", daemon=True
        ).start()

    def _run_tunnel(self, tunnel, port: int) -> None:
        try:
            status = tunnel.start(port)
        except Exception as exc:
            log.exception("tunnel start failed")
            self._call_soon(
                self._set_receiving,
                tunnel_state=TunnelState.ERROR,
                tunnel_message=str(exc),
                public_url=None,
            )
            return
        self._from_tunnel(status)

    def _stop_tunnel(self) -> None:
        tunnel, self.tunnel = self.tunnel, None
        if tunnel is not None:
            threading.Thread(target=tunnel.stop, name="voipdesk-tunnel-stop", daemon=True).start()

    async def stop(self) -> None:
        """Staged shut-down: tunnel, then listener (in-flight requests finish), tasks, stores."""
        if self._stopping:
            return
        self._stopping = True
        self.backups.stop()  # a backup in progress stops at its next step
        tunnel, self.tunnel = self.tunnel, None
        if tunnel is not None:
            await asyncio.to_thread(tunnel.stop)
        if self.listener is not None:
            await asyncio.to_thread(self.listener.stop)
            self.listener = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.http.aclose()
        for unwatch in self._unwatch:
            unwatch()
        self.store.close()
        self._writer.close()
        self._stopped = True

    # -- a damaged database, a log that cannot be written --------------------------------------
    def _watch_for_damage(self) -> None:
        """Found damaged by any of the stores (the listener's full check at its start, or a
        read that meets a damaged page): receiving stops and the window says so. A log that
        cannot be written (a full disk) is said in the status bar."""
        same_file = damage.same_file_as(database_path(self.data_dir))

        def found(exc: StoreDamaged) -> None:  # on the thread that found it
            if same_file(exc.path):
                self._call_soon(self._on_damaged, exc)

        def log_failed(sentence: str) -> None:
            self._call_soon(self.notice.emit, sentence[0].upper() + sentence[1:])

        logs.on_write_failure.append(log_failed)
        self._unwatch = [damage.watch(found), lambda: logs.on_write_failure.remove(log_failed)]
        if (known := damage.known(database_path(self.data_dir))) is not None:
            self._call_soon(self._on_damaged, known)

    def _on_damaged(self, exc: StoreDamaged) -> None:
        if self._stopped or self.damaged is not None:
            return
        self.damaged = exc
        self._set_receiving(
            listener_running=False,
            listener_error=f"Receiving stopped: {exc}",
            database_damaged=True,
        )
        self.databaseDamaged.emit(exc)

    # -- cross-thread plumbing -----------------------------------------------------------------
    def _call_soon(self, fn: Callable, *args: object, **kwargs: object) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
            loop.call_soon_threadsafe(lambda: fn(*args, **kwargs))

    def _from_listener(self, messages: list[Message]) -> None:  # listener thread
        self._call_soon(self._on_stored, list(messages))

    def _from_tunnel(self, status) -> None:
        self._call_soon(self._on_tunnel, status)

    def _from_download(self, done: int, total: int) -> None:  # tunnel thread, first run only
        got = f"{done / 1e6:.1f} MB" + (f" of {total / 1e6:.1f} MB" if total > 0 else "")
        self._call_soon(self._set_receiving, tunnel_message=f"Downloading ngrok (once): {got}…")

    def _from_loop_message(self, message: Message) -> None:  # outbox, on the loop
        self.messagesChanged.emit([message])
        if message.error_code and self.outbox.paused is not None:
            self.sendingPaused.emit(self.outbox.paused.sentence)

    def _on_stored(self, messages: list[Message]) -> None:
        if self._stopped:
            return
        self.messagesChanged.emit(messages)
        new = [m for m in messages if m.direction is Direction.IN]
        if new:
            self.incoming.emit(new)

    def _on_tunnel(self, status) -> None:
        if self._stopped:
            return
        path = self.listener.webhook_path if self.listener else ""
        url = status.public_url + path if status.public_url else None
        changed = False
        if url and status.state is TunnelState.ONLINE:
            previous = self.settings.last_public_url
            changed = bool(previous) and previous != url
            if previous != url:
                self.settings.last_public_url = url
                self.spawn(asyncio.to_thread(self.settings.save))
            changed = changed or self.receiving.url_changed
        self._set_receiving(
            tunnel_state=TunnelState(status.state),
            tunnel_message=status.message,
            public_url=url if status.state is TunnelState.ONLINE else self.receiving.public_url,
            url_changed=changed,
        )

    def _set_receiving(self, **changes: object) -> None:
        self.receiving = self.receiving.but(**changes)
        self.receivingChanged.emit(self.receiving)

    def acknowledge_url_change(self) -> None:
        self._set_receiving(url_changed=False)

    # -- actions for widgets --------------------------------------------------------------------
    def send(self, own: str, peer: str, body: str) -> asyncio.Task:
        """Store and send a message; its states arrive through messagesChanged."""
        return self.spawn(self._send(own, peer, body))

    async def _send(self, own: str, peer: str, body: str) -> Message:
        message = await self.outbox.send(own, peer, body)
        if message.status is Status.FAILED:
            self.sendFailed.emit(message)
        return message

    def resend(self, message_id: int) -> asyncio.Task:
        return self.spawn(self.outbox.resend(message_id))

    def discard(self, message_id: int) -> asyncio.Task:
        message = self.store.message(message_id)

        async def run() -> None:
            await self.outbox.discard(message_id)
            if message is not None:
                self.messagesChanged.emit([message])

        return self.spawn(run())

    def mark_read(self, conversation_id: int) -> asyncio.Task:
        return self.spawn(asyncio.to_thread(self._writer.mark_read, conversation_id))

    def set_draft(self, conversation_id: int, text: str) -> asyncio.Task:
        return self.spawn(asyncio.to_thread(self._writer.set_draft, conversation_id, text))

    async def open_conversation(self, own: str, peer: str) -> int:
        conversation = await asyncio.to_thread(self._writer.conversation_for, own, peer)
        return conversation.id

    def set_contact(self, number: str, name: str | None) -> asyncio.Task:
        async def run() -> None:
            await asyncio.to_thread(self._writer.set_contact, number, name)
            self.contactsChanged.emit()

        return self.spawn(run())

    async def import_contacts(self, path: Path) -> tuple[int, list[str]]:
        from voipdesk.core.contacts_import import read_contacts

        names, problems = await asyncio.to_thread(
            read_contacts, path, self.settings.effective_country
        )
        count = await asyncio.to_thread(self._writer.set_contacts, names)
        self.contactsChanged.emit()
        return count, problems

    async def export(self, path: Path, fmt: str) -> int:
        from voipdesk import export

        def run() -> int:
            reader = Store(database_path(self.data_dir))
            try:
                return export.write_file(reader.all_messages(), path, fmt)
            finally:
                reader.close()

        return await asyncio.to_thread(run)

    async def test_receiving(self) -> tuple[bool, str]:
        """Check the webhook end to end: through the tunnel when there is one."""
        if self.listener is None or self.damaged is not None:
            return False, self.receiving.listener_error or "The listener is not running."
        path = self.listener.webhook_path
        if self.tunnel is not None:
            return await asyncio.to_thread(self.tunnel.check, path)
        if self.settings.effective_tunnel == "ngrok":
            return False, "There is no tunnel: add your ngrok authtoken in Settings."
        try:
            response = await self.http.get(self.local_webhook_url() or "", timeout=5)
        except httpx.HTTPError as exc:
            return False, f"The listener did not answer ({type(exc).__name__})."
        if response.status_code == 200:
            return True, "The listener answers on this computer (the tunnel is off)."
        return False, f"The listener answered HTTP {response.status_code}."

    def settings_changed(self, fields: set[str]) -> asyncio.Task:
        """Apply what the settings dialog changed: the secrets are read again (off the GUI
        thread) first, then sending resumes and the listener or tunnel restarts."""
        self._apply_credentials()  # the account and endpoint now; the token once read
        self.load_secrets()
        tunnel_secret = bool(fields & {"ngrok_authtoken", "tunnel_mode"})
        listener = bool(fields & {"webhook_port", "webhook_secret"})
        if listener and not tunnel_secret:
            # The tunnel's authtoken did not change: the new webhook address works at once.
            self.start_listener()

        async def apply() -> None:
            await self.wait_for_secrets()
            if self._stopping:
                return
            if fields & {"account_id", "api_token", "numbers", "api_url"}:
                if self.outbox.paused is not None:
                    self.sendingPaused.emit("")
                self.outbox.resume()
            if listener and tunnel_secret:
                self.start_listener()
            elif not listener and fields & {"ngrok_authtoken", "ngrok_domain", "tunnel_mode"}:
                self.restart_tunnel()

        return self.spawn(apply())
