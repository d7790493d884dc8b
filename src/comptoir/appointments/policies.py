"""appointments: the pure rules — time arithmetic, the slot engine, fair assignment, the status machine
and the cancellation cut-off. No I/O: the service reads the rows and calls these.

Times are whole minutes since the Unix epoch (UTC) inside the engine: spans are ``(start, end)`` pairs,
half-open, sorted and disjoint once merged. Local wall-clock hours (an advisor's week) become UTC spans
per local day, so a day that changes clock (DST) is as long as it really is.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from comptoir.core import clock

Span = tuple[int, int]

BUCKET_MIN = 5  # the claims' grain: every duration and buffer is a multiple of it
SLOT_STEP_MIN = 15  # slots start on the quarter hour (or every 5 minutes for services shorter than 15)
HOLD_MINUTES = 10
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
ACTIVE = ("held", "booked", "checked_in")  # statuses that hold an advisor's time
BOOKED = ("booked", "checked_in", "completed", "no_show")  # counted for fair assignment
CHANNEL_KINDS = ("web", "app", "store", "call-centre", "live")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- time -------------------------------------------------------------------------------------------------


def minutes(at: datetime) -> int:
    """An aware instant as whole minutes since the epoch (seconds dropped)."""
    return int((at - _EPOCH).total_seconds()) // 60


def instant(value: int) -> datetime:
    return _EPOCH + timedelta(minutes=value)


def parse_hhmm(text: str) -> int:
    """``"09:30"`` → 570; ``"24:00"`` is the end of the day. ValueError on anything else."""
    hours, sep, mins = text.partition(":")
    if not sep or len(mins) != 2 or not hours.isdigit() or not mins.isdigit():
        raise ValueError(f"{text!r} is not a time HH:MM")
    value = int(hours) * 60 + int(mins)
    if int(mins) >= 60 or value > 24 * 60:
        raise ValueError(f"{text!r} is not a time HH:MM")
    return value


@lru_cache(maxsize=1 << 14)
def local_minutes(day: date, wall: int, tz: ZoneInfo) -> int:
    """The UTC minute at which a local clock shows ``day`` + ``wall`` minutes, by the kernel's one rule
    (:func:`comptoir.core.clock.wall_to_utc`, as the stores' opening hours): a wall time in the spring gap
    is the jump, an ambiguous autumn time its first occurrence."""
    return minutes(clock.wall_to_utc(day, wall, tz))


def local_day(at_min: int, tz: ZoneInfo) -> date:
    return instant(at_min).astimezone(tz).date()


class LocalClock(dict[int, tuple[date, str]]):
    """UTC minute → its local day and wall-clock time (``"HH:MM"``) in one time zone, each computed the
    first time it is asked (a pure function of the minute: the same slot times come back in every
    search). Read it with ``clock[at]`` — or ``map(clock.__getitem__, ats)``, at C speed once known."""

    def __init__(self, tz: ZoneInfo) -> None:
        super().__init__()
        self.tz = tz

    def __missing__(self, at_min: int) -> tuple[date, str]:
        if len(self) >= 1 << 15:
            self.clear()
        local = instant(at_min).astimezone(self.tz)
        found = self[at_min] = (local.date(), local.strftime("%H:%M"))
        return found


_CLOCKS: dict[ZoneInfo, LocalClock] = {}


def local_clock(tz: ZoneInfo) -> LocalClock:
    """The :class:`LocalClock` of ``tz`` (one per time zone and process)."""
    found = _CLOCKS.get(tz)
    if found is None:
        found = _CLOCKS.setdefault(tz, LocalClock(tz))
    return found


# -- spans ------------------------------------------------------------------------------------------------


def merge(spans: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[1] > s[0]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def subtract(spans: Sequence[Span], holes: Sequence[Span]) -> list[Span]:
    """``spans`` less every hole (both merged first)."""
    out: list[Span] = []
    holes = merge(holes)
    for start, end in merge(spans):
        cursor = start
        for h_start, h_end in holes:
            if h_end <= cursor or h_start >= end:
                continue
            if h_start > cursor:
                out.append((cursor, h_start))
            cursor = max(cursor, h_end)
            if cursor >= end:
                break
        if cursor < end:
            out.append((cursor, end))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    a, b = merge(a), merge(b)
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def covers(spans: Sequence[Span], start: int, end: int) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def full_spans(spans: Sequence[Span], capacity: int) -> list[Span]:
    """Where ``capacity`` or more of the (possibly overlapping) busy ``spans`` overlap: a room of that
    capacity is full there."""
    points: list[tuple[int, int]] = [(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans]
    points.sort()
    full: list[Span] = []
    count, opened = 0, None
    for at, delta in points:
        count += delta
        if count >= capacity and opened is None:
            opened = at
        elif count < capacity and opened is not None:
            full.append((opened, at))
            opened = None
    return merge(full)


# -- the advisor's week ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkRange:
    start: int  # local minutes of the day
    end: int
    place_id: str


def work_ranges(weekly: Sequence[Mapping[str, str]]) -> dict[int, list[WorkRange]]:
    out: dict[int, list[WorkRange]] = {}
    for row in weekly:
        day = WEEKDAYS.index(row["day"])
        out.setdefault(day, []).append(
            WorkRange(parse_hhmm(row["start"]), parse_hhmm(row["end"]), row["place_id"])
        )
    return out


def exception_ranges(exceptions: Sequence[Mapping[str, Any]]) -> dict[date, list[WorkRange]]:
    out: dict[date, list[WorkRange]] = {}
    for row in exceptions:
        day = date.fromisoformat(str(row["date"]))
        ranges: Sequence[Mapping[str, str]] = row.get("ranges") or []
        out[day] = [WorkRange(parse_hhmm(r["start"]), parse_hhmm(r["end"]), r["place_id"]) for r in ranges]
    return out


def working_spans(
    weekly: Mapping[int, Sequence[WorkRange]],
    exceptions: Mapping[date, Sequence[WorkRange]],
    place_id: str,
    tz: ZoneInfo,
    days: Iterable[date],
) -> list[Span]:
    """When the advisor works at ``place_id`` over local ``days`` (an exception replaces its day)."""
    spans: list[Span] = []
    for day in days:
        ranges = exceptions[day] if day in exceptions else weekly.get(day.weekday(), ())
        for r in ranges:
            if r.place_id == place_id:
                spans.append((local_minutes(day, r.start, tz), local_minutes(day, r.end, tz)))
    return merge(spans)


# -- the slot engine ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    """What a service needs of time: its length, the buffers around it, and how far ahead it is offered."""

    duration: int
    before: int = 0
    after: int = 0

    @property
    def step(self) -> int:
        return SLOT_STEP_MIN if self.duration >= SLOT_STEP_MIN else BUCKET_MIN

    def block(self, start: int) -> Span:
        return start - self.before, start + self.duration + self.after


def start_ranges(shape: Shape, opening: Sequence[Span], free: Sequence[Span]) -> list[Span]:
    """Closed ranges ``[first, last]`` of starts whose service time is inside ``opening`` and whose block
    (with buffers) is inside ``free``: one per (free span, opening span) pair that has any, in that
    order."""
    starts = [o_start for o_start, _ in opening]
    lasts = [o_end - shape.duration for _, o_end in opening]  # the last start each opening span allows
    # Openings in order (as a place's are): those a free span meets are one run of them, found by
    # bisection instead of trying every pair.
    ordered = all(a <= b for a, b in pairwise(starts)) and all(a <= b for a, b in pairwise(lasts))
    out: list[Span] = []
    for f_start, f_end in free:
        low_f, high_f = f_start + shape.before, f_end - shape.duration - shape.after
        if high_f < low_f:
            continue
        first, stop = (
            (bisect_left(lasts, low_f), bisect_right(starts, high_f)) if ordered else (0, len(opening))
        )
        for n in range(first, stop):
            low, high = max(low_f, starts[n]), min(high_f, lasts[n])
            if low <= high:
                out.append((low, high))
    return out


def aligned_starts(ranges: Iterable[Span], step: int, earliest: int, latest: int) -> list[int]:
    """Every multiple of ``step`` inside one of the closed ``ranges``, within ``[earliest, latest)``,
    in order."""
    clipped: list[Span] = []
    for low, high in ranges:
        first = -(-max(low, earliest) // step) * step
        end = min(high, latest - 1) + 1
        if first < end:
            clipped.append((first, end))
    # Merged (half-open, from a multiple of step), the ranges' multiples come out once each, in order.
    found: list[int] = []
    for start, end in merge(clipped):
        found.extend(range(start, end, step))
    return found


def advisor_starts(
    shape: Shape, opening: Sequence[Span], working: Sequence[Span], busy: Sequence[Span]
) -> list[Span]:
    """One advisor's start ranges at one place: working time less what is taken (bookings with their
    buffers, holds, leaves), and the place open for the service time."""
    return start_ranges(shape, opening, subtract(working, busy))


STAFF_CHANNELS = ("back-office", "system", "store", "call-centre")


def notice_for(min_notice_min: int, channel_kind: str) -> int:
    """The notice a booking needs: the service's online; none at the shop or on the phone (a walk-in)."""
    return 0 if channel_kind in STAFF_CHANNELS else min_notice_min


