"""The one source of "now", always timezone-aware UTC; tests may freeze it. And the one rule turning a
local wall-clock time into an instant (opening hours, advisors' hours)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); ``None`` restores the system clock."""
    global _now
    _now = fn if fn is not None else (lambda: datetime.now(UTC))


def wall_to_utc(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The instant a local wall clock shows ``day`` + ``minutes`` (``24:00`` is the next day's midnight).

    Ambiguous times (autumn) take the first occurrence. Times that do not exist (the spring gap) take the
    moment the clock jumps: a range from 02:30 on the last Sunday of March starts at 03:00.
    """
    if minutes >= 24 * 60:
        day, minutes = day + timedelta(days=1), minutes - 24 * 60
    wall = datetime.combine(day, time(minutes // 60, minutes % 60))
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In the gap: bisect (to the minute) for the first instant whose wall time is past ``wall``.
    low = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    high = first
    while high - low > timedelta(minutes=1):
        mid = (low + (high - low) / 2).replace(second=0, microsecond=0)
        if mid.astimezone(tz).replace(tzinfo=None) >= wall:
            high = mid
        else:
            low = mid
    return high
