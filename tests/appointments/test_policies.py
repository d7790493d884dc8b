"""The slot engine's rules, proved against plain models: span arithmetic against sets of minutes, start
ranges against a brute-force search, local hours across clock changes, fair assignment — and, through
the service on a database, the search against an oracle built from the place's hours (weekly, reserved
for a public, exceptional days and closures), the advisors' hours, leaves and bookings with buffers.

Times in the oracles are whole minutes since the epoch (UTC), as in the engine; hours are written on the
quarter hour between 05:00 and 24:00, away from the 02:00–03:00 hour clocks skip or repeat, so a local
wall time names one instant and the oracle may read every minute's local time directly."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from comptoir.appointments import policies
from comptoir.appointments import service as appointments
from comptoir.appointments.models import (
    Advisor,
    Appointment,
    Claim,
    Leave,
    Resource,
    Service,
    Session,
    WaitlistEntry,
)
from comptoir.appointments.policies import Candidate, Shape, Span
from comptoir.appointments.schemas import AdvisorIn, BookIn, LeaveIn, ServiceIn, SlotIn
from comptoir.core import clock
from comptoir.core.access import Role
from comptoir.core.db import Database
from comptoir.core.errors import Problem
from comptoir.core.uow import UnitOfWork
from comptoir.stores import service as stores
from tests.stores.factories import place_in
from tests.support.staff import make_person

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


def minute(at: datetime) -> int:
    return policies.minutes(at)


def covered(spans: Sequence[Span]) -> set[int]:
    return {m for s, e in spans for m in range(s, e)}


def well_formed(spans: Sequence[Span]) -> bool:
    """Sorted, non-empty, disjoint and not touching (a merged list)."""
    return all(s < e for s, e in spans) and all(a[1] < b[0] for a, b in itertools.pairwise(spans))


spans_st = st.lists(
    st.tuples(st.integers(0, 120), st.integers(0, 30)).map(lambda p: (p[0], p[0] + p[1])), max_size=8
)


# -- span arithmetic against sets of minutes ----------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(spans_st, spans_st)
def test_merge_subtract_intersect_are_set_union_difference_and_intersection(
    a: list[Span], b: list[Span]
) -> None:
    merged = policies.merge(a)
    assert well_formed(merged) and covered(merged) == covered(a)
    less = policies.subtract(a, b)
    assert well_formed(less) and covered(less) == covered(a) - covered(b)
    both = policies.intersect(a, b)
    assert covered(both) == covered(a) & covered(b)
    assert all(s < e for s, e in both) and all(x[1] <= y[0] for x, y in itertools.pairwise(both))
    for start, end in [(s, e) for s, e in b if s < e]:
        assert policies.covers(merged, start, end) == (set(range(start, end)) <= covered(a))


@settings(max_examples=60, deadline=None)
@given(spans_st, st.integers(1, 3))
def test_full_spans_are_where_capacity_or_more_overlap(busy: list[Span], capacity: int) -> None:
    full = policies.full_spans(busy, capacity)
    assert well_formed(full)
    count = {m: sum(1 for s, e in busy if s <= m < e) for m in range(0, 160)}
    assert covered(full) == {m for m, n in count.items() if n >= capacity}


def test_span_arithmetic_by_example() -> None:
    assert policies.merge([(10, 20), (0, 5), (5, 8), (15, 25), (30, 30)]) == [(0, 8), (10, 25)]
    assert policies.subtract([(0, 100)], [(10, 20), (15, 30), (90, 120)]) == [(0, 10), (30, 90)]
    assert policies.subtract([(0, 10)], []) == [(0, 10)]
    assert policies.subtract([(0, 10)], [(0, 10)]) == []
    assert policies.intersect([(0, 10), (20, 30)], [(5, 25)]) == [(5, 10), (20, 25)]
    assert policies.intersect([(0, 10)], [(10, 20)]) == []
    # two rooms' worth of bookings: full where both are taken, touching bookings do not overlap
    assert policies.full_spans([(0, 30), (20, 50), (50, 60)], 2) == [(20, 30)]
    assert policies.full_spans([(0, 30), (30, 60)], 1) == [(0, 60)]
    assert policies.full_spans([(0, 30), (0, 30)], 3) == []


# -- start ranges and aligned starts against a brute-force search -------------------------------------------

shape_st = st.builds(
    Shape,
    duration=st.sampled_from([5, 10, 15, 30, 45, 60]),
    before=st.sampled_from([0, 5, 10]),
    after=st.sampled_from([0, 5, 15]),
)
grid_spans_st = st.lists(
    st.tuples(st.integers(0, 60), st.integers(1, 30)).map(lambda p: (p[0] * 5, (p[0] + p[1]) * 5)),
    max_size=5,
)


@settings(max_examples=60, deadline=None)
@given(shape_st, grid_spans_st, grid_spans_st, grid_spans_st, st.integers(0, 200), st.integers(0, 500))
def test_starts_are_exactly_those_whose_service_is_open_and_whose_block_is_free(
    shape: Shape,
    opening: list[Span],
    working: list[Span],
    busy: list[Span],
    earliest: int,
    length: int,
) -> None:
    latest = earliest + length
    opening = policies.merge(opening)
    ranges = policies.advisor_starts(shape, opening, policies.merge(working), busy)
    found = policies.aligned_starts(ranges, shape.step, earliest, latest)
    open_minutes, free_minutes = covered(opening), covered(working) - covered(busy)
    expected = [
        s
        for s in range(0, 600)
        if s % shape.step == 0
        and earliest <= s < latest
        and set(range(s, s + shape.duration)) <= open_minutes
        and set(range(*shape.block(s))) <= free_minutes
    ]
    assert found == expected
    for s in found:  # never over a booking or its buffers
        block = shape.block(s)
        assert not any(b0 < block[1] and block[0] < b1 for b0, b1 in busy if b0 < b1)


def test_start_ranges_and_aligned_starts_by_example() -> None:
    shape = Shape(duration=45, before=5, after=10)
    assert shape.step == 15 and Shape(10).step == 5
    assert shape.block(600) == (595, 655)
    # open 600–1140, free 600–1140: from 605 (the buffer before) to 1085 (45 min and 10 after by 1140)
    assert policies.start_ranges(shape, [(600, 1140)], [(600, 1140)]) == [(605, 1085)]
    assert policies.start_ranges(shape, [(600, 1140)], [(600, 650)]) == []
    assert policies.aligned_starts([(605, 1085)], 15, 0, 10_000)[:2] == [615, 630]
    assert policies.aligned_starts([(605, 1085)], 15, 0, 10_000)[-1] == 1080
    assert policies.aligned_starts([(605, 1085), (600, 700)], 15, 650, 700) == [660, 675, 690]
    # the same start from two advisors is offered once
    assert policies.aligned_starts([(0, 30), (15, 45)], 15, 0, 100) == [0, 15, 30, 45]


# -- local hours across clock changes -----------------------------------------------------------------------


def test_local_minutes_follow_the_clock_changes() -> None:
    def utc(day: date, hhmm: str, tz: ZoneInfo) -> datetime:
        return policies.instant(policies.local_minutes(day, policies.parse_hhmm(hhmm), tz))

    # Paris: 10:00 is 09:00 UTC in winter, 08:00 UTC from Sunday 28 March 2027, 09:00 again from 31 October
    assert utc(date(2027, 3, 27), "10:00", PARIS) == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    assert utc(date(2027, 3, 28), "10:00", PARIS) == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)
    assert utc(date(2027, 10, 30), "10:00", PARIS) == datetime(2027, 10, 30, 8, 0, tzinfo=UTC)
    assert utc(date(2027, 10, 31), "10:00", PARIS) == datetime(2027, 10, 31, 9, 0, tzinfo=UTC)
    # New York changes on other Sundays: 14 March and 7 November 2027
    assert utc(date(2027, 3, 13), "10:00", NEW_YORK) == datetime(2027, 3, 13, 15, 0, tzinfo=UTC)
    assert utc(date(2027, 3, 14), "10:00", NEW_YORK) == datetime(2027, 3, 14, 14, 0, tzinfo=UTC)
    assert utc(date(2027, 11, 7), "10:00", NEW_YORK) == datetime(2027, 11, 7, 15, 0, tzinfo=UTC)
    # 24:00 is the next day's midnight; an autumn day from 00:00 to 24:00 lasts 25 hours
    assert utc(date(2027, 3, 27), "24:00", PARIS) == datetime(2027, 3, 27, 23, 0, tzinfo=UTC)
    day = date(2027, 10, 31)
    length = policies.local_minutes(day, 1440, PARIS) - policies.local_minutes(day, 0, PARIS)
    assert length == 25 * 60
    spring = date(2027, 3, 28)
    assert policies.local_minutes(spring, 1440, PARIS) - policies.local_minutes(spring, 0, PARIS) == 23 * 60
    assert policies.local_day(minute(datetime(2027, 3, 27, 23, 30, tzinfo=UTC)), PARIS) == spring


def test_a_spring_gap_time_is_the_jump_as_for_the_shops_hours() -> None:
    # Sunday 28 March 2027 in Paris the clocks go from 02:00 to 03:00: hours from 02:30 start at the jump,
    # 03:00 (01:00 UTC), for an advisor as for a shop (one rule, the kernel's)
    from comptoir.stores.policies import local_to_utc

    spring = date(2027, 3, 28)
    assert policies.instant(policies.local_minutes(spring, 150, PARIS)) == datetime(
        2027, 3, 28, 1, 0, tzinfo=UTC
    )
    for wall in range(0, 24 * 60 + 1, 5):
        assert policies.instant(policies.local_minutes(spring, wall, PARIS)) == local_to_utc(
            spring, wall, PARIS
        )


quarter_st = st.integers(20, 96).map(lambda q: q * 15)  # 05:00 … 24:00 on the quarter hour


def pairs(points: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted distinct points taken two by two: non-overlapping ranges of a day."""
    ordered = sorted(set(points))
    return [(ordered[i], ordered[i + 1]) for i in range(0, len(ordered) - 1, 2)]


