"""Hours rules without a database: exceptional dates, DST changes, reserved hours, text forms."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from comptoir.stores import geocode, policies
from comptoir.stores.policies import Hours, Range, Reserved, SpecialDay

PARIS = "Europe/Paris"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def shop(**kwargs) -> Hours:  # type: ignore[no-untyped-def]
    """Mo-Sa 09:00-19:00 in Paris unless told otherwise."""
    weekly = kwargs.pop("weekly", {d: (Range.parse("09:00", "19:00"),) for d in range(6)})
    return Hours(timezone=kwargs.pop("timezone", PARIS), weekly=weekly, **kwargs)


# -- weekly hours and time zones ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (utc(2026, 1, 12, 7, 59), False),  # Monday 08:59 in Paris (UTC+1)
        (utc(2026, 1, 12, 8, 0), True),  # 09:00 opening
        (utc(2026, 1, 12, 17, 59), True),
        (utc(2026, 1, 12, 18, 0), False),  # 19:00 closing is exclusive
        (utc(2026, 1, 18, 12, 0), False),  # Sunday
        (utc(2026, 7, 13, 7, 0), True),  # Monday 09:00 in summer (UTC+2)
        (utc(2026, 7, 13, 6, 59), False),
    ],
    ids=["before", "opening", "last-minute", "closing", "sunday", "summer-opening", "summer-before"],
)
def test_is_open_at_follows_local_wall_time(at: datetime, expected: bool) -> None:
    assert policies.is_open_at(shop(), at) is expected


def test_same_hours_in_another_time_zone_are_other_instants() -> None:
    reunion = shop(timezone="Indian/Reunion")  # UTC+4, no DST
    assert policies.is_open_at(reunion, utc(2026, 1, 12, 5, 0)) is True  # 09:00 in Saint-Denis
    assert policies.is_open_at(shop(), utc(2026, 1, 12, 5, 0)) is False  # 06:00 in Paris


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        policies.is_open_at(shop(), datetime(2026, 1, 12, 10, 0))


# -- DST changes -------------------------------------------------------------------------------------


def test_night_range_across_the_spring_gap_is_one_hour_shorter() -> None:
    # 29 March 2026: at 02:00 Paris clocks jump to 03:00. A 00:00-06:00 night shift lasts 5 hours.
    night = shop(weekly={6: (Range.parse("00:00", "06:00"),)})
    (start, end), *_ = policies.utc_intervals(night, date(2026, 3, 29))
    assert (start, end) == (utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 4, 0))
    assert end - start == (utc(2026, 1, 1, 5) - utc(2026, 1, 1, 0))


def test_range_starting_inside_the_spring_gap_starts_at_the_jump() -> None:
    odd = shop(weekly={6: (Range.parse("02:30", "05:00"),)})
    assert policies.utc_intervals(odd, date(2026, 3, 29)) == [
        (utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 3, 0))
    ]


def test_night_range_across_the_autumn_change_is_one_hour_longer() -> None:
    # 25 October 2026: at 03:00 clocks go back to 02:00. 00:00-06:00 lasts 7 hours.
    night = shop(weekly={6: (Range.parse("00:00", "06:00"),)})
    [(start, end)] = policies.utc_intervals(night, date(2026, 10, 25))
    assert (start, end) == (utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 5, 0))


def test_opening_at_9_is_8_utc_in_winter_and_7_utc_in_summer() -> None:
    assert policies.utc_intervals(shop(), date(2026, 3, 28))[0][0] == utc(2026, 3, 28, 8, 0)
    assert policies.utc_intervals(shop(), date(2026, 3, 30))[0][0] == utc(2026, 3, 30, 7, 0)


def test_next_opening_over_the_dst_weekend() -> None:
    # Saturday 28 March 19:30 → next opening Monday 30 March 09:00 CEST = 07:00 UTC.
    window = policies.next_opening(shop(), utc(2026, 3, 28, 18, 30))
    assert window == policies.Window(utc(2026, 3, 30, 7, 0), utc(2026, 3, 30, 17, 0))


# -- exceptional dates --------------------------------------------------------------------------------


def test_exceptional_closure_replaces_the_weekly_hours() -> None:
    christmas = date(2026, 12, 25)  # a Friday
    hours = shop(special={christmas: SpecialDay(christmas, True, reason="Noël")})
    assert policies.is_open_at(hours, utc(2026, 12, 25, 10, 0)) is False
    assert policies.is_open_at(hours, utc(2026, 12, 24, 10, 0)) is True
    assert policies.next_opening(hours, utc(2026, 12, 25, 10, 0)) == policies.Window(
        utc(2026, 12, 26, 8, 0), utc(2026, 12, 26, 18, 0)
    )


def test_exceptional_opening_on_a_sunday_and_shorter_hours_on_christmas_eve() -> None:
    sunday, eve = date(2026, 12, 20), date(2026, 12, 24)
    hours = shop(
        special={
            sunday: SpecialDay(sunday, False, (Range.parse("11:00", "18:00"),)),
            eve: SpecialDay(eve, False, (Range.parse("09:00", "17:00"),)),
        }
    )
    assert policies.is_open_at(hours, utc(2026, 12, 20, 12, 0)) is True
    assert policies.is_open_at(hours, utc(2026, 12, 24, 16, 30)) is False  # 17:30 local
    assert policies.next_opening(hours, utc(2026, 12, 19, 19, 0)) == policies.Window(
        utc(2026, 12, 20, 10, 0), utc(2026, 12, 20, 17, 0)
    )


def test_lockdown_weeks_of_closed_days_then_reopening() -> None:
    days = [date(2020, 3, 17) + timedelta(days=i) for i in range(56)]
    hours = shop(special={d: SpecialDay(d, True, reason="Confinement") for d in days})
    window = policies.next_opening(hours, utc(2020, 3, 17, 10, 0))
    assert window is not None
    assert window.opens_at == utc(2020, 5, 12, 7, 0)  # Tuesday 12 May 2020, 09:00 CEST


def test_a_closed_status_is_never_open() -> None:
    closed = shop(status="temporarily_closed")
    assert policies.is_open_at(closed, utc(2026, 1, 12, 10, 0)) is False
    assert policies.next_opening(closed, utc(2026, 1, 12, 10, 0)) is None


def test_adjacent_windows_are_joined_for_a_24_hour_place() -> None:
    always = shop(weekly={d: (Range.parse("00:00", "24:00"),) for d in range(7)})
    window = policies.next_opening(always, utc(2026, 1, 12, 10, 0))
    assert window is not None
    assert window.opens_at == utc(2026, 1, 11, 23, 0)  # the window holding `at` starts at Monday 00:00
    assert window.closes_at is None  # never closes within the join horizon
    assert policies.is_open_at(always, utc(2026, 1, 12, 23, 30)) is True  # 00:30 Tuesday


# -- reserved hours -------------------------------------------------------------------------------------


def test_reserved_hours_are_closed_to_the_public_and_open_to_their_audience() -> None:
    seniors = Reserved(Range.parse("09:00", "10:00"), "seniors")
    hours = shop(reserved={1: (seniors,)})  # Tuesdays
    tuesday_0930 = utc(2026, 1, 13, 8, 30)
    assert policies.is_open_at(hours, tuesday_0930) is False
    assert policies.is_open_at(hours, tuesday_0930, "seniors") is True
    assert policies.is_open_at(hours, tuesday_0930, "at_risk") is False
    assert policies.next_opening(hours, utc(2026, 1, 13, 7, 0)) == policies.Window(
        utc(2026, 1, 13, 9, 0), utc(2026, 1, 13, 18, 0)
    )
    assert policies.next_opening(hours, utc(2026, 1, 13, 7, 0), "seniors") == policies.Window(
        utc(2026, 1, 13, 8, 0), utc(2026, 1, 13, 18, 0)
    )


def test_reserved_hours_before_opening_add_to_the_audience_day() -> None:
    early = Reserved(Range.parse("08:00", "09:00"), "at_risk")
    schedule = policies.day_schedule(shop(reserved={0: (early,)}), date(2026, 1, 12))
    assert policies.open_ranges(schedule) == [Range.parse("09:00", "19:00")]
    assert policies.open_ranges(schedule, "at_risk") == [Range.parse("08:00", "19:00")]


def test_reserved_hours_on_an_exceptional_day() -> None:
    day = date(2020, 3, 24)
    special = SpecialDay(
        day, False, (Range.parse("09:00", "19:00"),), (Reserved(Range.parse("09:00", "10:00"), "seniors"),)
    )
    hours = shop(special={day: special})
    assert policies.is_open_at(hours, utc(2020, 3, 24, 8, 30)) is False
    assert policies.is_open_at(hours, utc(2020, 3, 24, 8, 30), "seniors") is True


def test_week_days_marks_special_days() -> None:
    christmas = date(2026, 12, 25)
    week = policies.week_days(
        shop(special={christmas: SpecialDay(christmas, True, reason="Noël")}), christmas
    )
    assert week[0].day == date(2026, 12, 21)
    assert [(d.closed, d.special) for d in week] == [(False, False)] * 4 + [
        (True, True),
        (False, False),
        (True, False),
    ]


# -- text forms ----------------------------------------------------------------------------------------


def test_weekly_text_groups_consecutive_days_and_round_trips() -> None:
    text = "Mo 14:00-19:00; Tu-Fr 09:00-12:00,14:00-19:00; Sa 09:00-19:00"
    weekly = policies.parse_weekly(text)
    assert weekly[2] == (Range.parse("09:00", "12:00"), Range.parse("14:00", "19:00"))
    assert 6 not in weekly
    assert policies.format_weekly(weekly) == text


def test_reserved_and_special_texts_round_trip() -> None:
    reserved = "Sa 08:00-09:00 at_risk; Tu-Th 09:30-10:00 seniors"  # canonical: by audience
    assert policies.format_reserved(policies.parse_reserved(reserved)) == reserved
    special = "2026-12-24 09:00-17:00; 2026-12-25 closed; 2027-03-17 08:00-19:00 seniors 08:00-09:00"
    assert policies.format_special(policies.parse_special(special)) == special


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Mo 19:00-09:00", "not a range within one day"),
        ("Mo 09:00-12:00,11:00-14:00", "overlap"),
        ("Mo-Fr 09:00-19:00; Fr 10:00-12:00", "given twice"),
        ("Xx 09:00-19:00", "not a day"),
        ("Fr-Mo 09:00-19:00", "backwards"),
        ("Mo 25:00-26:00", "not a time of day"),
    ],
)
def test_bad_weekly_text_is_refused(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        policies.parse_weekly(text)


# -- geography and rights -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "department"),
    [("69003", "69"), ("01000", "01"), ("20000", "2A"), ("20200", "2B"), ("97400", "974"), ("98800", "988")],
)
def test_department_of_a_postcode(postcode: str, department: str) -> None:
    assert policies.department_of(postcode) == department


def test_distance_paris_lyon() -> None:
    # Notre-Dame de Paris to Place Bellecour: 392 km as the crow flies.
    assert round(policies.distance_km(48.8530, 2.3499, 45.7578, 4.8320)) == 392


@pytest.mark.parametrize(
    ("postcode", "locality", "near"),
    [
        ("75001", "Paris 1er Arrondissement", (48.86, 2.34)),
        ("69003", "Lyon 3e Arrondissement", (45.76, 4.85)),
        ("13008", "Marseille 8e Arrondissement", (43.27, 5.38)),
        ("33000", "Bordeaux", (44.84, -0.58)),
        ("97400", "Saint-Denis", (-20.88, 55.45)),
        ("1000", "Bourg-en-Bresse", (46.20, 5.22)),  # the leading zero lost in a spreadsheet
    ],
)
def test_postcodes_are_geocoded_offline(postcode: str, locality: str, near: tuple[float, float]) -> None:
    point = geocode.lookup(postcode)
    assert point is not None
    assert point.locality == locality
    assert policies.distance_km(point.latitude, point.longitude, *near) < 3


def test_unknown_postcode_has_no_point() -> None:
    assert geocode.lookup("00000") is None


def test_store_bound_keys_change_their_own_store_only() -> None:
    assert policies.may_change_place(None, "st_lyon") is True
    assert policies.may_change_place("st_lyon", "st_lyon") is True
    assert policies.may_change_place("st_lyon", "st_paris") is False
    assert policies.may_run_bulk("st_lyon") is False


def test_overseas_time_zones_follow_the_postcode() -> None:
    assert policies.default_timezone("FR", "97400", "Europe/Paris") == "Indian/Reunion"
    assert policies.default_timezone("FR", "69003", "Europe/Paris") == "Europe/Paris"
