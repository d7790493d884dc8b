"""appointments: the slot search — one engine for every channel.

One search reads the service, the qualified advisors, the candidate places' hours (from stores, one
query), and what already takes the chosen advisors' time (bookings with their buffers, live holds,
leaves) and the rooms', in a handful of queries, then computes in memory with
:mod:`comptoir.appointments.policies`. The booking path asks the same engine about one start
(:func:`free_candidates`) before the claims make it final.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select

from comptoir.appointments import policies
from comptoir.appointments.models import Advisor, Appointment, Leave, Resource, Service, Session
from comptoir.appointments.policies import Span
from comptoir.appointments.schemas import DaySlots, PlaceSlots, SlotSearchOut
from comptoir.core.errors import InvalidInput
from comptoir.core.geo import distance_km
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from comptoir.stores.schemas import OpenWindows

MAX_DAYS = 62


@dataclass
class AdvisorTime:
    row: Advisor
    weekly: dict[int, list[policies.WorkRange]]
    exceptions: dict[date, list[policies.WorkRange]]
    busy: list[Span] = field(default_factory=list)


def qualified(
    uow: UnitOfWork, service: Service, language: str | None, advisor_id: str | None
) -> list[AdvisorTime]:
    """Active advisors with the service's skills who speak the language asked (or one it is offered in)."""
    query = select(Advisor).where(Advisor.active.is_(True))
    if advisor_id is not None:
        query = query.where(Advisor.id == advisor_id)
    wanted_skills = set(service.skills)
    languages = {language} if language else set(service.languages)
    out = []
    for row in uow.session.scalars(query):
        if wanted_skills <= set(row.skills) and languages & set(row.languages):
            out.append(
                AdvisorTime(row, policies.work_ranges(row.weekly), policies.exception_ranges(row.exceptions))
            )
    return out


def candidate_places(service: Service, advisors: Sequence[AdvisorTime]) -> set[str]:
    places = {p for a in advisors for p in a.row.place_ids}
    if service.location == "places":
        places &= set(service.place_ids)
    return places


def load_busy(
    uow: UnitOfWork, advisors: Sequence[AdvisorTime], start: datetime, end: datetime, now: datetime
) -> None:
    """Fill each advisor's busy spans: live appointments (blocks with buffers), live holds, leaves."""
    by_id = {a.row.id: a for a in advisors}
    if not by_id:
        return
    live = or_(
        Appointment.status.in_(("booked", "checked_in")),
        and_(Appointment.status == "held", Appointment.hold_expires_at > now),
    )
    rows = uow.session.execute(
        select(Appointment.advisor_id, Appointment.block_start, Appointment.block_end)
        .where(
            Appointment.advisor_id.in_(by_id),
            Appointment.block_start < end,
            Appointment.block_end > start,
            live,
        )
        .distinct()
    )
    for advisor_id, b_start, b_end in rows:
        by_id[advisor_id].busy.append((policies.minutes(b_start), policies.minutes(b_end)))
    leaves = uow.session.execute(
        select(Leave.advisor_id, Leave.starts_at, Leave.ends_at).where(
            Leave.advisor_id.in_(by_id), Leave.starts_at < end, Leave.ends_at > start
        )
    )
    for advisor_id, l_start, l_end in leaves:
        by_id[advisor_id].busy.append((policies.minutes(l_start), policies.minutes(l_end)))
    for a in advisors:
        a.busy = policies.merge(a.busy)


