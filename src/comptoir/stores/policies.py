"""Pure rules for places: opening hours (time zones, DST, exceptional dates, reserved hours), distances,
postcodes, and who may change which place. No I/O: everything here is tested without a database.

Hours are written in the place's local wall time and turned into UTC intervals day by day with
``zoneinfo``, so a 09:00 opening is 08:00 UTC in winter and 07:00 UTC in summer, and a night range
that spans the spring-forward gap is one hour shorter.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

# The kernel's great-circle distance, re-exported under the name this domain's callers know.
from comptoir.core import clock
from comptoir.core.geo import distance_km as distance_km

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SHORT_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
SERVICES = (
    "click_and_collect",
    "reserve_and_collect",
    "ship_from_store",
    "returns",
    "appointments",
    "drive",
    "live_video_studio",
)
ATTRIBUTES = ("wheelchair_accessible", "accessible_toilets", "parking", "ev_charging", "special_measures")
KINDS = ("store", "warehouse", "pickup_point")
STATUSES = ("open", "temporarily_closed", "permanently_closed")
AUDIENCES = ("seniors", "at_risk", "health_workers", "professionals")
DAY_END = 24 * 60

_HHMM = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


# -- time of day ---------------------------------------------------------------------------------


def parse_hhmm(value: str) -> int:
    """``"09:30"`` → 570 minutes after midnight; ``"24:00"`` is the end of the day."""
    match = _HHMM.match(value.strip())
    if match is None:
        raise ValueError(f"{value!r} is not a time of day HH:MM")
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    if minutes > DAY_END:
        raise ValueError(f"{value!r} is after 24:00")
    return minutes


def format_hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


@dataclass(frozen=True, order=True)
class Range:
    """A span of one local day, in minutes after midnight; ``end`` may be 1440 (24:00)."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not (0 <= self.start < self.end <= DAY_END):
            raise ValueError(
                f"{format_hhmm(self.start)}–{format_hhmm(self.end)} is not a range within one day"
            )

    @classmethod
    def parse(cls, opens: str, closes: str) -> Range:
        return _parse_range(opens, closes)

    @property
    def text(self) -> str:
        return f"{format_hhmm(self.start)}-{format_hhmm(self.end)}"


@lru_cache(maxsize=4096)
def _parse_range(opens: str, closes: str) -> Range:
    # Hours are read on every opening-status question; the few distinct ranges a retailer uses are cached.
    return Range(parse_hhmm(opens), parse_hhmm(closes))


def check_no_overlap(ranges: Sequence[Range]) -> None:
    ordered = sorted(ranges)
    for before, after in itertools.pairwise(ordered):
        if after.start < before.end:
            raise ValueError(f"ranges {before.text} and {after.text} overlap")


def merge(ranges: Iterable[Range]) -> list[Range]:
    out: list[Range] = []
    for r in sorted(ranges):
        if out and r.start <= out[-1].end:
            out[-1] = Range(out[-1].start, max(out[-1].end, r.end))
        else:
            out.append(r)
    return out


def subtract(ranges: Sequence[Range], holes: Sequence[Range]) -> list[Range]:
    out = list(merge(ranges))
    for hole in merge(holes):
        kept: list[Range] = []
        for r in out:
            if hole.end <= r.start or hole.start >= r.end:
                kept.append(r)
                continue
            if r.start < hole.start:
                kept.append(Range(r.start, hole.start))
            if hole.end < r.end:
                kept.append(Range(hole.end, r.end))
        out = kept
    return out


# -- a place's hours -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reserved:
    """Hours kept for one public (seniors, people at risk…): only that public may come then."""

    range: Range
    audience: str


