"""`voipdesk serve`: the always-on role. `listen` (listener, tunnel, daily backup) plus the
outbox's sender: every message queued by `voipdesk send` or the app, and every scheduled message
when it is due, is sent by the outbox under all of its rules (outbox.py: at most once; only a
request that surely did not take effect is retried; one whose outcome is unknown is never resent
by itself). It writes a heartbeat into the store (store/heartbeats.py) every HEARTBEAT_S.

It takes its store from open_store(location), never assuming SQLite. On the shared store
(`--database postgresql://...`, store/pg/) the listener writes through serve's own pool
(store.LentStore), the webhook secret is the one kept in the database (every serve on it
answers on the same path), and whether the database answers is asked every RETRY_STORE_S: while
it does not, webhooks are answered 503 and nothing is sent; both resume by themselves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from voipdesk.core.models import Message, Status
from voipdesk.services.listen import _listen, _Relay, hold_folder, streams
from voipdesk.store import Store, StoreDamaged, StoreError, open_store
from voipdesk.store.location import LentStore

log = logging.getLogger("voipdesk.serve")

HEARTBEAT_S = 30.0  # how often the heartbeat is written (VOIPDESK_HEARTBEAT_SECONDS)
RETRY_STORE_S = 5.0  # while the store cannot be used: how often serve tries it again
# How often the outbox looks for work queued by other processes (`voipdesk send`, the app, a
# scheduled message added meanwhile): its own loop only wakes for what it knows of.
POLL_S = 2.0
PRUNE_EVERY_S = 24 * 3600.0  # the shared store's change log is pruned once a day
EXIT_NO_STORE = 1  # the message store cannot be used at start (as the other commands)


def main(
    data_dir: Path,
    port: int | None = None,
    tunnel: str | None = None,
    database: str | None = None,
) -> int:
    """Receive and send until SIGINT/SIGTERM: 0 on a clean stop, 1 when the message store
    cannot be used at start, 2 when the listener cannot start, 4 when another voipdesk
    receives on the data folder."""
    out, err = streams()
    data_dir = Path(data_dir)
    owned = hold_folder(data_dir, "serve", err)
    if isinstance(owned, int):
        return owned
    with owned:
        try:
            store = open_store(database or data_dir)
        except StoreError as exc:  # damaged, unwritable, too new, or a server unreachable
            print(str(exc), file=err, flush=True)  # a sentence that names voipdesk
            return EXIT_NO_STORE
        try:
            sender = _sender(store, database, data_dir)
        except StoreError as exc:
            store.close()
            print(str(exc), file=err, flush=True)
            return EXIT_NO_STORE
        try:
            return asyncio.run(_listen(data_dir, port, tunnel, out, err, companion=sender))
        finally:
            store.close()


def _sender(store: Store, database: str | None, data_dir: Path) -> Sender:
    """The sender on the data folder's file, or on the shared store (which it lends to the
    listener, with the webhook secret kept in it)."""
    if not database:
        return Sender(store, data_dir)
    from voipdesk.settings.model import new_webhook_secret
    from voipdesk.store.pg.shared_settings import WEBHOOK_SECRET

    secret = store.shared_setting(WEBHOOK_SECRET, new_webhook_secret())  # type: ignore[attr-defined]
    return Sender(store, LentStore(store), webhook_secret=secret)


def heartbeat_seconds() -> float:
    with contextlib.suppress(ValueError):
        return max(0.1, float(os.environ.get("VOIPDESK_HEARTBEAT_SECONDS", HEARTBEAT_S)))
    return HEARTBEAT_S


class Sender:
    """The outbox's run loop, a poll that wakes it, and the heartbeat, on serve's loop."""

    def __init__(
        self, store: Store, location: Path | str | LentStore, *, webhook_secret: str = ""
    ) -> None:
        self.store = store
        self.location = location
        # On the shared store (lent to the listener): the webhook secret kept in it.
        self.shared = isinstance(location, LentStore)
        self.webhook_secret = webhook_secret
        self.started_at = time.time()
        self.outbox = None
        self.http = None
        self.down: StoreError | None = None  # the store cannot be used now (said once)
        self.stopped = False
        self._tasks: list[asyncio.Task] = []
        self._relay: _Relay | None = None
        self._said_paused = False

    async def start(self, settings, spawn: Callable, relay: _Relay) -> None:
        import httpx

        from voipdesk.logs import register_secret
        from voipdesk.outbox import Outbox
        from voipdesk.provider.client import VoipNumberClient

        self._relay = relay
        if self.stopped:  # found damaged meanwhile
            return
        self._tasks.append(spawn(self._heartbeat()))
        if self.shared:
            self._tasks.append(spawn(self._prune_daily()))
        account = settings.effective_account_id
        token = await asyncio.to_thread(settings.secret, "api_token") or ""
        if not account or not token:
            relay.say(await asyncio.to_thread(_no_credentials, settings, account, token))
            return
        register_secret(token)
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(15.0, connect=5.0))
        client = VoipNumberClient(
            self.http, url=settings.effective_api_url, account_id=account, api_token=token
        )
        self.outbox = outbox = Outbox(self.store, client, on_change=self._changed)
        try:
            for message in await outbox.recover():
                relay.say(
                    f"voipdesk: message {message.id} to {message.peer_number} was being sent "
                    "when voipdesk last stopped, so it may or may not have been sent: it is not "
                    "sent again by itself (check it, then send it again from the app if needed)."
                )
        except StoreError as exc:  # said by the heartbeat; recovery runs at the next start
            log.warning("recovering interrupted sends failed: %s", exc)
        self._tasks.append(spawn(outbox.run()))
        self._tasks.append(spawn(self._poll()))

    def _changed(self, message: Message) -> None:
        relay = self._relay
        if relay is None or message.status is Status.SENDING:
            return
        relay.messages([message])
        if message.status in (Status.PENDING, Status.FAILED, Status.UNKNOWN):
            relay.say(f"voipdesk: message {message.id}: {message.error_text}")

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            outbox = self.outbox
            if outbox is None:
                return
            if outbox.paused is not None:
                if not self._said_paused and self._relay is not None:
                    self._said_paused = True
                    self._relay.say(
                        f"voipdesk: sending is paused: {outbox.paused.sentence} Fix "
                        "VOIPDESK_ACCOUNT_ID / VOIPDESK_API_TOKEN, then restart serve; queued "
                        "messages wait in the outbox."
                    )
                continue
            if self.down is None:
                outbox.wake()

    async def _heartbeat(self) -> None:
        """Beat every heartbeat_seconds(). The shared store is also asked between beats whether
        it answers (every RETRY_STORE_S), so that a database server gone away is said soon;
        said once when it goes, once when it is back."""
        every = heartbeat_seconds()
        step = min(every, RETRY_STORE_S) if self.shared else every
        due = 0.0  # when the next beat is (time.monotonic())
        while True:
            try:
                if time.monotonic() >= due:
                    await asyncio.to_thread(self.store.beat, self.started_at)
                    due = time.monotonic() + every
                else:
                    await asyncio.to_thread(self.store.check)  # PostgreSQL's: SELECT 1
            except StoreDamaged:
                return  # the damage watch says it and stops the sender
            except StoreError as exc:
                if self.down is None and self._relay is not None:
                    said = str(exc) if str(exc).startswith("voipdesk") else f"voipdesk: {exc}"
                    self._relay.say(
                        f"{said} Until the database can be used again, webhooks are answered "
                        "503 (never 200 before a message is stored) and nothing is sent; serve "
                        "keeps trying."
                    )
                self.down = exc
                due = 0.0
                await asyncio.sleep(min(every, RETRY_STORE_S))
                continue
            if self.down is not None:
                self.down = None
                if self._relay is not None:
                    self._relay.say("voipdesk: the message database works again: receiving "
                                    "and sending go on.")  # fmt: skip
                if self.outbox is not None:
                    self.outbox.wake()
            await asyncio.sleep(step)

    async def _prune_daily(self) -> None:
        """The shared store's change log forgets changes older than it keeps (a desk away
        longer reads everything again): at start, then once a day."""
        while True:
            try:
                gone = await asyncio.to_thread(self.store.prune_changes)
                if gone:
                    log.info("forgot %d old entries of the change log", gone)
            except StoreError as exc:  # the heartbeat says the database is down
                log.info("pruning the change log failed: %s", exc)
                await asyncio.sleep(RETRY_STORE_S * 12)
                continue
            await asyncio.sleep(PRUNE_EVERY_S)

    def damaged(self, exc: Exception, relay: _Relay) -> None:
        """The SQLite file was found damaged: nothing more is written to it, so serve sends
        nothing and answers every webhook 503 until it is stopped, repaired and restarted."""
        self.stopped = True
        self._cancel()
        relay.say(
            "voipdesk: serve keeps running (so that its service does not restart in a loop) but "
            "answers every webhook 503 and sends nothing. Stop it, run `voipdesk repair`, then "
            "start it again."
        )

    def _cancel(self) -> None:
        for task in self._tasks:
            task.cancel()

    async def stop(self) -> None:
        """Stop sending at once: an attempt in flight stays `sending` and the next start
        marks it unknown (never resent by itself)."""
        self.stopped = True
        self._cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self.http is not None:
            await self.http.aclose()


def _no_credentials(settings, account: str, token: str) -> str:
    """Why serve does not send, and what to do (runs on a worker thread: it may probe the
    keyring)."""
    missing = " and ".join(
        name for name, absent in (("account id", not account), ("API token", not token)) if absent
    )
    text = (
        f"voipdesk: sending is off: no VoIP Number {missing}. Receiving goes on; queued and "
        "scheduled messages wait in the outbox. Set VOIPDESK_ACCOUNT_ID and VOIPDESK_API_TOKEN "
        "(for the service: in its environment file, readable only by its user), then restart "
        "serve."
    )
    store = settings.secrets_store
    if not token and (store is None or not store.persistent):
        text += (
            " This computer has no system keyring, so a token saved by the app elsewhere "
            "cannot be read here."
        )
    return text
