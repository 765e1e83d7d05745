"""`voipdesk --demo`: an in-process sandbox, a demo account, seeded threads, a replying contact."""

from __future__ import annotations

import random
import time
from pathlib import Path

from voipdesk.core.models import InboundMessage, Status
from voipdesk.sandbox import DEMO_ACCOUNT, Sandbox, SandboxThread
from voipdesk.sandbox.picture import demo_png
from voipdesk.sandbox.server import MEDIA_PATH
from voipdesk.services.media import MediaCache
from voipdesk.settings import Settings
from voipdesk.store import open_store

OWN = "+447700900001"
SAM = "+447700900100"  # answers whatever you text
CONTACTS = {
    SAM: "Sam Demo",
    "+447700900123": "Alex Morgan",
    "+447700900456": "Dentist (Smile Clinic)",
    "+14155550123": "Jordan (SF office)",
}
_REPLIES = (
    "Got it 👍",
    "Sounds good — see you then!",
    "Ha, nice. Tell me more?",
    "On my way.",
    "Thanks! I'll call you later.",
)


def sam_reply(text: str) -> str:
    """Sam's answer: friendly, and it shows the text came through."""
    if "?" in text:
        return "Good question! Let me check and get back to you."
    return random.choice(_REPLIES)


def demo_settings(data_dir: Path) -> Settings:
    """Settings for the demo profile (its own folder, no tunnel, the sandbox as the API)."""
    settings = Settings.load(data_dir / "demo")
    settings.account_id = DEMO_ACCOUNT.account_id
    settings.numbers = [OWN, "+447700900002"]
    settings.tunnel_mode = "none"
    settings.demo = True
    settings.save()
    return settings


PICTURE = "sunset.png"  # the picture Jordan sent, served by the sandbox over HTTP


def start_sandbox() -> SandboxThread:
    sandbox = Sandbox([DEMO_ACCOUNT])
    sandbox.add_media(PICTURE, demo_png())
    sandbox.add_responder(SAM, sam_reply, delay=1.5)
    sandbox.delivery_reports = 2.0
    return SandboxThread(sandbox).start()


def seed(data_dir: Path, now: float | None = None, *, sandbox_url: str = "") -> None:
    """A few believable threads, only into an empty demo database. With the sandbox's URL,
    Jordan has sent a picture (an MMS whose link the sandbox serves), kept in the media folder
    with the seed: the next start's sandbox listens on another port, where the link is not."""
    now = now or time.time()
    clock = [now]
    store = open_store(data_dir, clock=lambda: clock[0])
    try:
        if store.message_count():
            return
        store.set_contacts(CONTACTS)
        script = [
            (SAM, "in", 26 * 3600, "Hi! This is Sam from the demo. Text me and I'll answer."),
            (
                "+447700900456",
                "in",
                50 * 3600,
                "Reminder: your appointment is on Friday at 10:30. Reply C to confirm.",
            ),
            ("+447700900456", "out", 49.5 * 3600, "C"),
            ("+447700900123", "in", 3 * 3600, "Are we still on for lunch tomorrow?"),
            ("+447700900123", "out", 2.9 * 3600, "Yes! 12:30 at the usual place?"),
            ("+447700900123", "in", 2.8 * 3600, "Perfect. See you there 🙂"),
            ("+14155550123", "out", 9 * 86400, "Landed safely, heading to the office now."),
            ("+14155550123", "in", 9 * 86400 - 600, "Great, see you soon. Desk 4B is yours."),
            ("+14155550123", "in", 9 * 86400 - 660, ""),  # a picture (without a sandbox: none)
        ]
        picture = (sandbox_url + MEDIA_PATH + PICTURE,) if sandbox_url else ()
        for i, (peer, direction, ago, body) in enumerate(sorted(script, key=lambda s: -s[2])):
            clock[0] = now - ago
            if direction == "in" and not body:
                if picture:
                    store.add_inbound(
                        InboundMessage(
                            peer, OWN, "", "mms", f"demo-seed-{i}", int(now - ago), "{}", picture
                        )
                    )
                    MediaCache(data_dir / "media").keep(picture[0], demo_png(), "image/png")
            elif direction == "in":
                store.add_inbound(
                    InboundMessage(peer, OWN, body, "sms", f"demo-seed-{i}", int(now - ago), "{}")
                )
            else:
                message = store.add_outgoing(OWN, peer, body)
                store.update_outgoing(
                    message.id,
                    status=Status.DELIVERED,
                    provider_id=f"demo-out-{i}",
                    provider_ts=int(now - ago),
                )
        for conversation in store.conversations():
            if conversation.peer_number != "+447700900123":
                store.mark_read(conversation.id)
    finally:
        store.close()
