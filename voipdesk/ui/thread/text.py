"""Links and status lines: what is clickable in a message, what the line under it says."""

from __future__ import annotations

import datetime as dt
import re

from PySide6.QtCore import QUrl

from voipdesk.core.models import Direction, Message, Status
from voipdesk.core.scheduled import late_note
from voipdesk.ui.thread.attempts import tried_text
from voipdesk.ui.thread.own_number import cannot_send, sender_advice

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# linkify-it (markdown-it's link finder) knows real top-level domains, e-mail addresses and where
# a link ends before punctuation; tel: is added for the numbers people text each other.
# (made on first use: a first screen without a link sign needs no link finder)
_LINKIFY = None
# Every link linkify-it finds has a scheme's ':' or '//', a '.' before a domain's end, an e-mail
# address's '@', or is localhost: a text with none of them is not handed to it. Most texts have
# none, and linkify-it compiles its patterns when first asked (~30 ms, in the first paint).
_MAY_HAVE_LINK = re.compile(r"[.:/@]|localhost", re.IGNORECASE)
ACTIONS = {Status.FAILED: "Retry", Status.PENDING: "Retry now", Status.UNKNOWN: "Send again"}
NEW_LINE = "\u2028"  # QTextLayout's line break (a plain newline is not one)


# -- text helpers ------------------------------------------------------------------------------
def safe_url(text: str) -> QUrl | None:
    """The URL to open for text found in a message, or None unless it is http(s)/mailto/tel."""
    candidate = text.strip()
    if candidate.lower().startswith("www."):
        candidate = "http://" + candidate
    url = QUrl(candidate)
    scheme = url.scheme().lower()
    if not url.isValid() or scheme not in SAFE_SCHEMES:
        return None
    if scheme in ("http", "https") and not url.host():
        return None
    return url


def find_links(text: str) -> list[tuple[int, int, QUrl]]:
    """(start, length, url) of each safe link in a message body, in Python's indices."""
    links = []
    if _MAY_HAVE_LINK.search(text) is None:
        return links
    for match in _link_finder().match(text) or ():
        url = safe_url(match.url)
        if url is not None:
            links.append((match.index, match.last_index - match.index, url))
    return links


def _link_finder():
    global _LINKIFY
    if _LINKIFY is None:
        from linkify_it import LinkifyIt

        tel = re.compile(r"^\+?[0-9][0-9().\-]*[0-9]")
        _LINKIFY = LinkifyIt().add("tel:", {"validate": tel})
    return _LINKIFY


def warm_up() -> None:
    """Compile the patterns linkify-it compiles the first time it meets each kind of link (a web
    address, a bare // address, an e-mail address: 50-80 ms each here), so that the first bubble
    with a link does not pay for them in the frame that shows it. Run on a worker."""
    kinds = "https://a.example/b www.c.example //d.example mailto:e@f.example g@h.example"
    _link_finder().match(kinds)


def status_text(message: Message) -> str:
    """What the user reads about an outgoing message's state (empty for incoming)."""
    if message.direction is Direction.IN:
        return ""
    status = message.status
    if status is Status.FAILED:
        reason = (message.error_text or "").strip()
        if cannot_send(message):  # its first sentence; the advice goes on the next line
            reason = reason.split(". ")[0].rstrip(".")
        head = "Not sent" + tried_text(message)
        return f"{head} — {reason}" if reason else head
    if status is Status.PENDING and (message.error_text or "").strip():
        # why: offline, a wait asked
        text = f"Waiting to send{tried_text(message)} — {message.error_text.strip()}"
        if message.next_attempt_at is not None:
            at = dt.datetime.fromtimestamp(message.next_attempt_at).strftime("%H:%M")
            text += f" Next try at {at}."
        return text
    if status is Status.QUEUED and (message.error_text or "").strip():
        return f"Sent — {message.error_text.strip()}"  # e.g. accepted, but no message id
    if status is Status.UNKNOWN:
        return "May not have been sent" + tried_text(message)
    return {
        Status.SENDING: "Sending…",
        Status.PENDING: "Waiting to send",
        Status.QUEUED: "Sent",
        Status.DELIVERED: "Delivered",
        Status.UNKNOWN: "May not have been sent",
    }.get(status, "")


def meta_text(message: Message) -> tuple[str, tuple[int, int] | None]:
    """The line under a bubble and the (start, length) of its action link, if any."""
    text = dt.datetime.fromtimestamp(message.timestamp).strftime("%H:%M")
    if message.sent_by and message.direction is Direction.OUT:  # the shared inbox: who sent it
        text = f"Sent by {message.sent_by} · {text}"
    status = status_text(message)
    if status:
        text += " · " + status
    if message.send_at is not None and message.direction is Direction.OUT:  # sent later
        text += " · " + late_note(message.send_at, message.created_at)
    action = ACTIONS.get(message.status) if message.direction is Direction.OUT else None
    if action is None:
        return text, None
    text += " · "
    advice = sender_advice(message) if message.status is Status.FAILED else ""
    return text + action + (NEW_LINE + advice if advice else ""), (len(text), len(action))
