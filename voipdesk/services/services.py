"""The app's running parts together, without Qt: the store, outbox, provider client, listener
and tunnel. Callers read from `store` and call methods here; all writes and network calls run
off the caller's thread, and what happens is told through Events (see events.py)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from collections.abc import Callable
from pathlib import Path

from voipdesk.core.models import Direction, Message, Status
from voipdesk.logs import register_secret
from voipdesk.outbox import Outbox
from voipdesk.provider.client import DEFAULT_TIMEOUT, VoipNumberClient
from voipdesk.provider.http_loop import HttpThread
from voipdesk.receiver.status import ReceivingStatus
from voipdesk.services.backups import back_up_daily
from voipdesk.services.damage_watch import DamageWatch
from voipdesk.services.events import ERROR, WARNING, Event
from voipdesk.services.flags import ConversationFlags
from voipdesk.services.reads import Reads
from voipdesk.services.receiving import Receiving
from voipdesk.services.scheduling import Scheduling
from voipdesk.services.send_refused import SendRefused, send_refused
from voipdesk.services.sending import SENDING, SendingState, sending_state
from voipdesk.services.settings_change import apply_settings_change
from voipdesk.services.shared_inbox import SharedInbox
from voipdesk.services.unread import UnreadCount
from voipdesk.services.your_name import YourName
from voipdesk.settings import Settings
from voipdesk.store import Store, StoreDamaged, StoreUnavailable, open_store
from voipdesk.store.backup import DailyBackup
from voipdesk.store.errors import is_url
from voipdesk.store.local_drafts import LocalDrafts

log = logging.getLogger("voipdesk.app")


class Services(DamageWatch):
    """Owns the running parts of voipdesk and tells what happens through its events, emitted
    on the thread that runs its asyncio loop."""

    def __init__(
        self,
        settings: Settings,
        *,
        credentials: tuple[str, str] | None = None,
        tunnel_factory: Callable[..., object] | None = None,
        store: Store | None = None,
        location: Path | str | None = None,
        writer: Store | None = None,
        reads: Reads | None = None,
    ) -> None:
        """`location`: where the messages are (open_store's; default: the data folder). A
        postgresql:// URL is the shared inbox: `voipdesk serve` receives, this desk follows
        the store's change log (services/shared_inbox.py) and starts no listener or tunnel."""
        self.settings = settings
        self.data_dir = settings.data_dir
        # Stored or changed messages (the local echo included), and newly received ones.
        self.messages_changed: Event[list[Message]] = Event("messages changed")
        self.incoming: Event[list[Message]] = Event("incoming")
        self.messages_removed: Event[list[Message]] = Event("messages removed")  # discarded
        # A message the user just sent failed: its reason belongs under its bubble.
        self.send_failed: Event[Message] = Event("send failed")
        self.send_refused: Event[SendRefused] = Event("send refused")  # not stored: not sent
        self.sending_changed: Event[SendingState] = Event("sending changed")
        self.contacts_changed: Event[()] = Event("contacts changed")
        # Receiving and writing stopped (once).
        self.database_damaged: Event[StoreDamaged] = Event("database damaged")
        # The one channel for app-level notices: (level, plain-language sentence).
        self.notice: Event[str, str] = Event("notice")
        self._credentials_override = credentials
        # GUI-thread reads (the window's, opened before the services: closed by stop())
        self.location = location if location is not None else self.data_dir
        self.shared = is_url(self.location)
        self.store = store if store is not None else open_store(self.location, sends=False)
        self._writer = writer or open_store(self.location)  # writes, always from worker threads
        self.reads = reads or Reads()  # the window's reads of `store`: on a worker
        self.unread = UnreadCount(self._writer)  # the unread total and conversations read
        self.flags = ConversationFlags(self._writer, self.unread)  # blocked, muted
        # Requests run on a loop of their own: on the GUI's they would leave only after whatever
        # the GUI does meanwhile (the local echo's relayout and repaint delayed every send).
        self.http = HttpThread(timeout=DEFAULT_TIMEOUT)
        self.client = VoipNumberClient(self.http, url=settings.effective_api_url)
        # Secrets as last read from the keyring, on a worker thread (a locked keyring can hold
        # a read for seconds): at start and after each settings change. Sending and the tunnel
        # wait for the read in progress; nothing here reads the keyring on the caller's thread.
        self._secrets: dict[str, str] = {}
        self._secrets_read = False
        self._secrets_task: asyncio.Task | None = None
        self._apply_credentials()
        self.outbox = Outbox(
            self._writer,
            self.client,
            on_change=self._from_outbox,
            before_send=self.wait_for_secrets,  # the bubble shows at once; the request waits
        )
        self.sending: SendingState = SENDING  # can we send now, and if not why
        self.scheduling = Scheduling(self.outbox, self.spawn)  # Send later
        self.receiver = Receiving(
            settings,
            spawn=self.spawn,
            call_soon=self._call_soon,
            secret=self.secret,
            notice=self.notice,
            on_messages=self._from_listener,
            tunnel_factory=tunnel_factory,
            location=self.location,
        )
        self.receiving_changed = self.receiver.changed
        self.shared_inbox = SharedInbox(self) if self.shared else None
        self.your_name = YourName(settings, self.outbox)  # "Sent by" on the shared inbox
        if self.shared:  # drafts stay on this computer, whatever the team shares
            drafts = LocalDrafts(self.data_dir, key=str(getattr(self._writer, "path", "")))
            self.store.local_drafts = self._writer.local_drafts = drafts  # type: ignore[attr-defined]
        self.backups = DailyBackup(self.data_dir)
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self._stopped = False
        self.damaged: StoreDamaged | None = None
        self._unwatch: list[Callable[[], None]] = []

    @property
    def receiving(self) -> ReceivingStatus:
        """Where receiving stands."""
        return self.receiver.status

    @property
    def listener(self):
        return self.receiver.listener

    @property
    def tunnel(self):
        return self.receiver.tunnel

    def local_webhook_url(self) -> str | None:
        return self.receiver.local_webhook_url()

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
            self._secrets, self._secrets_read = values, True
            self._apply_credentials()
            self._update_sending()

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

    # -- can we send ----------------------------------------------------------------------------
    def _update_sending(self) -> None:
        """Work out again whether sending is paused and why; tell it when that changed."""
        token_missing = (
            self._secrets_read and not self._credentials_override and not self.secret("api_token")
        )
        state = sending_state(self.outbox, self.settings, token_missing=token_missing)
        if state != self.sending:
            self.sending = state
            self.sending_changed.emit(state)

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
            self.notice.emit(ERROR, f"Something went wrong: {exc}")

    async def start(self) -> None:
        """Recover the outbox, start the listener and the tunnel, start retrying."""
        self._loop = asyncio.get_running_loop()
        self._watch_for_damage()
        self.load_secrets()
        recovered = await self.outbox.recover()
        self._update_sending()  # (messages left waiting for VoIP Number)
        if recovered:
            self.notice.emit(
                WARNING,
                f"{len(recovered)} message(s) may not have been sent when voipdesk last stopped.",
            )
        await self.flags.load()
        await self.unread.count()  # before the listener adds to it
        if self.shared_inbox is not None:  # the server receives; its database is backed up
            # by its owner, not by each desk. What this desk sends carries the user's name.
            await self.your_name.look_up()
            self.spawn(self.shared_inbox.run())
            await self.wait_for_secrets()
            self.spawn(self.outbox.run())
            self.spawn(self._sync_autostart())
            return
        # aiohttp takes a tenth of a second to import: on a worker, not the GUI thread.
        await asyncio.to_thread(importlib.import_module, "voipdesk.receiver.listener")
        # the tunnel needs the authtoken, the outbox the token: the latest read (Settings may
        # have been saved meanwhile, superseding this start's read)
        await self.wait_for_secrets()
        self.start_listener()
        self.spawn(self.outbox.run())
        self.spawn(back_up_daily(self.backups, lambda problem: self.notice.emit(WARNING, problem)))
        self.spawn(self._sync_autostart())

    async def _sync_autostart(self) -> None:
        """The login entry as the settings want it (autostart.py), on a worker thread."""
        from voipdesk import autostart

        problem = await asyncio.to_thread(autostart.sync, self.settings)
        if problem:
            self.notice.emit(WARNING, problem)

    def start_listener(self) -> None:
        self.receiver.start_listener()

    def restart_tunnel(self) -> None:
        self.receiver.restart_tunnel()

    async def stop(self) -> None:
        """Staged shut-down: tunnel, then listener (in-flight requests finish), tasks, stores."""
        if self._stopping:
            return
        self._stopping = True
        self.backups.stop()  # a backup in progress stops at its next step
        await self.receiver.stop()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.http.aclose()
        for unwatch in self._unwatch:
            unwatch()
        self.reads.close()
        # (Closing waits for a read or write in progress, or a server: never on the GUI thread.)
        await asyncio.to_thread(self.store.close)
        await asyncio.to_thread(self._writer.close)
        self._stopped = self.receiver.stopped = True

    # -- cross-thread plumbing -----------------------------------------------------------------
    def _call_soon(self, fn: Callable, *args: object, **kwargs: object) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or self._stopped:
            return
        with contextlib.suppress(RuntimeError):  # the loop closed between the check and the call
            loop.call_soon_threadsafe(lambda: fn(*args, **kwargs))

    def _from_listener(self, messages: list[Message]) -> None:  # listener thread
        self._call_soon(self._on_stored, list(messages))

    def _from_outbox(self, message: Message) -> None:  # outbox, on the loop
        self.messages_changed.emit([message])
        if message.error_code or self.sending.waiting:
            self._update_sending()

    def _on_stored(self, messages: list[Message]) -> None:
        if self._stopped:
            return
        messages = self.flags.shown(messages)  # a blocked number's texts: stored, not shown
        if not messages:
            return
        self.messages_changed.emit(messages)
        new = [m for m in messages if m.direction is Direction.IN]
        if new:
            self.unread.received(len(new))
            self.incoming.emit(new)

    def acknowledge_url_change(self) -> None:
        self.receiver.set(url_changed=False)

    # -- actions --------------------------------------------------------------------------------
    def send(self, own: str, peer: str, body: str, *, clear_draft: bool = False) -> asyncio.Task:
        """Store and send a message (`clear_draft`: see Outbox.send); states: messages_changed."""
        return self.spawn(self._send(own, peer, body, clear_draft))

    async def _send(self, own: str, peer: str, body: str, clear_draft: bool) -> Message | None:
        try:
            message = await self.outbox.send(own, peer, body, clear_draft=clear_draft)
        except StoreUnavailable as exc:  # said in a sentence; its text stays in the box
            self.send_refused.emit(send_refused(own, peer, body, exc, shared=self.shared))
            return None
        if message.status is Status.FAILED:
            self.send_failed.emit(message)
        return message

    def resend(self, message_id: int) -> asyncio.Task:
        return self.spawn(self.outbox.resend(message_id))

    def retry_waiting(self) -> asyncio.Task:
        """Retry now what waits for VoIP Number (the app-wide "can't be reached" line)."""
        return self.spawn(self.outbox.retry_waiting())

    def discard(self, message_id: int) -> asyncio.Task:
        async def run() -> None:
            message = await asyncio.to_thread(self._writer.message, message_id)  # as it was
            await self.outbox.discard(message_id)
            self._update_sending()
            if message is not None:
                self.messages_removed.emit([message])
                if message.direction is Direction.IN:
                    await self.unread.count()

        return self.spawn(run())

    def mark_read(self, conversation_id: int, upto: int | None = None) -> asyncio.Task:
        """Mark a conversation read up to message `upto`, the newest the desk has drawn in it
        (None: all); told through unread.conversation_read and .changed."""
        return self.spawn(self.unread.mark_read(conversation_id, upto))

    def set_draft(self, conversation_id: int, text: str) -> asyncio.Task:
        return self.spawn(asyncio.to_thread(self._writer.set_draft, conversation_id, text))

    async def open_conversation(self, own: str, peer: str) -> int:
        conversation = await asyncio.to_thread(self._writer.conversation_for, own, peer)
        return conversation.id

    def set_contact(self, number: str, name: str | None) -> asyncio.Task:
        async def run() -> None:
            await asyncio.to_thread(self._writer.set_contact, number, name)
            self.contacts_changed.emit()

        return self.spawn(run())

    async def import_contacts(self, path: Path) -> tuple[int, list[str]]:
        from voipdesk.core.contacts_import import read_contacts

        names, problems = await asyncio.to_thread(
            read_contacts, path, self.settings.effective_country
        )
        count = await asyncio.to_thread(self._writer.set_contacts, names)
        self.contacts_changed.emit()
        return count, problems

    async def export(self, path: Path, fmt: str) -> int:
        from voipdesk import export

        def run() -> int:
            reader = open_store(self.data_dir)
            try:
                return export.write_file(reader.all_messages(), path, fmt)
            finally:
                reader.close()

        return await asyncio.to_thread(run)

    async def test_receiving(self) -> tuple[bool, str]:
        """Check the webhook end to end: through the tunnel when there is one."""
        return await self.receiver.test(self.http, self.damaged is not None)

    def settings_changed(self, fields: set[str]) -> asyncio.Task:
        """Apply what the settings dialog changed (see settings_change.py)."""
        return apply_settings_change(self, fields)
