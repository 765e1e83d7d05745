"""`voipdesk serve`: the always-on role. `listen` (listener, tunnel, daily backup) plus the
outbox's sender: every message queued by `voipdesk send` or the app, and every scheduled message
when it is due, is sent by the outbox under all of its rules (outbox.py: at most once; only a
request that surely did not take effect is retried; one whose outcome is unknown is never resent
by itself). It writes a heartbeat into the store (store/heartbeats.py) every HEARTBEAT_S.

It takes its store from open_store(location), never assuming SQLite. The shared store on
PostgreSQL (store/pg/) can be opened now, but serve does not use it yet: owning a send attempt
across servers is issue #11's item 4, so a --database URL is refused (refusal())."""

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
from voipdesk.store.choice import SCHEMES
from voipdesk.store.location import redacted

log = logging.getLogger("voipdesk.serve")

HEARTBEAT_S = 30.0  # how often the heartbeat is written (VOIPDESK_HEARTBEAT_SECONDS)
RETRY_STORE_S = 5.0  # while the store cannot be used: how often serve tries it again
# How often the outbox looks for work queued by other processes (`voipdesk send`, the app, a
# scheduled message added meanwhile): its own loop only wakes for what it knows of.
POLL_S = 2.0
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
        location: Path | str = database or data_dir
        refused = refusal(database)
        if refused:
            print(refused, file=err, flush=True)
            return EXIT_NO_STORE
        try:
            store = open_store(location)
        except StoreError as exc:  # damaged, unwritable, too new, or not supported yet
            print(str(exc), file=err, flush=True)  # a sentence that names voipdesk
            return EXIT_NO_STORE
        sender = Sender(store, location)
        try:
            return asyncio.run(_listen(data_dir, port, tunnel, out, err, companion=sender))
        finally:
            store.close()


def refusal(database: str | None) -> str | None:
    """Why serve does not use the database URL it was given (None: it may try it)."""
    if not database or database.split("://", 1)[0].lower() not in SCHEMES:
        return None
    return (
        f"voipdesk serve cannot keep messages in a PostgreSQL database yet "
        f"({redacted(database)}): it keeps them in the file in its data folder. Leave out "
        "--database (and VOIPDESK_DATABASE_URL) to use the data folder."
    )


def heartbeat_seconds() -> float:
    with contextlib.suppress(ValueError):
        return max(0.1, float(os.environ.get("VOIPDESK_HEARTBEAT_SECONDS", HEARTBEAT_S)))
    return HEARTBEAT_S


class Sender:
    """The outbox's run loop, a poll that wakes it, and the heartbeat, on serve's loop."""

    def __init__(self, store: Store, location: Path | str) -> None:
        self.store = store
        self.location = location
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
        every = heartbeat_seconds()
        while True:
            try:
                await asyncio.to_thread(self.store.beat, self.started_at)
            except StoreDamaged:
                return  # the damage watch says it and stops the sender
            except StoreError as exc:
                if self.down is None and self._relay is not None:
                    self._relay.say(
                        f"voipdesk: {exc} Until it can, webhooks are answered 503 (never 200 "
                        "before a message is stored) and nothing is sent; serve keeps trying."
                    )
                self.down = exc
                await asyncio.sleep(min(every, RETRY_STORE_S))
                continue
            if self.down is not None:
                self.down = None
                if self._relay is not None:
                    self._relay.say("voipdesk: the message database works again: receiving "
                                    "and sending go on.")  # fmt: skip
                if self.outbox is not None:
                    self.outbox.wake()
            await asyncio.sleep(every)

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