day_ranges_st = st.lists(quarter_st, max_size=4).map(pairs)
busy_day_st = st.lists(quarter_st, min_size=2, max_size=4).map(pairs)  # mostly open or working
CHANGES = [
    ("Europe/Paris", date(2027, 3, 26)),
    ("Europe/Paris", date(2027, 10, 29)),
    ("America/New_York", date(2027, 3, 12)),
    ("America/New_York", date(2027, 11, 5)),
]


def hhmm(value: int) -> str:
    return f"{value // 60:02d}:{value % 60:02d}"


def local_of(m: int, tz: ZoneInfo) -> tuple[date, int]:
    local = policies.instant(m).astimezone(tz)
    return local.date(), local.hour * 60 + local.minute


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(CHANGES),
    st.lists(day_ranges_st, min_size=7, max_size=7),
    st.dictionaries(st.integers(0, 3), day_ranges_st, max_size=2),
)
def test_working_spans_are_the_local_hours_on_days_that_change_clock(
    change: tuple[str, date], weekly_ranges: list[list[tuple[int, int]]], exceptions: dict[int, Any]
) -> None:
    zone, first = change
    tz = ZoneInfo(zone)
    days = [first + timedelta(days=n) for n in range(4)]
    weekly = [
        {"day": policies.WEEKDAYS[d], "start": hhmm(s), "end": hhmm(e), "place_id": "p"}
        for d, ranges in enumerate(weekly_ranges)
        for s, e in ranges
    ]
    excepted = [
        {
            "date": days[n].isoformat(),
            "ranges": [{"start": hhmm(s), "end": hhmm(e), "place_id": "p"} for s, e in r],
        }
        for n, r in exceptions.items()
    ]
    spans = policies.working_spans(
        policies.work_ranges(weekly), policies.exception_ranges(excepted), "p", tz, days
    )
    assert well_formed(spans)
    assert policies.working_spans(policies.work_ranges(weekly), {}, "elsewhere", tz, days) == []

    def works(m: int) -> bool:
        day, wall = local_of(m, tz)
        if day not in days:
            return False
        ranges = (
            exceptions[days.index(day)] if days.index(day) in exceptions else weekly_ranges[day.weekday()]
        )
        return any(s <= wall < e for s, e in ranges)

    start = policies.local_minutes(days[0], 0, tz)
    end = policies.local_minutes(days[-1], 1440, tz)
    # every span starts and ends on a 5-minute bucket (DST moves whole hours): compare bucket by bucket
    assert all(s % 5 == 0 and e % 5 == 0 for s, e in spans)
    assert {m for m in covered(spans) if m % 5 == 0} == {m for m in range(start, end, 5) if works(m)}


