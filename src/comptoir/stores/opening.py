"""stores: opening hours questions — open now, next opening, closing time, the week ahead."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Text, bindparam, cast, select

from comptoir.core import clock
from comptoir.core.cache import BoundedDict
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.stores import policies
from comptoir.stores.models import Place
from comptoir.stores.places import load
from comptoir.stores.schemas import (
    Audience,
    DayOut,
    OpeningOut,
    OpeningStatus,
    OpenWindows,
    PlaceSnapshot,
    ReservedSpan,
    TimeRange,
    WeekOut,
)


def hours_from_row(row: Any) -> policies.Hours:
    weekly: dict[int, list[policies.Range]] = {}
    for w in row.weekly:
        weekly.setdefault(policies.WEEKDAYS.index(w["day"]), []).append(
            policies.Range.parse(w["opens"], w["closes"])
        )
    reserved: dict[int, list[policies.Reserved]] = {}
    for r in row.reserved:
        reserved.setdefault(policies.WEEKDAYS.index(r["day"]), []).append(
            policies.Reserved(policies.Range.parse(r["opens"], r["closes"]), r["audience"])
        )
    special = {}
    for d in row.special_days:
        day = date.fromisoformat(d["date"])
        special[day] = policies.SpecialDay(
            day,
            d["closed"],
            tuple(sorted(policies.Range.parse(r["opens"], r["closes"]) for r in d.get("ranges", []))),
            tuple(
                policies.Reserved(policies.Range.parse(r["opens"], r["closes"]), r["audience"])
                for r in d.get("reserved", [])
            ),
            d.get("reason", ""),
        )
    return policies.Hours(
        timezone=row.timezone,
        weekly={d: tuple(sorted(r)) for d, r in weekly.items()},
        reserved={d: tuple(r) for d, r in reserved.items()},
        special=special,
        status=row.status,
    )


def status_of(place_id: str, hours: policies.Hours, at: datetime, audience: str | None) -> OpeningStatus:
    window = policies.next_opening(hours, at, audience)
    if window is None:
        return OpeningStatus(place_id=place_id, open=False, next_opening=None, closes_at=None)
    is_open = window.opens_at <= at and (window.closes_at is None or at < window.closes_at)
    return OpeningStatus(
        place_id=place_id,
        open=is_open,
        next_opening=None if is_open else window.opens_at,
        closes_at=window.closes_at,
    )


def aware(at: datetime | None) -> datetime:
    if at is None:
        return clock.now()
    if at.tzinfo is None:
        raise InvalidInput("Give the time with its offset, e.g. 2026-03-29T10:00:00+02:00.", field="at")
    return at


_HOURS_COLUMNS = (Place.id, Place.timezone, Place.status, Place.weekly, Place.reserved, Place.special_days)


def opening_status(
    uow: UnitOfWork, place_ids: Iterable[str], at: datetime | None = None, *, audience: str | None = None
) -> dict[str, OpeningStatus]:
    """Open now? next opening? closing time? — for many places in one query (unknown ids left out)."""
    when = aware(at)
    wanted = sorted(set(place_ids))
    if not wanted:
        return {}
    rows = uow.session.execute(select(*_HOURS_COLUMNS).where(Place.id.in_(wanted))).all()
    return {row.id: status_of(row.id, hours_from_row(row), when, audience) for row in rows}


_FACT_COLUMNS = (
    Place.id,
    Place.timezone,
    Place.status,
    Place.code,
    Place.name,
    Place.kind,
    Place.region,
    Place.postal_code,
    Place.locality,
    Place.latitude,
    Place.longitude,
)
# The hours as the database renders them as text: the key of what was computed from them.
_HOURS_TEXT = (
    cast(Place.weekly, Text).label("weekly"),
    cast(Place.reserved, Text).label("reserved"),
    cast(Place.special_days, Text).label("special_days"),
)
_IDS: Any = bindparam("ids", expanding=True)
_WINDOWS_OF = select(*_FACT_COLUMNS, *_HOURS_TEXT).where(Place.id.in_(_IDS))
_FACTS_OF = select(*_FACT_COLUMNS).where(Place.id.in_(_IDS))
_WINDOWS_ALL = select(*_FACT_COLUMNS, *_HOURS_TEXT).where(Place.status != "permanently_closed")
_FACTS_ALL = select(*_FACT_COLUMNS).where(Place.status != "permanently_closed")

Interval = tuple[datetime, datetime]

# What was computed from a place's hours, keyed by everything it is computed from (time zone, status, the
# hours' text): never stale — a changed place is another key — and each process keeps its own, bounded.
_HOURS: BoundedDict[tuple[str, ...], policies.Hours] = BoundedDict(5_000)
_INTERVALS: BoundedDict[tuple[Any, ...], list[Interval]] = BoundedDict(100_000)


def _day_intervals(row: Any, days: list[date], audience: str | None) -> list[Interval]:
    """``policies.utc_intervals`` of the place's hours over ``days``, each (hours, day, public) computed once."""
    key = (row.timezone, row.status, row.weekly, row.reserved, row.special_days)
    hours = _HOURS.get(key)
    if hours is None:
        parsed = SimpleNamespace(
            timezone=row.timezone,
            status=row.status,
            weekly=json.loads(row.weekly),
            reserved=json.loads(row.reserved),
            special_days=json.loads(row.special_days),
        )
        hours = _HOURS.put(key, hours_from_row(parsed))
    out: list[Interval] = []
    for day in days:
        found = _INTERVALS.get((key, day, audience))
        if found is None:
            found = _INTERVALS.put((key, day, audience), policies.utc_intervals(hours, day, audience))
        out += found
    return out