def resource_free(
    uow: UnitOfWork, service: Service, place_ids: Iterable[str], start: datetime, end: datetime, now: datetime
) -> dict[str, dict[str, list[Span]]]:
    """For a service needing a room: per place, per room of that kind, where it has a seat free."""
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
    live = or_(
        Appointment.status.in_(("booked", "checked_in")),
        and_(Appointment.status == "held", Appointment.hold_expires_at > now),
    )
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
            live,
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
    opening = [(policies.minutes(s), policies.minutes(e)) for s, e in window.intervals]
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
    service = uow.session.get(Service, query.service_id)
    if service is None:
        raise InvalidInput(f"Unknown service {query.service_id}.", field="service_id")
    check_bookable(service, channel_kind, query.language)
    advisors = qualified(uow, service, query.language, query.advisor_id)
    if query.advisor_id is not None and not advisors and uow.session.get(Advisor, query.advisor_id) is None:
        raise InvalidInput(f"Unknown advisor {query.advisor_id}.", field="advisor_id")
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
        load_busy(uow, advisors, start, end, now)
        rooms = resource_free(uow, service, windows, start, end, now)
        sessions = (
            open_sessions(uow, service, windows, [a.row.id for a in advisors], start, end)
            if service.capacity > 1
            else []
        )
        shape = policies.Shape(service.duration_min, service.buffer_before_min, service.buffer_after_min)
        earliest, latest = policies.bounds(now, service.min_notice_min, service.horizon_days)
        for w, distance in chosen:
            window = windows.get(w.place_id)
            if window is None:
                continue
            per_advisor = place_starts(
                shape, window, advisors, days, rooms.get(w.place_id) if rooms else None
            )
            starts = policies.aligned_starts(
                (r for ranges in per_advisor.values() for r in ranges), shape.step, earliest, latest
            )
            seats = {s: service.capacity for s in starts}
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
    tz = ZoneInfo(window.timezone)
    by_day: dict[date, list[int]] = defaultdict(list)
    for at in sorted(seats):
        local = policies.instant(at).astimezone(tz)
        by_day[local.date()].append(at)
    wanted = set(days)
    out_days = []
    for day in sorted(d for d in by_day if d in wanted):
        ats = by_day[day]
        out_days.append(
            DaySlots.model_construct(
                date=day,
                times=[policies.instant(a).astimezone(tz).strftime("%H:%M") for a in ats],
                seats_left=[seats[a] for a in ats] if workshop else None,
            )
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
    advisors = qualified(uow, service, language, advisor_id)
    advisors = [a for a in advisors if place_id in a.row.place_ids]
    utc_day = policies.instant(start_min).date()
    days = [utc_day - timedelta(days=1), utc_day, utc_day + timedelta(days=1)]
    window = stores.open_windows(uow, [place_id], days[0], days[-1], audience=service.audience).get(place_id)
    if window is None or not advisors:
        return [], window
    start = policies.instant(start_min) - timedelta(days=2)
    end = policies.instant(start_min) + timedelta(days=2)
    load_busy(uow, advisors, start, end, now)
    if ignore is not None:
        _drop_own(uow, advisors, ignore)
    shape = policies.Shape(service.duration_min, service.buffer_before_min, service.buffer_after_min)
    rooms = (
        resource_free(uow, service, [place_id], start, end, now).get(place_id)
        if service.resource_kind
        else None
    )
    per_advisor = place_starts(shape, window, advisors, days, rooms)
    free = [a for a in advisors if any(lo <= start_min <= hi for lo, hi in per_advisor.get(a.row.id, ()))]
    return free, window


def _drop_own(uow: UnitOfWork, advisors: Sequence[AdvisorTime], appointment_id: str) -> None:
    own = uow.session.execute(
        select(Appointment.advisor_id, Appointment.block_start, Appointment.block_end).where(
            Appointment.id == appointment_id
        )
    ).first()
    if own is None:
        return
    for a in advisors:
        if a.row.id == own.advisor_id:
            a.busy = policies.subtract(
                a.busy, [(policies.minutes(own.block_start), policies.minutes(own.block_end))]
            )


def bookings_this_week(
    uow: UnitOfWork, advisor_ids: Sequence[str], day: date, tz: ZoneInfo
) -> dict[str, int]:
    """How many bookings each advisor has in the local week of ``day`` (fair round robin's measure)."""
    monday, next_monday = policies.week_of(day)
    start = datetime.combine(monday, datetime.min.time(), tzinfo=tz)
    end = datetime.combine(next_monday, datetime.min.time(), tzinfo=tz)
    rows = uow.session.execute(
        select(Appointment.advisor_id, func.count(func.distinct(Appointment.block_start)))
        .where(
            Appointment.advisor_id.in_(list(advisor_ids)),
            Appointment.starts_at >= start,
            Appointment.starts_at < end,
            Appointment.status.in_(policies.BOOKED),
        )
        .group_by(Appointment.advisor_id)
    )
    counts = dict.fromkeys(advisor_ids, 0)
    counts.update({advisor_id: int(n) for advisor_id, n in rows})
    return counts