# -- fair assignment ----------------------------------------------------------------------------------------


def test_pick_advisor_takes_the_fewest_bookings_and_says_why() -> None:
    ana, bob, cho = Candidate("adv_a", "Ana", 2), Candidate("adv_b", "Bob", 1), Candidate("adv_c", "Chloé", 3)
    chosen, why = policies.pick_advisor([ana, bob, cho])
    assert chosen == bob
    assert why == "Bob: fewest bookings this week (1) among 3 qualified advisors free then (Ana 2, Chloé 3)."
    # ties: by name, then id
    chosen, _ = policies.pick_advisor([Candidate("adv_z", "Zoé", 0), Candidate("adv_y", "Ana", 0)])
    assert chosen.advisor_id == "adv_y"
    chosen, _ = policies.pick_advisor([Candidate("adv_2", "Sam", 0), Candidate("adv_1", "Sam", 0)])
    assert chosen.advisor_id == "adv_1"
    # one only, or a named one
    assert policies.pick_advisor([cho]) == (cho, "Chloé: the only qualified advisor free then.")
    assert policies.pick_advisor([ana, bob, cho], "adv_c") == (cho, "Chloé, as asked.")
    with pytest.raises(ValueError):
        policies.pick_advisor([])
    with pytest.raises(ValueError):
        policies.pick_advisor([ana, bob], "adv_c")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=1, max_size=5), st.integers(1, 40))