def bounds(now: datetime, min_notice_min: int, horizon_days: int) -> tuple[int, int]:
    """The first and (excluded) last start a customer may book: notice from now, horizon days ahead.
    The first is a whole minute strictly after now (a start that has begun is not offered, even without
    notice) and at least ``min_notice_min`` after it (rounded up to the minute)."""
    begun = now.second or now.microsecond
    start = max(minutes(now) + min_notice_min + (1 if begun else 0), minutes(now) + 1)
    return start, minutes(now) + horizon_days * 24 * 60


# -- fair assignment ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    advisor_id: str
    name: str
    bookings: int


def pick_advisor(candidates: Sequence[Candidate], wanted: str | None = None) -> tuple[Candidate, str]:
    """The advisor to book (a named one, or the fewest bookings over the period — ties by name then id),
    and why, in a sentence staff and customers can read."""
    if not candidates:
        raise ValueError("no advisor is free")
    if wanted is not None:
        named = [c for c in candidates if c.advisor_id == wanted]
        if not named:
            raise ValueError(f"{wanted} is not free then")
        return named[0], f"{named[0].name}, as asked."
    ordered = sorted(candidates, key=lambda c: (c.bookings, c.name, c.advisor_id))
    chosen = ordered[0]
    others = ", ".join(f"{c.name} {c.bookings}" for c in ordered[1:])
    if not others:
        return chosen, f"{chosen.name}: the only qualified advisor free then."
    return chosen, (
        f"{chosen.name}: fewest bookings this week ({chosen.bookings}) among "
        f"{len(ordered)} qualified advisors free then ({others})."
    )


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=7)


