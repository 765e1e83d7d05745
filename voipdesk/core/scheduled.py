"""Send later: a message waiting for its time, when a typed time means, and what the thread says
about a scheduled message once it was sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# A scheduled message sent more than this after its time was sent late (voipdesk was not
# running, the computer slept, sending was paused): its bubble says so.
LATE_AFTER_S = 90.0


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A message the person asked to send later; it is not in the outbox until its time."""

    id: int
    conversation_id: int
    own_number: str
    peer_number: str
    body: str
    send_at: float  # unix seconds
    created_at: float


class BadTime(ValueError):
    """A time that cannot be a send time; str() is the sentence to show."""


def local_zone_name(when: dt.datetime | None = None) -> str:
    """The computer's time zone as people read it: "CET (UTC+01:00)"."""
    moment = (when or dt.datetime.now()).astimezone()
    offset = moment.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    name = moment.tzname() or ""
    if name in ("UTC", "GMT") and offset == "UTC+00:00":
        return name
    return f"{name} ({offset})" if name and not name.startswith(("+", "-")) else offset


def when_text(at: float, now: float | None = None) -> str:
    """A send time in the computer's local time with its zone: "Today 18:00 CET",
    "Tomorrow 09:00 CET", "Mon 8 Dec 09:00 CET", with the year when it is not this one."""
    moment = dt.datetime.fromtimestamp(at).astimezone()
    today = dt.datetime.fromtimestamp(now).date() if now is not None else dt.date.today()
    days = (moment.date() - today).days
    if days == 0:
        day = "Today"
    elif days == 1:
        day = "Tomorrow"
    elif moment.year == today.year:
        day = f"{moment:%a} {moment.day} {moment:%b}"
    else:
        day = f"{moment:%a} {moment.day} {moment:%b} {moment.year}"
    zone = moment.tzname() or ""
    if not zone or zone.startswith(("+", "-")):
        zone = local_zone_name(moment).split(" ")[0]
    return f"{day} {moment:%H:%M} {zone}"


def parse_when(text: str, now: float) -> float:
    """An ISO 8601 date and time (`2026-12-05T09:00`, `2026-12-05 09:00:00+01:00`, `...Z`) as
    unix seconds; without an offset it is the computer's local time. BadTime when it cannot be
    read or is not in the future."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadTime(
            f"{text!r} is not a date and time voipdesk can read. Write it as ISO 8601, "
            "e.g. 2026-12-05T09:00 (your computer's local time) or 2026-12-05T09:00+01:00."
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the computer's local time
    at = moment.timestamp()
    if at <= now:
        raise BadTime(
            f"{when_text(at, now)} is in the past (it is now "
            f"{when_text(now, now).removeprefix('Today ')}). "
            "Pick a time in the future."
        )
    return at


def late_note(scheduled_for: float | None, sent_at: float) -> str:
    """What the bubble of a message sent later says about it ("" for one sent at once):
    "Scheduled for 09:00 CET", or, sent late, that it went when voipdesk ran again."""
    if scheduled_for is None:
        return ""
    moment = dt.datetime.fromtimestamp(scheduled_for).astimezone()
    zone = moment.tzname() or ""
    if not zone or zone.startswith(("+", "-")):
        zone = local_zone_name(moment).split(" ")[0]
    same_day = moment.date() == dt.datetime.fromtimestamp(sent_at).date()
    day = "" if same_day else f"{moment:%a} {moment.day} {moment:%b} "
    when = f"{day}{moment:%H:%M} {zone}"
    if sent_at - scheduled_for <= LATE_AFTER_S:
        return f"Scheduled for {when}"
    return f"Scheduled for {when}, sent late: voipdesk was not running then"