def test_round_robin_evens_out_the_bookings(start_counts: list[int], bookings: int) -> None:
    counts = dict(enumerate(start_counts))
    for _ in range(bookings):
        chosen, _ = policies.pick_advisor([Candidate(f"adv_{i}", "Same", n) for i, n in counts.items()])
        assert chosen.bookings == min(counts.values())
        counts[int(chosen.advisor_id.removeprefix("adv_"))] += 1
    # once the least booked caught up, nobody is more than one booking ahead of anybody
    if bookings >= sum(max(start_counts) - n for n in start_counts):
        assert max(counts.values()) - min(counts.values()) <= 1


# -- the small rules ----------------------------------------------------------------------------------------


def test_status_machine_cut_off_buckets_and_channels() -> None:
    assert policies.may_move("held", "booked") and policies.may_move("booked", "checked_in")
    assert policies.may_move("checked_in", "completed") and policies.may_move("booked", "no_show")
    for done in ("completed", "no_show", "cancelled", "expired"):
        assert not any(policies.may_move(done, s) for s in policies.TRANSITIONS)
    assert not policies.may_move("checked_in", "cancelled") and not policies.may_move("held", "checked_in")
    starts = datetime(2027, 3, 23, 10, 0, tzinfo=UTC)
    assert not policies.within_cutoff(starts - timedelta(hours=24), starts, 24 * 60)
    assert policies.within_cutoff(starts - timedelta(hours=24) + timedelta(seconds=1), starts, 24 * 60)
    assert policies.buckets((600, 620)) == [600, 605, 610, 615]
    assert policies.channel_kind(None) == "back-office"
    assert policies.channel_kind("store:st_paris_rivoli") == "store"
    assert policies.channel_kind("web") == "web"
    assert policies.bookable_on(["store"], "back-office") and policies.bookable_on(["store"], "system")
    assert policies.bookable_on(["web"], "web") and not policies.bookable_on(["store"], "web")
    assert policies.parse_hhmm("24:00") == 1440
    for bad in ("24:05", "10:60", "1000", "ab:cd"):
        with pytest.raises(ValueError):
            policies.parse_hhmm(bad)