def open_windows(
    uow: UnitOfWork,
    place_ids: Iterable[str] | None,
    first_day: date,
    last_day: date,
    *,
    audience: str | None = None,
) -> dict[str, OpenWindows]:
    """Each place's opening intervals (UTC) over the local days ``first_day``..``last_day``, for the
    public ``audience`` (``None``: general hours only), in one query; ``place_ids=None``: every place
    not permanently closed. A place not open (temporarily closed…) has no interval."""
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    params: dict[str, Any] = {}
    if place_ids is not None:
        params["ids"] = sorted(set(place_ids))
        if not params["ids"]:
            return {}
        query = _WINDOWS_OF if days else _FACTS_OF
    else:
        query = _WINDOWS_ALL if days else _FACTS_ALL
    # No day asked: the places' facts alone, their hours neither read nor parsed.
    out: dict[str, OpenWindows] = {}
    for row in uow.session.execute(query, params).all():
        intervals = _day_intervals(row, days, audience) if days else []
        out[row.id] = OpenWindows.model_construct(
            place_id=row.id,
            code=row.code,
            name=row.name,
            kind=row.kind,
            status=row.status,
            region=row.region,
            postcode=row.postal_code,
            locality=row.locality,
            timezone=row.timezone,
            latitude=row.latitude,
            longitude=row.longitude,
            intervals=intervals,
        )
    return out


def opening_from_snapshot(
    snap: PlaceSnapshot | Any, at: datetime | None = None, *, audience: str | None = None
) -> OpeningStatus:
    """The same answer as :func:`opening_status`, computed from a place snapshot (or a ``stores.place_*``
    event) alone — for domains that keep their own read model of places."""
    special = {s.day: s for s in policies.parse_special(snap.special_days)}
    hours = policies.Hours(
        timezone=snap.timezone,
        weekly=policies.parse_weekly(snap.weekly_hours),
        reserved=policies.parse_reserved(snap.reserved_hours),
        special=special,
        status=snap.status,
    )
    return status_of(snap.place_id, hours, aware(at), audience)


def opening(
    uow: UnitOfWork, place_id: str, at: datetime | None, audience: Audience | None = None
) -> OpeningOut:
    when = aware(at)
    hours = hours_from_row(load(uow, place_id))
    window = policies.next_opening(hours, when, audience)
    return OpeningOut(
        place_id=place_id,
        at=when,
        audience=audience,
        open_now=policies.is_open_at(hours, when, audience),
        opens_at=window.opens_at if window else None,
        closes_at=window.closes_at if window else None,
    )


def week(uow: UnitOfWork, place_id: str, any_day: date | None = None) -> WeekOut:
    row = load(uow, place_id)
    hours = hours_from_row(row)
    day = any_day or clock.now().astimezone(ZoneInfo(row.timezone)).date()
    days = [
        DayOut(
            date=s.day,
            weekday=policies.WEEKDAYS[s.day.weekday()],
            closed=s.closed,
            special=s.special,
            reason=s.reason,
            ranges=[
                TimeRange(opens=policies.format_hhmm(r.start), closes=policies.format_hhmm(r.end))
                for r in s.ranges
            ],
            reserved=[
                ReservedSpan(
                    opens=policies.format_hhmm(r.range.start),
                    closes=policies.format_hhmm(r.range.end),
                    audience=r.audience,
                )
                for r in s.reserved
            ],
        )
        for s in policies.week_days(hours, day)
    ]
    return WeekOut(place_id=place_id, timezone=row.timezone, days=days)