@dataclass(frozen=True)
class SpecialDay:
    """A date that replaces the weekly hours: closed (holiday, strike, lockdown) or other ranges."""

    day: date
    closed: bool
    ranges: tuple[Range, ...] = ()
    reserved: tuple[Reserved, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class Hours:
    timezone: str
    weekly: Mapping[int, tuple[Range, ...]] = field(default_factory=dict)  # 0 = Monday
    reserved: Mapping[int, tuple[Reserved, ...]] = field(default_factory=dict)
    special: Mapping[date, SpecialDay] = field(default_factory=dict)
    status: str = "open"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DaySchedule:
    """What a local date looks like for one public: general ranges, reserved ranges, and why."""

    day: date
    ranges: tuple[Range, ...]
    reserved: tuple[Reserved, ...]
    special: bool
    closed: bool
    reason: str


def day_schedule(hours: Hours, day: date) -> DaySchedule:
    if hours.status != "open":
        return DaySchedule(day, (), (), False, True, hours.status)
    special = hours.special.get(day)
    if special is not None:
        if special.closed:
            return DaySchedule(day, (), (), True, True, special.reason)
        return DaySchedule(day, special.ranges, special.reserved, True, False, special.reason)
    ranges = hours.weekly.get(day.weekday(), ())
    reserved = hours.reserved.get(day.weekday(), ())
    return DaySchedule(day, ranges, reserved, False, not ranges and not reserved, "")


def open_ranges(schedule: DaySchedule, audience: str | None = None) -> list[Range]:
    """(general − every reserved range) ∪ the ranges reserved for ``audience``."""
    general = subtract(schedule.ranges, [r.range for r in schedule.reserved])
    own = [r.range for r in schedule.reserved if audience is not None and r.audience == audience]
    return merge([*general, *own])


def local_to_utc(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    """The instant a local wall clock shows ``day`` + ``minutes``: the kernel's one rule
    (:func:`comptoir.core.clock.wall_to_utc` — the first occurrence of an autumn time, the jump for a
    spring-gap one), shared with the appointments' advisors' hours."""
    return clock.wall_to_utc(day, minutes, tz)


def utc_intervals(hours: Hours, day: date, audience: str | None = None) -> list[tuple[datetime, datetime]]:
    tz = hours.tz
    out: list[tuple[datetime, datetime]] = []
    for r in open_ranges(day_schedule(hours, day), audience):
        start, end = local_to_utc(day, r.start, tz), local_to_utc(day, r.end, tz)
        if end > start:
            out.append((start, end))
    return out


def is_open_at(hours: Hours, at: datetime, audience: str | None = None) -> bool:
    if at.tzinfo is None:
        raise ValueError("is_open_at needs an aware datetime")
    local_day = at.astimezone(hours.tz).date()
    # The previous local day too: its 24:00 closing may be stated against it.
    for day in (local_day - timedelta(days=1), local_day):
        if any(start <= at < end for start, end in utc_intervals(hours, day, audience)):
            return True
    return False


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime | None  # None: open around the clock for longer than JOIN_HORIZON


JOIN_HORIZON = timedelta(days=8)


def next_opening(
    hours: Hours, at: datetime, audience: str | None = None, *, horizon_days: int = 400
) -> Window | None:
    """The opening window that contains ``at``, else the next one; None if closed for the horizon.

    Adjacent windows (e.g. a 24-hour place, Monday 24:00 then Tuesday 00:00) are joined; a window still
    open ``JOIN_HORIZON`` after ``at`` has no closing time.
    """
    if hours.status != "open":
        return None
    local_day = at.astimezone(hours.tz).date()
    found: Window | None = None
    for offset in range(-1, horizon_days + 1):
        for start, end in utc_intervals(hours, local_day + timedelta(days=offset), audience):
            if found is not None:
                assert found.closes_at is not None
                if start <= found.closes_at:
                    if end - at > JOIN_HORIZON:
                        return Window(found.opens_at, None)
                    found = Window(found.opens_at, max(found.closes_at, end))
                    continue
                return found
            if end > at:
                found = Window(start, end)
    return found


def week_days(hours: Hours, any_day: date) -> list[DaySchedule]:
    monday = any_day - timedelta(days=any_day.weekday())
    return [day_schedule(hours, monday + timedelta(days=i)) for i in range(7)]


# -- compact text form of hours (events, CSV import and the CSV channel) ---------------------------
#
# weekly:   "Mo-Fr 09:00-12:00,14:00-19:00; Sa 09:00-19:00"      (days not named are closed)
# reserved: "Mo-Fr 08:00-09:00 seniors; Sa 08:00-09:00 at_risk"
# special:  "2026-12-24 09:00-17:00; 2026-12-25 closed; 2020-03-17 08:00-19:00 seniors 08:00-09:00"

_DAY_TEXT = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$")


def _ranges_text(ranges: Iterable[Range]) -> str:
    return ",".join(r.text for r in sorted(ranges))


def _day_runs(by_day: Mapping[int, str]) -> list[tuple[int, int, str]]:
    """Group consecutive days with the same text: ``{0: "a", 1: "a", 2: "b"}`` → ``[(0, 1, "a"), (2, 2, "b")]``."""
    runs: list[tuple[int, int, str]] = []
    for day in range(7):
        text = by_day.get(day)
        if text is None:
            continue
        if runs and runs[-1][1] == day - 1 and runs[-1][2] == text:
            runs[-1] = (runs[-1][0], day, text)
        else:
            runs.append((day, day, text))
    return runs


def _days_label(first: int, last: int) -> str:
    return SHORT_DAYS[first] if first == last else f"{SHORT_DAYS[first]}-{SHORT_DAYS[last]}"


def format_weekly(weekly: Mapping[int, Sequence[Range]]) -> str:
    """``{0: [09:00-19:00], 1: [09:00-19:00]}`` → ``"Mo-Tu 09:00-19:00"``; days without hours are left out."""
    texts = {day: _ranges_text(ranges) for day, ranges in weekly.items() if ranges}
    return "; ".join(f"{_days_label(a, b)} {text}" for a, b, text in _day_runs(texts))


def format_reserved(reserved: Mapping[int, Sequence[Reserved]]) -> str:
    by_audience: dict[str, dict[int, list[Range]]] = {}
    for day, items in reserved.items():
        for item in items:
            by_audience.setdefault(item.audience, {}).setdefault(day, []).append(item.range)
    parts: list[str] = []
    for audience in sorted(by_audience):
        texts = {day: _ranges_text(ranges) for day, ranges in by_audience[audience].items()}
        parts.extend(f"{_days_label(a, b)} {text} {audience}" for a, b, text in _day_runs(texts))
    return "; ".join(parts)


def _parse_days(days_text: str) -> range:
    match = _DAY_TEXT.match(days_text)
    if match is None:
        raise ValueError(f"{days_text!r} is not a day or day range like Mo or Mo-Fr")
    first = SHORT_DAYS.index(match.group(1))
    last = SHORT_DAYS.index(match.group(2)) if match.group(2) else first
    if last < first:
        raise ValueError(f"{days_text!r}: the day range goes backwards")
    return range(first, last + 1)


def _parse_ranges(text: str) -> tuple[Range, ...]:
    ranges = tuple(sorted(Range.parse(*_split_range(r)) for r in text.split(",") if r.strip()))
    check_no_overlap(ranges)
    return ranges


def parse_weekly(text: str) -> dict[int, tuple[Range, ...]]:
    """Parse ``"Mo-Fr 09:00-12:00,14:00-19:00; Sa 09:00-19:00"`` (days not named are closed)."""
    weekly: dict[int, tuple[Range, ...]] = {}
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        days_text, _, ranges_text = chunk.partition(" ")
        ranges_text = ranges_text.strip()
        ranges = () if ranges_text.lower() in ("", "off", "closed") else _parse_ranges(ranges_text)
        for day in _parse_days(days_text):
            if day in weekly:
                raise ValueError(f"{SHORT_DAYS[day]} is given twice")
            weekly[day] = ranges
    return {d: r for d, r in weekly.items() if r}


def parse_reserved(text: str) -> dict[int, tuple[Reserved, ...]]:
    """Parse ``"Mo-Fr 08:00-09:00 seniors; Sa 08:00-09:00 at_risk"``."""
    out: dict[int, list[Reserved]] = {}
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        parts = chunk.split()
        if len(parts) != 3 or parts[2] not in AUDIENCES:
            raise ValueError(f"{chunk!r} is not like 'Mo-Fr 08:00-09:00 seniors'")
        for day in _parse_days(parts[0]):
            out.setdefault(day, []).extend(Reserved(r, parts[2]) for r in _parse_ranges(parts[1]))
    return {day: tuple(sorted(items, key=lambda r: r.range)) for day, items in out.items()}


def _split_range(text: str) -> tuple[str, str]:
    opens, sep, closes = text.strip().partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a range like 09:00-19:00")
    return opens, closes


def format_special(days: Iterable[SpecialDay]) -> str:
    """``"2026-12-24 09:00-17:00; 2026-12-25 closed; 2020-03-17 08:00-19:00 seniors 08:00-09:00"``."""
    parts: list[str] = []
    for s in sorted(days, key=lambda s: s.day):
        tokens = [s.day.isoformat()]
        if s.closed:
            tokens.append("closed")
        elif s.ranges:
            tokens.append(_ranges_text(s.ranges))
        by_audience: dict[str, list[Range]] = {}
        for item in s.reserved:
            by_audience.setdefault(item.audience, []).append(item.range)
        for audience in sorted(by_audience):
            tokens += [audience, _ranges_text(by_audience[audience])]
        parts.append(" ".join(tokens))
    return "; ".join(parts)


def parse_special(text: str) -> list[SpecialDay]:
    out: list[SpecialDay] = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        tokens = chunk.split()
        day = date.fromisoformat(tokens[0])
        rest = tokens[1:]
        if rest and rest[0].lower() == "closed":
            if len(rest) > 1:
                raise ValueError(f"{chunk!r}: a closed day has no hours")
            out.append(SpecialDay(day, True))
            continue
        ranges: tuple[Range, ...] = ()
        if rest and rest[0] not in AUDIENCES:
            ranges, rest = _parse_ranges(rest[0]), rest[1:]
        reserved: list[Reserved] = []
        while rest:
            if len(rest) < 2 or rest[0] not in AUDIENCES:
                raise ValueError(f"{chunk!r} is not like '2026-12-24 09:00-17:00 seniors 09:00-10:00'")
            reserved.extend(Reserved(r, rest[0]) for r in _parse_ranges(rest[1]))
            rest = rest[2:]
        if not ranges and not reserved:
            raise ValueError(f"{chunk!r}: give hours or 'closed'")
        out.append(SpecialDay(day, False, ranges, tuple(reserved)))
    return out


# -- geography ----------------------------------------------------------------------------------------

_POSTCODE = re.compile(r"^\d{5}$")


def department_of(postcode: str) -> str:
    """French department code of a postcode: ``"69003"`` → ``"69"``, Corsica ``2A``/``2B``, overseas 97x/98x."""
    if not _POSTCODE.match(postcode):
        raise ValueError(f"{postcode!r} is not a French postcode (five digits)")
    if postcode.startswith(("97", "98")):
        return postcode[:3]
    if postcode.startswith("20"):
        return "2A" if postcode[2] in "01" else "2B"
    return postcode[:2]


# -- time zones ---------------------------------------------------------------------------------------

OVERSEAS_TIMEZONES = {
    "971": "America/Guadeloupe",
    "972": "America/Martinique",
    "973": "America/Cayenne",
    "974": "Indian/Reunion",
    "975": "America/Miquelon",
    "976": "Indian/Mayotte",
    "977": "America/St_Barthelemy",
    "978": "America/Marigot",
    "986": "Pacific/Wallis",
    "987": "Pacific/Tahiti",
    "988": "Pacific/Noumea",
}


def overseas_timezone(postcode: str) -> str | None:
    """The IANA zone of an overseas French postcode (``974…`` → ``Indian/Reunion``), else ``None``."""
    return OVERSEAS_TIMEZONES.get(postcode[:3])


def default_timezone(country_code: str, postcode: str, fallback: str) -> str:
    """The IANA zone of a French address from its postcode (overseas departments have their own)."""
    if country_code == "FR" and len(postcode) == 5 and postcode.isdigit():
        return overseas_timezone(postcode) or "Europe/Paris"
    return fallback


# -- who may change what -------------------------------------------------------------------------------


def may_change_place(actor_store_id: str | None, place_id: str) -> bool:
    """A key bound to a store (channel ``store:<id>``) changes that store only; others change any."""
    return actor_store_id is None or actor_store_id == place_id


def may_run_bulk(actor_store_id: str | None) -> bool:
    return actor_store_id is None