def test_bounds_are_strictly_after_now_and_at_least_the_notice_ahead() -> None:
    now = datetime(2027, 3, 22, 8, 15, 30, tzinfo=UTC)
    earliest, latest = policies.bounds(now, 0, 1)
    # 08:15 has begun: the first start is 08:16 (the search then offers it on its step)
    assert policies.instant(earliest) > now and policies.instant(earliest - 1) <= now
    assert latest == minute(now) + 24 * 60
    earliest, _ = policies.bounds(now, 60, 1)
    assert policies.instant(earliest) >= now + timedelta(minutes=60)
    assert policies.instant(earliest - 1) < now + timedelta(minutes=60)
    on_the_minute = datetime(2027, 3, 22, 8, 15, tzinfo=UTC)
    assert policies.bounds(on_the_minute, 60, 1)[0] == minute(on_the_minute) + 60
    assert policies.bounds(on_the_minute, 0, 1)[0] == minute(on_the_minute) + 1


# -- the search through the service, against an oracle ------------------------------------------------------


@dataclass
class AdvisorCase:
    weekly: list[list[tuple[int, int]]]  # per weekday, local minutes
    exceptions: dict[int, list[tuple[int, int]]]  # per day index of the search
    leaves: list[tuple[int, int, int]]  # (day index, local start minute, length)


@dataclass
class PlaceCase:
    weekly: list[list[tuple[int, int]]]
    reserved: dict[int, tuple[int, int]]  # per weekday: one range kept for seniors
    special: dict[int, Any]  # per day index: "closed" or (ranges, reserved range or None)


@dataclass
class Case:
    zone: str
    first_day: date
    place: PlaceCase
    advisors: list[AdvisorCase]
    shape: Shape
    audience: str | None
    min_notice: int
    now_offset_min: int  # from the first day's local midnight
    now_seconds: int
    bookings: list[int]  # which oracle starts to book, one after the other
    busy: dict[int, list[Span]] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)

    @property
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(SEARCH_DAYS)]

    @property
    def now(self) -> datetime:
        midnight = datetime.combine(self.first_day, time(0, 0), tzinfo=self.tz).astimezone(UTC)
        return midnight + timedelta(minutes=self.now_offset_min, seconds=self.now_seconds)


