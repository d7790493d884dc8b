"""appointments: the slot search — one engine for every channel.

One search reads the service, the qualified advisors, the candidate places' hours (from stores, one
query), and what already takes the chosen advisors' time (bookings with their buffers, live holds,
leaves) and the rooms', in a handful of queries, then computes in memory with
:mod:`comptoir.appointments.policies`. The booking path asks the same engine about one start
(:func:`free_candidates`) before the claims make it final.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from operator import itemgetter, le
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Text,
    and_,
    bindparam,
    cast,
    func,
    or_,
    select,
    union_all,
)

from comptoir.appointments import policies, setup
from comptoir.appointments.models import Advisor, Appointment, Leave, Resource, Service, Session
from comptoir.appointments.policies import Span
from comptoir.appointments.schemas import DaySlots, PlaceSlots, SlotSearchOut
from comptoir.core.cache import BoundedDict
from comptoir.core.errors import InvalidInput
from comptoir.core.geo import distance_km
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from comptoir.stores.schemas import OpenWindows

MAX_DAYS = 62


@dataclass(frozen=True, eq=False)
class AdvisorRow:
    """An advisor's profile as the engine reads it: what one row of ``appointments_advisors`` holds,
    parsed once per content (see :func:`qualified`) and shared between searches — read-only."""

    id: str
    name: str
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    place_ids: tuple[str, ...]
    weekly_json: str
    exceptions_json: str
    active: bool = True

    @property
    def weekly(self) -> list[Any]:
        return list(json.loads(self.weekly_json))

    @property
    def exceptions(self) -> list[Any]:
        return list(json.loads(self.exceptions_json))


@dataclass
class AdvisorTime:
    row: AdvisorRow
    weekly: dict[int, list[policies.WorkRange]]
    exceptions: dict[date, list[policies.WorkRange]]
    busy: list[Span] = field(default_factory=list)


# Advisors' profiles and hours as read, parsed: keyed by the row's content (the JSON columns as the
# database renders them as text), so an entry is never stale — a changed row is another key — and every
# process keeps its own. Bounded: they are rewritten whole past the bound.
_ADVISOR_COLUMNS = (
    Advisor.id,
    Advisor.name,
    Advisor.active,
    cast(Advisor.skills, Text),
    cast(Advisor.languages, Text),
    cast(Advisor.place_ids, Text),
    cast(Advisor.weekly, Text),
    cast(Advisor.exceptions, Text),
)
_ACTIVE = select(*_ADVISOR_COLUMNS).where(Advisor.active.is_(True))
# The statements of qualified(), by (one advisor named, one place named). A place narrows the rows read by
# its quoted id in the JSON text of their places: a superset (in LIKE, ``_`` stands for any character),
# the exact test made on the parsed row.
_QUALIFIED = {
    (named, placed): _ACTIVE.where(
        *([Advisor.id == bindparam("advisor_id")] if named else []),
        *([cast(Advisor.place_ids, Text).like(bindparam("place_pattern"))] if placed else []),
    )
    for named in (False, True)
    for placed in (False, True)
}
_PLAIN_ID = re.compile(r"[A-Za-z0-9_-]+")  # written alike in the JSON text of either database
_PROFILES: BoundedDict[tuple[Any, ...], AdvisorRow] = BoundedDict(10_000)
_WEEKLY: BoundedDict[str, dict[int, list[policies.WorkRange]]] = BoundedDict(10_000)
_EXCEPTIONS: BoundedDict[str, dict[date, list[policies.WorkRange]]] = BoundedDict(10_000)


def _profile(row: tuple[Any, ...]) -> AdvisorRow:
    found = _PROFILES.get(row)
    if found is None:
        ident, name, active, skills, languages, place_ids, weekly, exceptions = row
        found = _PROFILES.put(
            row,
            AdvisorRow(
                ident,
                name,
                tuple(json.loads(skills)),
                tuple(json.loads(languages)),
                tuple(json.loads(place_ids)),
                weekly,
                exceptions,
                bool(active),
            ),
        )
    return found


def _advisor_time(profile: AdvisorRow) -> AdvisorTime:
    weekly = _WEEKLY.get(profile.weekly_json)
    if weekly is None:
        weekly = _WEEKLY.put(profile.weekly_json, policies.work_ranges(json.loads(profile.weekly_json)))
    exceptions = _EXCEPTIONS.get(profile.exceptions_json)
    if exceptions is None:
        parsed = policies.exception_ranges(json.loads(profile.exceptions_json))
        exceptions = _EXCEPTIONS.put(profile.exceptions_json, parsed)
    return AdvisorTime(profile, weekly, exceptions)


def qualified(
    uow: UnitOfWork,
    service: Service,
    language: str | None,
    advisor_id: str | None,
    *,
    at_place: str | None = None,
) -> list[AdvisorTime]:
    """Active advisors with the service's skills who speak the language asked (or one it is offered in)
    (``at_place``: those of that place only)."""
    params = {"advisor_id": advisor_id, "place_pattern": f'%"{at_place}"%'}
    narrowed = at_place is not None and _PLAIN_ID.fullmatch(at_place) is not None
    query = _QUALIFIED[advisor_id is not None, narrowed]
    wanted_skills = set(service.skills)
    languages = {language} if language else set(service.languages)
    out = []
    for row in uow.session.execute(query, params).all():  # one fetch, not one per row
        profile = _profile(tuple(row))
        if at_place is not None and at_place not in profile.place_ids:
            continue
        if wanted_skills.issubset(profile.skills) and not languages.isdisjoint(profile.languages):
            out.append(_advisor_time(profile))
    return out


def candidate_places(service: Service, advisors: Sequence[AdvisorTime]) -> set[str]:
    places = {p for a in advisors for p in a.row.place_ids}
    if service.location == "places":
        places &= set(service.place_ids)
    return places


def shape_of(service: Service) -> policies.Shape:
    """What the service needs of time: its duration and the buffers around it."""
    return policies.Shape(service.duration_min, service.buffer_before_min, service.buffer_after_min)


def live(now: Any) -> ColumnElement[bool]:
    """Appointments holding time at ``now`` (a value or a bound parameter): booked, arrived, and holds
    not yet expired."""
    return or_(
        Appointment.status.in_(("booked", "checked_in")),
        and_(Appointment.status == "held", Appointment.hold_expires_at > now),
    )


def _busy_statement(ignoring: bool) -> CompoundSelect[Any]:
    """What takes advisors' time between ``start`` and ``end``: their live appointments' blocks (held
    ones until their hold expires at ``now``; one row per block, a workshop's seats alike) and their
    leaves — one statement, built once (``ignoring``: but the appointment ``ignore``)."""
    holding = live(bindparam("now"))
    if ignoring:
        holding = and_(holding, Appointment.id != bindparam("ignore"))
    taken = (
        select(Appointment.advisor_id, Appointment.block_start, Appointment.block_end)
        .where(
            Appointment.advisor_id.in_(bindparam("ids", expanding=True)),
            Appointment.block_start < bindparam("end"),
            Appointment.block_end > bindparam("start"),
            holding,
        )
        .distinct()
    )
    away = select(Leave.advisor_id, Leave.starts_at, Leave.ends_at).where(
        Leave.advisor_id.in_(bindparam("ids", expanding=True)),
        Leave.starts_at < bindparam("end"),
        Leave.ends_at > bindparam("start"),
    )
    return union_all(taken, away)


_BUSY = {False: _busy_statement(False), True: _busy_statement(True)}


def load_busy(
    uow: UnitOfWork,
    advisors: Sequence[AdvisorTime],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: str | None = None,
) -> None:
    """Fill each advisor's busy spans: live appointments (blocks with buffers), live holds, leaves.
    ``ignore``: an appointment left out (a reschedule's own, whose time is given back)."""
    by_id = {a.row.id: a for a in advisors}
    if not by_id:
        return
    params = {"ids": list(by_id), "start": start, "end": end, "now": now, "ignore": ignore}
    minutes = policies.minutes
    rows = uow.session.execute(_BUSY[ignore is not None], params).all()
    for advisor_id, b_start, b_end in rows:
        by_id[advisor_id].busy.append((minutes(b_start), minutes(b_end)))
    for a in advisors:
        a.busy = policies.merge(a.busy)


def resource_free(
    uow: UnitOfWork,
    service: Service,
    place_ids: Iterable[str],
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    ignore: str | None = None,
) -> dict[str, dict[str, list[Span]]]:
    """For a service needing a room: per place, per room of that kind, where it has a seat free
    (``ignore``: an appointment left out, as in :func:`load_busy`)."""
    if service.resource_kind is None:
        return {}
    resources = uow.session.execute(
        select(Resource.id, Resource.place_id, Resource.capacity).where(
            Resource.place_id.in_(list(place_ids)),
            Resource.kind == service.resource_kind,
            Resource.active.is_(True),
        )
    ).all()
    if not resources:
        return {p: {} for p in place_ids}
    holding = live(now)
    if ignore is not None:
        holding = and_(holding, Appointment.id != ignore)
    taken: dict[str, set[tuple[int, int, str]]] = defaultdict(set)
    rows = uow.session.execute(
        select(
            Appointment.resource_id,
            Appointment.block_start,
            Appointment.block_end,
            Appointment.session_id,
            Appointment.id,
        ).where(
            Appointment.resource_id.in_([r.id for r in resources]),
            Appointment.block_start < end,
            Appointment.block_end > start,
            holding,
        )
    )
    for resource_id, b_start, b_end, session_id, appointment_id in rows:
        assert resource_id is not None
        taken[resource_id].add(
            (policies.minutes(b_start), policies.minutes(b_end), session_id or appointment_id)
        )
    whole = (policies.minutes(start), policies.minutes(end))
    out: dict[str, dict[str, list[Span]]] = {p: {} for p in place_ids}
    for r in resources:
        busy = [(s, e) for s, e, _ in taken[r.id]]
        out[r.place_id][r.id] = policies.subtract([whole], policies.full_spans(busy, r.capacity))
    return out


def _day_range(first_day: date, days: int) -> list[date]:
    return [first_day + timedelta(days=n) for n in range(days)]


def place_starts(
    shape: policies.Shape,
    window: OpenWindows,
    advisors: Sequence[AdvisorTime],
    days: Sequence[date],
    rooms: dict[str, list[Span]] | None,
) -> dict[str, list[Span]]:
    """Per advisor id: the start ranges at this place (and a room free for the block, if one is needed)."""
    tz = ZoneInfo(window.timezone)
    # Merged: one day's closing at 24:00 and the next day's opening at 00:00 are no closure.
    opening = policies.merge((policies.minutes(s), policies.minutes(e)) for s, e in window.intervals)
    room_ranges: list[Span] | None = None
    if rooms is not None:
        room_ranges = [r for free in rooms.values() for r in policies.start_ranges(shape, opening, free)]
    out: dict[str, list[Span]] = {}
    for a in advisors:
        if window.place_id not in a.row.place_ids:
            continue
        working = policies.working_spans(a.weekly, a.exceptions, window.place_id, tz, days)
        ranges = policies.advisor_starts(shape, opening, working, a.busy)
        if room_ranges is not None:
            closed = policies.intersect(
                [(lo, hi + 1) for lo, hi in ranges], [(lo, hi + 1) for lo, hi in room_ranges]
            )
            ranges = [(lo, hi - 1) for lo, hi in closed]
        if ranges:
            out[a.row.id] = ranges
    return out


def open_sessions(
    uow: UnitOfWork,
    service: Service,
    place_ids: Iterable[str],
    advisor_ids: Iterable[str],
    start: datetime,
    end: datetime,
) -> list[Session]:
    return list(
        uow.session.scalars(
            select(Session).where(
                Session.service_id == service.id,
                Session.place_id.in_(list(place_ids)),
                Session.advisor_id.in_(list(advisor_ids)),
                Session.starts_at >= start,
                Session.starts_at < end,
                Session.booked < Session.capacity,
            )
        )
    )


@dataclass(frozen=True)
class SlotQuery:
    service_id: str
    first_day: date
    days: int = 14
    place_ids: tuple[str, ...] = ()
    postcode: str | None = None
    lat: float | None = None
    lon: float | None = None
    language: str | None = None
    advisor_id: str | None = None
    places_limit: int = 5


def check_bookable(service: Service, channel_kind: str, language: str | None) -> None:
    if not service.active:
        raise InvalidInput(f"Service {service.code} is not offered now.", field="service_id")
    if not policies.bookable_on(service.channels, channel_kind):
        raise InvalidInput(
            f"Service {service.code} is not bookable on the {channel_kind} channel.", field="service_id"
        )
    if language is not None and language not in service.languages:
        raise InvalidInput(f"Service {service.code} is not offered in {language}.", field="language")


def _origin(uow: UnitOfWork, query: SlotQuery) -> tuple[float, float] | None:
    if query.postcode:
        point = stores.geocode_postcode(uow, query.postcode)
        if point is None:
            raise InvalidInput(f"Unknown postcode {query.postcode}.", field="postcode")
        return point
    if query.lat is not None and query.lon is not None:
        return query.lat, query.lon
    if (query.lat is None) != (query.lon is None):
        raise InvalidInput("Give both lat and lon.", field="lat" if query.lat is None else "lon")
    return None


def choose_places(
    uow: UnitOfWork, service: Service, candidates: set[str], query: SlotQuery
) -> list[tuple[OpenWindows, float | None]]:
    """The candidate places to search, nearest first (by name without an origin), at most places_limit."""
    if query.place_ids:
        candidates &= set(query.place_ids)
    origin = _origin(uow, query)
    # No day: the places' facts (coordinates, region, status) without computing any hours.
    facts = stores.open_windows(uow, candidates, query.first_day, query.first_day - timedelta(days=1))
    found = [
        w
        for w in facts.values()
        if w.status == "open" and (service.location != "region" or w.region == service.region)
    ]
    if origin is not None:
        ranked = sorted(
            ((w, distance_km(origin[0], origin[1], w.latitude, w.longitude)) for w in found),
            key=lambda x: x[1],
        )
        return [(w, round(d, 1)) for w, d in ranked[: query.places_limit]]
    return [(w, None) for w in sorted(found, key=lambda w: (w.name, w.place_id))[: query.places_limit]]


def search(uow: UnitOfWork, query: SlotQuery, channel_kind: str, now: datetime) -> SlotSearchOut:
    service = setup.load_service(uow, query.service_id, "service_id")
    check_bookable(service, channel_kind, query.language)
    advisors = qualified(uow, service, query.language, query.advisor_id)
    if query.advisor_id is not None and not advisors:
        setup.load_advisor(uow, query.advisor_id, "advisor_id")  # 422 if nobody has that id
    days = _day_range(query.first_day, query.days)
    chosen = choose_places(uow, service, candidate_places(service, advisors), query)
    places_out: list[PlaceSlots] = []
    if chosen:
        windows = stores.open_windows(
            uow, [w.place_id for w, _ in chosen], days[0], days[-1], audience=service.audience
        )
        # A day either side: local days of far time zones, and buffers reaching over midnight.
        start = datetime.combine(days[0] - timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
        end = datetime.combine(days[-1] + timedelta(days=2), datetime.min.time(), tzinfo=now.tzinfo)
        # Only the advisors of the places searched have their time read: the others' is not asked about.
        searched = [a for a in advisors if not windows.keys().isdisjoint(a.row.place_ids)]
        load_busy(uow, searched, start, end, now)
        rooms = resource_free(uow, service, windows, start, end, now)
        sessions = (
            open_sessions(uow, service, windows, [a.row.id for a in advisors], start, end)
            if service.capacity > 1
            else []
        )
        shape = shape_of(service)
        notice = policies.notice_for(service.min_notice_min, channel_kind)
        earliest, latest = policies.bounds(now, notice, service.horizon_days)
        for w, distance in chosen:
            window = windows.get(w.place_id)
            if window is None:
                continue
            per_advisor = place_starts(
                shape, window, searched, days, rooms.get(w.place_id) if rooms else None
            )
            starts = policies.aligned_starts(
                (r for ranges in per_advisor.values() for r in ranges), shape.step, earliest, latest
            )
            seats = dict.fromkeys(starts, service.capacity)
            for s in sessions:
                at = policies.minutes(s.starts_at)
                if s.place_id == w.place_id and earliest <= at < latest:
                    seats[at] = max(seats.get(at, 0), s.capacity - s.booked)
            places_out.append(_place_slots(window, distance, days, seats, service.capacity > 1))
    return SlotSearchOut(
        service_id=service.id,
        first_day=days[0],
        last_day=days[-1],
        advisor_id=query.advisor_id,
        language=query.language,
        places=places_out,
    )


def _place_slots(
    window: OpenWindows, distance: float | None, days: Sequence[date], seats: dict[int, int], workshop: bool
) -> PlaceSlots:
    ats = sorted(seats)
    found = list(map(policies.local_clock(ZoneInfo(window.timezone)).__getitem__, ats))
    local_days = list(map(itemgetter(0), found))
    times = list(map(itemgetter(1), found))
    wanted = set(days)
    out_days = []
    if all(map(le, local_days, islice(local_days, 1, None))):
        # Local days in order (as everywhere but where a clock goes back over midnight): each is one run.
        first = 0
        while first < len(ats):
            day = local_days[first]
            end = bisect_right(local_days, day, first)
            if day in wanted:
                left = [seats[a] for a in ats[first:end]] if workshop else None
                out_days.append(DaySlots.model_construct(date=day, times=times[first:end], seats_left=left))
            first = end
    else:
        by_day: dict[date, list[int]] = defaultdict(list)
        for n, day in enumerate(local_days):
            by_day[day].append(n)
        for day in sorted(d for d in by_day if d in wanted):
            picked = by_day[day]
            left = [seats[ats[n]] for n in picked] if workshop else None
            out_days.append(
                DaySlots.model_construct(date=day, times=[times[n] for n in picked], seats_left=left)
            )
    return PlaceSlots.model_construct(
        place_id=window.place_id,
        name=window.name,
        locality=window.locality,
        timezone=window.timezone,
        distance_km=distance,
        days=out_days,
    )


# -- one start, for the booking path ------------------------------------------------------------------------


def free_candidates(
    uow: UnitOfWork,
    service: Service,
    place_id: str,
    start_min: int,
    language: str | None,
    advisor_id: str | None,
    now: datetime,
    *,
    ignore: str | None = None,
) -> tuple[list[AdvisorTime], OpenWindows | None]:
    """The qualified advisors free at ``start_min`` at the place (the service time inside its opening
    for the service's public, the block inside their hours and clear of their other bookings), and the
    place. ``ignore``: an appointment whose own time does not count (a reschedule)."""
    advisors = qualified(uow, service, language, advisor_id, at_place=place_id)
    utc_day = policies.instant(start_min).date()
    days = [utc_day - timedelta(days=1), utc_day, utc_day + timedelta(days=1)]
    window = stores.open_windows(uow, [place_id], days[0], days[-1], audience=service.audience).get(place_id)
    if window is None or not advisors:
        return [], window
    start = policies.instant(start_min) - timedelta(days=2)
    end = policies.instant(start_min) + timedelta(days=2)
    # A reschedule's own appointment is left out (its claims are given back): not subtracted from the
    # merged busy spans, which would also free a leave or a workshop's other seats over the same time.
    load_busy(uow, advisors, start, end, now, ignore=ignore)
    shape = shape_of(service)
    rooms = (
        resource_free(uow, service, [place_id], start, end, now, ignore=ignore).get(place_id)
        if service.resource_kind
        else None
    )
    per_advisor = place_starts(shape, window, advisors, days, rooms)
    free = [a for a in advisors if any(lo <= start_min <= hi for lo, hi in per_advisor.get(a.row.id, ()))]
    return free, window


_WEEK_COUNTS = (
    select(Appointment.advisor_id, func.count(func.distinct(Appointment.block_start)))
    .where(
        Appointment.advisor_id.in_(bindparam("ids", expanding=True)),
        Appointment.starts_at >= bindparam("start"),
        Appointment.starts_at < bindparam("end"),
        Appointment.status.in_(policies.BOOKED),
    )
    .group_by(Appointment.advisor_id)
)


def bookings_this_week(
    uow: UnitOfWork, advisor_ids: Sequence[str], day: date, tz: ZoneInfo
) -> dict[str, int]:
    """How many bookings each advisor has in the local week of ``day`` (fair round robin's measure)."""
    monday, next_monday = policies.week_of(day)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(next_monday, datetime.min.time(), tzinfo=tz)
    rows = uow.session.execute(_WEEK_COUNTS, {"ids": list(advisor_ids), "start": start, "end": end})
    counts = dict.fromkeys(advisor_ids, 0)
    counts.update({advisor_id: int(n) for advisor_id, n in rows})
    return counts