# -- status and cut-off ------------------------------------------------------------------------------------

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "held": ("booked", "cancelled", "expired"),
    "booked": ("checked_in", "cancelled", "no_show", "completed", "booked"),
    "checked_in": ("completed",),
    "completed": (),
    "no_show": (),
    "cancelled": (),
    "expired": (),
}


def may_move(current: str, wanted: str) -> bool:
    return wanted in TRANSITIONS.get(current, ())


def within_cutoff(now: datetime, starts_at: datetime, cutoff_min: int) -> bool:
    """Is it too late for the customer to cancel or move it themselves (staff still may)?"""
    return now > starts_at - timedelta(minutes=cutoff_min)


def multiple_of_bucket(value: int) -> bool:
    return value % BUCKET_MIN == 0


def buckets(block: Span) -> list[int]:
    """The 5-minute buckets a block covers (it starts and ends on a bucket boundary)."""
    return list(range(block[0], block[1], BUCKET_MIN))


def channel_kind(channel: str | None) -> str:
    """An actor's channel as a service lists it: ``store:<id>`` is ``store``; no channel is staff's own."""
    if channel is None:
        return "back-office"
    return "store" if channel.startswith("store:") else channel


def bookable_on(channels: Sequence[str], kind: str) -> bool:
    """Staff and systems (back office) book any service; a customer-facing channel only those listing it."""
    return kind in ("back-office", "system") or kind in channels