SEARCH_DAYS = 4
advisor_st = st.builds(
    AdvisorCase,
    weekly=st.lists(busy_day_st, min_size=7, max_size=7),
    exceptions=st.dictionaries(st.integers(0, SEARCH_DAYS - 1), day_ranges_st, max_size=1),
    leaves=st.lists(
        st.tuples(st.integers(0, SEARCH_DAYS - 1), st.integers(5 * 60, 23 * 60), st.integers(1, 240)),
        max_size=2,
    ),
)
range_st = st.tuples(quarter_st, quarter_st).filter(lambda p: p[0] != p[1]).map(lambda p: tuple(sorted(p)))
special_st = st.one_of(st.just("closed"), st.tuples(busy_day_st.filter(bool), st.none() | range_st))
place_st = st.builds(
    PlaceCase,
    weekly=st.lists(busy_day_st, min_size=7, max_size=7),
    reserved=st.dictionaries(st.integers(0, 6), range_st, max_size=3),
    special=st.dictionaries(st.integers(0, SEARCH_DAYS - 1), special_st, max_size=2),
)
case_st = st.builds(
    Case,
    zone=st.sampled_from([z for z, _ in CHANGES]),
    first_day=st.just(date(2000, 1, 1)),
    place=place_st,
    advisors=st.lists(advisor_st, min_size=1, max_size=2),
    shape=st.builds(
        Shape,
        duration=st.sampled_from([10, 15, 30, 45, 60, 90]),
        before=st.sampled_from([0, 5, 15]),
        after=st.sampled_from([0, 10, 15]),
    ),
    audience=st.none() | st.just("seniors"),
    min_notice=st.sampled_from([0, 60, 600]),
    now_offset_min=st.integers(-12 * 60, 30 * 60),
    now_seconds=st.sampled_from([0, 30]),
    bookings=st.lists(st.integers(0, 10_000), max_size=3),
).flatmap(
    # the first day comes with the zone: the four days around one of its clock changes
    lambda c: st.sampled_from([d for z, d in CHANGES if z == c.zone]).map(
        lambda d: Case(**{**c.__dict__, "first_day": d})
    )
)


def place_open(case: Case, m: int) -> bool:
    """Is the place open at minute ``m`` for the service's public (exceptional days first)?"""
    day, wall = local_of(m, case.tz)
    if day not in case.days:
        return False
    index, weekday = case.days.index(day), day.weekday()
    general: list[tuple[int, int]] = case.place.weekly[weekday]
    reserved = [case.place.reserved[weekday]] if weekday in case.place.reserved else []
    if index in case.place.special:
        special = case.place.special[index]
        if special == "closed":
            return False
        general, kept = special
        reserved = [kept] if kept else []
    inside = any(s <= wall < e for s, e in general) and not any(s <= wall < e for s, e in reserved)
    return inside or (case.audience == "seniors" and any(s <= wall < e for s, e in reserved))


def advisor_works(case: Case, advisor: AdvisorCase, m: int) -> bool:
    day, wall = local_of(m, case.tz)
    if day not in case.days:
        return False
    index = case.days.index(day)
    ranges = advisor.exceptions[index] if index in advisor.exceptions else advisor.weekly[day.weekday()]
    return any(s <= wall < e for s, e in ranges)


def leave_spans(case: Case, advisor: AdvisorCase) -> list[Span]:
    return [
        (
            policies.local_minutes(case.days[d], start, case.tz),
            policies.local_minutes(case.days[d], start, case.tz) + n,
        )
        for d, start, n in advisor.leaves
    ]


def oracle(case: Case) -> dict[int, list[int]]:
    """Every start the search must offer, with the advisors (their index) free for it."""
    shape, tz = case.shape, case.tz
    first = policies.local_minutes(case.days[0], 0, tz)
    last = policies.local_minutes(case.days[-1], 1440, tz)
    out: dict[int, list[int]] = {}
    for s in range(first - first % shape.step, last, shape.step):
        at = policies.instant(s)
        if at <= case.now or at < case.now + timedelta(minutes=case.min_notice) or s < first:
            continue
        if not all(place_open(case, m) for m in range(s, s + shape.duration, 5)):
            continue
        b0, b1 = shape.block(s)
        free = [
            i
            for i, advisor in enumerate(case.advisors)
            if all(advisor_works(case, advisor, m) for m in range(b0, b1, 5))
            and not any(x < b1 and b0 < y for x, y in [*leave_spans(case, advisor), *case.busy.get(i, [])])
        ]
        if free:
            out[s] = free
    return out


