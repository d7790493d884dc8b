"""appointments: an advisor's hours as text — the form ``comptoir import advisors`` reads and
``comptoir appointments advisors`` writes. Pure: no I/O; places stay as written (the importer resolves
them to place ids).

**Weekly hours** are entries separated by ``;``, each ``DAYS RANGES [@PLACE]``:

* ``DAYS``: ``Mo Tu We Th Fr Sa Su``, a run ``Mo-Fr``, or a list of both ``Mo,We,Fr-Sa``;
* ``RANGES``: ``HH:MM-HH:MM`` local to the place, several separated by commas
  (``10:00-13:00,14:00-19:00``); ``24:00`` ends the day;
* ``@PLACE``: a store code or a place id (``@PARIS-RIVOLI``, ``@st_paris_rivoli``), optional when the
  advisor works at one place only.

A day may come in several entries, one per place (``Sa 10:00-13:00 @PARIS-RIVOLI; Sa 14:30-19:00
@PARIS-RENNES``), but its hours may not overlap.

**Exceptions** replace the week's hours on some dates: entries ``DATE off`` (not working that day) or
``DATE RANGES [@PLACE]`` (those hours instead), where ``DATE`` is ``2026-12-24`` or a run of days
``2026-08-03..2026-08-09``, e.g. ``2026-12-24 10:00-16:00 @PARIS-RIVOLI; 2026-12-26..2026-12-31 off``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from comptoir.appointments.policies import parse_hhmm

SHORT_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
MAX_RUN_DAYS = 366
_DAYS = re.compile(r"^(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")


@dataclass(frozen=True, order=True)
class TextRange:
    """``start``-``end`` (local minutes of the day) at ``place`` as written (None: the only place)."""

    start: int
    end: int
    place: str | None


@dataclass(frozen=True)
class DayHours:
    """One exceptional date: its ranges, or none (not working)."""

    day: date
    ranges: tuple[TextRange, ...]


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_list(text: str) -> list[int]:
    days: list[int] = []
    for part in text.split(","):
        match = _DAYS.match(part.strip())
        if match is None:
            raise ValueError(f"{text!r} is not a day, a run or a list of days like Mo, Mo-Fr or Mo,We,Fr-Sa")
        first = SHORT_DAYS.index(match.group(1))
        last = SHORT_DAYS.index(match.group(2)) if match.group(2) else first
        if last < first:
            raise ValueError(f"{part.strip()!r}: the run of days goes backwards")
        days.extend(d for d in range(first, last + 1) if d not in days)
    return days


def _time(text: str) -> int:
    if not _TIME.match(text):
        raise ValueError(f"{text!r} is not a time HH:MM")
    return parse_hhmm(text)


def _ranges(text: str, place: str | None) -> list[TextRange]:
    out: list[TextRange] = []
    for part in (p.strip() for p in text.split(",")):
        start_text, sep, end_text = part.partition("-")
        if not sep:
            raise ValueError(f"{part!r} is not a range like 10:00-19:00")
        start, end = _time(start_text.strip()), _time(end_text.strip())
        if end <= start:
            raise ValueError(f"{part!r}: the end comes before the start")
        out.append(TextRange(start, end, place))
    return out


def _entry(chunk: str) -> tuple[str, str, str | None]:
    """``"Mo-Fr 10:00-19:00 @RIVOLI"`` → ``("Mo-Fr", "10:00-19:00", "RIVOLI")``."""
    head, _, rest = chunk.partition(" ")
    place: str | None = None
    if "@" in rest:
        rest, _, place = rest.partition("@")
        place = place.strip()
        if not place or " " in place:
            raise ValueError(f"{chunk!r}: name one place after @ (a store code or a place id)")
    return head.strip(), rest.replace(" ", ""), place


def _chunks(text: str) -> list[str]:
    return [c.strip() for c in text.replace("\n", ";").split(";") if c.strip()]


def check_no_overlap(label: str, ranges: Iterable[TextRange]) -> None:
    ordered = sorted(ranges)
    for before, after in pairwise(ordered):
        if after.start < before.end:
            raise ValueError(
                f"{label}: {hhmm(before.start)}-{hhmm(before.end)} and "
                f"{hhmm(after.start)}-{hhmm(after.end)} overlap"
            )


def parse_weekly(text: str) -> dict[int, tuple[TextRange, ...]]:
    """``"Mo-Fr 10:00-19:00 @PARIS-RIVOLI; Sa 10:00-18:00"`` → ``{weekday: ranges}`` (0 is Monday;
    days not named are not worked). ValueError naming the entry on anything else."""
    out: dict[int, list[TextRange]] = {}
    for chunk in _chunks(text):
        days_text, ranges_text, place = _entry(chunk)
        if not ranges_text:
            raise ValueError(f"{chunk!r} is not like 'Mo-Fr 10:00-19:00 @PARIS-RIVOLI'")
        try:
            days, ranges = _day_list(days_text), _ranges(ranges_text, place)
        except ValueError as exc:
            raise ValueError(f"{chunk!r}: {exc}") from None
        for day in days:
            out.setdefault(day, []).extend(ranges)
    for day, ranges in out.items():
        check_no_overlap(SHORT_DAYS[day], ranges)
    return {day: tuple(sorted(out[day])) for day in sorted(out)}


def _dates(text: str) -> list[date]:
    first_text, sep, last_text = text.partition("..")
    try:
        first = date.fromisoformat(first_text)
        last = date.fromisoformat(last_text) if sep else first
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date like 2026-12-24 or a run like 2026-08-03..2026-08-09"
        ) from None
    if last < first:
        raise ValueError(f"{text!r}: the run of days goes backwards")
    if (last - first).days >= MAX_RUN_DAYS:
        raise ValueError(f"{text!r}: at most {MAX_RUN_DAYS} days in a run (a long absence is a leave)")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def parse_exceptions(text: str) -> list[DayHours]:
    """``"2026-12-24 10:00-16:00 @PARIS-RIVOLI; 2026-12-26..2026-12-31 off"`` → one :class:`DayHours`
    per date, in date order. A date is either off or has hours (from one or more entries)."""
    hours: dict[date, list[TextRange]] = {}
    off: set[date] = set()
    for chunk in _chunks(text):
        dates_text, ranges_text, place = _entry(chunk)
        if not ranges_text:
            raise ValueError(f"{chunk!r}: give hours (10:00-16:00 @PLACE) or 'off'")
        try:
            days = _dates(dates_text)
            ranges = [] if ranges_text.lower() == "off" and place is None else _ranges(ranges_text, place)
        except ValueError as exc:
            raise ValueError(f"{chunk!r}: {exc}") from None
        for day in days:
            if (day in off and ranges) or (not ranges and day in hours):
                raise ValueError(f"{day}: both off and working")
            if ranges:
                hours.setdefault(day, []).extend(ranges)
            else:
                off.add(day)
    for day, ranges in hours.items():
        check_no_overlap(day.isoformat(), ranges)
    every = {**{d: () for d in off}, **{d: tuple(sorted(r)) for d, r in hours.items()}}
    return [DayHours(d, every[d]) for d in sorted(every)]


# -- back to text (the export) ------------------------------------------------------------------------------


def _ranges_text(ranges: Sequence[TextRange], label: Callable[[str], str]) -> str:
    """One place's ranges: ``10:00-13:00,14:00-19:00 @PARIS-RIVOLI``."""
    times = ",".join(f"{hhmm(r.start)}-{hhmm(r.end)}" for r in ranges)
    place = ranges[0].place
    return f"{times} @{label(place)}" if place else times


