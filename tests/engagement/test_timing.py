"""When a step's message is due: from an instant of the journey, whole days on the customer's local
calendar at a fixed local time, then minutes — across the clock changes."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from comptoir.engagement import timing
from comptoir.engagement.schemas import Timing

PARIS = ZoneInfo("Europe/Paris")
REUNION = ZoneInfo("Indian/Reunion")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_j_minus_one_at_ten_is_local_to_the_customer() -> None:
    reminder = Timing(anchor="starts_at", days=-1, at="10:00")
    # an appointment on Wednesday 24 March 2027 at 15:00 in Paris (winter time): Tuesday 10:00 = 09:00 UTC
    assert timing.planned(reminder, utc(2027, 3, 24, 14, 0), PARIS) == utc(2027, 3, 23, 9, 0)
    # on Monday 29 March (summer time since Sunday): Sunday 28 March 10:00 is 08:00 UTC
    assert timing.planned(reminder, utc(2027, 3, 29, 13, 0), PARIS) == utc(2027, 3, 28, 8, 0)
    # in Réunion (UTC+4, no clock change): 10:00 is 06:00 UTC
    assert timing.planned(reminder, utc(2027, 3, 24, 10, 0), REUNION) == utc(2027, 3, 23, 6, 0)


def test_days_count_on_the_local_calendar_not_in_24_hours() -> None:
    # J+30 at the anchor's own local time across the spring change: 14:50 in Paris stays 14:50
    follow_up = Timing(days=30)
    assert timing.planned(follow_up, utc(2027, 3, 24, 13, 50), PARIS) == utc(2027, 4, 23, 12, 50)
    # an anchor just after local midnight counts from its local day, not its UTC one
    next_day = Timing(days=1, at="09:00")
    assert timing.planned(next_day, utc(2027, 1, 10, 23, 30), PARIS) == utc(2027, 1, 12, 8, 0)


def test_minutes_are_added_last_and_a_time_in_the_spring_gap_is_the_jump() -> None:
    assert timing.planned(Timing(minutes=60), utc(2027, 3, 24, 14, 50), PARIS) == utc(2027, 3, 24, 15, 50)
    gap = Timing(days=1, at="02:30")  # 02:30 does not exist on Sunday 28 March 2027 in Paris
    assert timing.planned(gap, utc(2027, 3, 27, 12, 0), PARIS) == utc(2027, 3, 28, 1, 0)


def test_the_anchor_comes_from_the_event_or_the_facts() -> None:
    event_at = utc(2027, 3, 22, 8, 0)
    assert timing.anchor_of(Timing(), {}, event_at) == event_at
    starts = Timing(anchor="starts_at")
    assert timing.anchor_of(starts, {"starts_at": "2027-03-24T14:00:00+00:00"}, event_at) == utc(
        2027, 3, 24, 14
    )
    assert timing.anchor_of(starts, {"starts_at": "soon"}, event_at) is None
    assert timing.anchor_of(starts, {}, event_at) is None


def test_a_step_meant_for_before_its_event_is_too_late() -> None:
    booked_at = utc(2027, 3, 23, 15, 0)
    # booked on Tuesday afternoon for Wednesday: Tuesday 10:00's reminder is not sent late
    assert timing.too_late(utc(2027, 3, 23, 9, 0), booked_at)
    assert not timing.too_late(booked_at, booked_at)
    assert not timing.too_late(utc(2027, 3, 24, 9, 0), booked_at)