class World:
    """One test's database, reset for each example: two staff people who become the advisors."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.people = [
            make_person(db, Role.ADVISOR, ["st_paris_rivoli"], email=f"prop{i}@comptoir.example").id
            for i in range(2)
        ]
        self.examples = itertools.count()

    def reset(self) -> None:
        with UnitOfWork(self.db) as uow:
            for model in (Claim, Session, WaitlistEntry, Appointment, Leave, Resource, Service, Advisor):
                uow.session.execute(delete(model))
            uow.commit()

    def build(self, case: Case) -> tuple[str, str, list[str]]:
        n = next(self.examples)
        place_id = f"st_prop_{n}"
        days = case.days
        special = []
        for index, value in case.place.special.items():
            if value == "closed":
                special.append({"date": days[index].isoformat(), "closed": True, "reason": "Grève"})
            else:
                ranges, kept = value
                special.append(
                    {
                        "date": days[index].isoformat(),
                        "ranges": [{"opens": hhmm(s), "closes": hhmm(e)} for s, e in ranges],
                        "reserved": [{"opens": hhmm(kept[0]), "closes": hhmm(kept[1]), "audience": "seniors"}]
                        if kept
                        else [],
                    }
                )
        with UnitOfWork(self.db) as uow:
            stores.create_place(
                uow,
                place_in(
                    place_id,
                    timezone=case.zone,
                    hours={
                        "weekly": [
                            {"day": policies.WEEKDAYS[d], "opens": hhmm(s), "closes": hhmm(e)}
                            for d, ranges in enumerate(case.place.weekly)
                            for s, e in ranges
                        ],
                        "reserved": [
                            {
                                "day": policies.WEEKDAYS[d],
                                "opens": hhmm(s),
                                "closes": hhmm(e),
                                "audience": "seniors",
                            }
                            for d, (s, e) in case.place.reserved.items()
                        ],
                    },
                    special_days=special,
                ),
            )
            service = appointments.create_service(
                uow,
                ServiceIn(
                    code=f"prop-{n}",
                    kind="styling",
                    names={"fr": "Conseil", "en": "Advice"},
                    duration_min=case.shape.duration,
                    buffer_before_min=case.shape.before,
                    buffer_after_min=case.shape.after,
                    channels=["web"],
                    skills=["styling"],
                    location="places",
                    place_ids=[place_id],
                    audience=case.audience,
                    min_notice_min=case.min_notice,
                    horizon_days=60,
                ),
            )
            advisor_ids = []
            for person, advisor in zip(self.people, case.advisors, strict=False):
                appointments.put_advisor(
                    uow,
                    person,
                    AdvisorIn(
                        skills=["styling"],
                        place_ids=[place_id],
                        weekly=[
                            {
                                "day": policies.WEEKDAYS[d],
                                "start": hhmm(s),
                                "end": hhmm(e),
                                "place_id": place_id,
                            }
                            for d, ranges in enumerate(advisor.weekly)
                            for s, e in ranges
                        ],
                        exceptions=[
                            {
                                "date": days[index].isoformat(),
                                "ranges": [
                                    {"start": hhmm(s), "end": hhmm(e), "place_id": place_id} for s, e in r
                                ],
                            }
                            for index, r in advisor.exceptions.items()
                        ],
                    ),
                )
                for start, end in leave_spans(case, advisor):
                    appointments.add_leave(
                        uow, person, LeaveIn(starts_at=policies.instant(start), ends_at=policies.instant(end))
                    )
                advisor_ids.append(person)
            uow.commit()
        return place_id, service.id, advisor_ids

    def search(self, case: Case, service_id: str, place_id: str) -> set[int]:
        query = appointments.SlotQuery(
            service_id=service_id, first_day=case.days[0], days=SEARCH_DAYS, place_ids=(place_id,)
        )
        with UnitOfWork(self.db, read_only=True) as uow:
            found = appointments.search_slots(uow, query, "web", case.now)
        out: set[int] = set()
        for place in found.places:
            assert place.timezone == case.zone
            for day in place.days:
                seen: set[str] = set()
                for text in day.times:
                    # the hour an autumn night repeats is listed twice: its second time is the later one
                    local = datetime.combine(day.date, time.fromisoformat(text), tzinfo=case.tz)
                    out.add(minute(local.replace(fold=1 if text in seen else 0)))
                    seen.add(text)
        return out


@pytest.fixture
def world(db: Database) -> Iterator[World]:
    yield World(db)
    clock.set_clock(None)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(case=case_st)
def test_the_search_offers_exactly_the_open_free_starts_and_each_can_be_booked(
    world: World, case: Case
) -> None:
    world.reset()
    clock.set_clock(lambda: case.now)
    place_id, service_id, advisor_ids = world.build(case)
    case.busy = {}
    # the search offers exactly what the oracle finds: inside the place's hours for this public, never
    # across a closure, inside an advisor's hours, clear of their leaves; on the right local times
    offered = world.search(case, service_id, place_id)
    assert offered == set(oracle(case))
    event(f"offered: {'none' if not offered else 'few' if len(offered) < 10 else 'many'}")

    # booking offered starts one after the other: each is taken, by an advisor who was free for it
    for pick in case.bookings:
        expected = oracle(case)
        if not expected:
            break
        start = sorted(expected)[pick % len(expected)]
        with UnitOfWork(world.db) as uow:
            try:
                out = appointments.book(
                    uow,
                    BookIn(
                        slot=SlotIn(
                            service_id=service_id, place_id=place_id, starts_at=policies.instant(start)
                        ),
                        person={"given_name": "Prop", "email": "prop@example.com"},
                    ),
                )
            except Problem as exc:  # pragma: no cover - the failure message says which start
                raise AssertionError(f"offered {policies.instant(start)} refused: {exc}") from exc
            uow.commit()
        index = advisor_ids.index(out.advisor_id)
        assert index in expected[start]
        case.busy.setdefault(index, []).append(case.shape.block(start))
        event("booked one")

    # then never a start over a booking or its buffers (the oracle counts them as taken)
    if case.bookings:
        assert world.search(case, service_id, place_id) == set(oracle(case))
    with world.db.engine.connect() as conn:
        blocks = conn.execute(
            select(Appointment.advisor_id, Appointment.block_start, Appointment.block_end).where(
                Appointment.status == "booked"
            )
        ).all()
    for (a1, s1, e1), (a2, s2, e2) in itertools.combinations(blocks, 2):
        assert a1 != a2 or e1 <= s2 or e2 <= s1


def test_a_place_open_round_the_clock_offers_starts_over_midnight(world: World) -> None:
    # A place and an advisor there around the clock, over the autumn clock change in Paris: midnight
    # is no closure, so an hour's service may start at 23:30 (and the 25-hour Sunday has 100 quarters)
    always = [[(0, 1440)] for _ in range(7)]
    case = Case(
        zone="Europe/Paris",
        first_day=date(2027, 10, 29),
        place=PlaceCase(weekly=always, reserved={}, special={}),
        advisors=[AdvisorCase(weekly=always, exceptions={}, leaves=[])],
        shape=Shape(60),
        audience=None,
        min_notice=0,
        now_offset_min=-60,
        now_seconds=0,
        bookings=[],
    )
    clock.set_clock(lambda: case.now)
    place_id, service_id, _ = world.build(case)
    offered = world.search(case, service_id, place_id)
    assert offered == set(oracle(case))
    late = minute(datetime(2027, 10, 29, 23, 30, tzinfo=PARIS))
    assert late in offered
    sunday = [m for m in offered if local_of(m, PARIS)[0] == date(2027, 10, 31)]
    assert len(sunday) == 25 * 4
    with UnitOfWork(world.db) as uow:
        out = appointments.book(
            uow,
            BookIn(
                slot=SlotIn(service_id=service_id, place_id=place_id, starts_at=policies.instant(late)),
                person={"given_name": "Nuit", "email": "nuit@example.com"},
            ),
        )
        uow.commit()
    assert out.ends_at == datetime(2027, 10, 30, 0, 30, tzinfo=PARIS)
