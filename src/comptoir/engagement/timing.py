"""engagement: when a step's message is due — pure rules, no I/O.

A step's time is read from an instant of the journey (the event's own time, or an appointment's start or
end), then moved by whole days on the customer's local calendar to a fixed local time if the step names
one (J-1 at 10:00 in the customer's time zone), then by minutes. Local times follow the kernel's one rule
(:func:`comptoir.core.clock.wall_to_utc`: a time the spring change skips is the jump, an autumn time its
first occurrence).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from comptoir.core import clock
from comptoir.engagement.schemas import Timing


def anchor_of(timing: Timing, facts: Mapping[str, Any], event_at: datetime) -> datetime | None:
    """The instant the step counts from: the event's time, or the fact named (``None`` when the journey's
    facts hold no such instant)."""
    if timing.anchor == "event":
        return event_at
    raw = facts.get(timing.anchor)
    if not isinstance(raw, str):
        return None
    try:
        found = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return found if found.tzinfo is not None else found.replace(tzinfo=UTC)


def planned(timing: Timing, anchor: datetime, tz: ZoneInfo) -> datetime:
    """When the message is meant to go (UTC)."""
    at = anchor.astimezone(UTC)
    if timing.days or timing.at is not None:
        local = anchor.astimezone(tz)
        day = local.date() + timedelta(days=timing.days)
        if timing.at is not None:
            hours, minutes = timing.at.split(":")
            wall = int(hours) * 60 + int(minutes)
        else:
            wall = local.hour * 60 + local.minute
        at = clock.wall_to_utc(day, wall, tz) + timedelta(seconds=local.second if timing.at is None else 0)
    return at + timedelta(minutes=timing.minutes)


def too_late(planned_at: datetime, event_at: datetime) -> bool:
    """A step meant for before the event that made it due (a J-1 reminder of an appointment booked for
    the next morning) is not sent late: it is skipped."""
    return planned_at < event_at - timedelta(minutes=1)