def _by_place(ranges: Iterable[TextRange]) -> dict[str | None, list[TextRange]]:
    out: dict[str | None, list[TextRange]] = {}
    for r in sorted(ranges):
        out.setdefault(r.place, []).append(r)
    return out


def format_weekly(weekly: Mapping[int, Sequence[TextRange]], label: Callable[[str], str] = str) -> str:
    """The inverse of :func:`parse_weekly`: consecutive days with the same hours share an entry."""
    texts: dict[int, list[str]] = {}
    for day in sorted(weekly):
        texts[day] = [_ranges_text(rs, label) for rs in _by_place(weekly[day]).values()]
    entries: list[tuple[int, int, str]] = []
    for day, day_texts in texts.items():
        for text in day_texts:
            run = next((i for i, e in enumerate(entries) if e[1] == day - 1 and e[2] == text), None)
            if run is None:
                entries.append((day, day, text))
            else:
                entries[run] = (entries[run][0], day, text)
    entries.sort()
    return "; ".join(
        f"{SHORT_DAYS[a] if a == b else f'{SHORT_DAYS[a]}-{SHORT_DAYS[b]}'} {text}" for a, b, text in entries
    )


def format_exceptions(days: Iterable[DayHours], label: Callable[[str], str] = str) -> str:
    """The inverse of :func:`parse_exceptions`: consecutive dates with the same hours share an entry
    (``2026-12-26..2026-12-31 off``)."""
    runs: list[tuple[date, date, str]] = []
    for d in sorted(days, key=lambda d: d.day):
        texts = [_ranges_text(rs, label) for rs in _by_place(d.ranges).values()] or ["off"]
        for text in texts:
            run = next(
                (i for i, r in enumerate(runs) if r[1] == d.day - timedelta(days=1) and r[2] == text), None
            )
            if run is None:
                runs.append((d.day, d.day, text))
            else:
                runs[run] = (runs[run][0], d.day, text)
    return "; ".join(
        f"{a.isoformat() if a == b else f'{a.isoformat()}..{b.isoformat()}'} {text}"
        for a, b, text in sorted(runs)
    )


def outside_opening(
    weekly: Mapping[int, Sequence[TextRange]], opening: Mapping[int, Sequence[tuple[int, int]]]
) -> list[str]:
    """The weekly ranges not inside the place's opening hours (``opening``: weekday → open ranges), as
    ``"Su 10:00-18:00"``: nobody can book them (a warning, not an error: the hours may change)."""
    out: list[str] = []
    for day, ranges in sorted(weekly.items()):
        for r in ranges:
            if not any(lo <= r.start and r.end <= hi for lo, hi in opening.get(day, ())):
                out.append(f"{SHORT_DAYS[day]} {hhmm(r.start)}-{hhmm(r.end)}")
    return out
