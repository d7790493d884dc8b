"""The pure rules of surveys, by example and by property: NPS and CSAT computed as their definitions say
(hand-computed cases), within their ranges whatever the answers, consistent when groups are merged; what
a click counts for (a scanner opening every link counts for nothing until the customer confirms); the
calendar periods on the retailer's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.engagement import survey_policies as rules
from comptoir.engagement.survey_policies import Answer, after_click, bucket, buckets, counts, csat, nps

PARIS = ZoneInfo("Europe/Paris")
nps_scores = st.lists(st.integers(0, 10), max_size=200)
csat_scores = st.lists(st.integers(1, 5), max_size=200)


# -- by example ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "promoters", "passives", "detractors", "score"),
    [
        ([10, 9, 8, 6, 3], 2, 1, 2, 0.0),
        ([10, 10, 7], 2, 1, 0, 66.7),
        ([0, 6, 6], 0, 0, 3, -100.0),
        ([9], 1, 0, 0, 100.0),
        ([7, 8], 0, 2, 0, 0.0),
        ([10, 9, 8, 6, 3, 10, 10, 7], 4, 2, 2, 25.0),
    ],
    ids=["balanced", "two-thirds", "all-detractors", "one-promoter", "passives-only", "merged"],
)
def test_nps_is_the_share_of_promoters_minus_the_share_of_detractors(
    scores: list[int], promoters: int, passives: int, detractors: int, score: float
) -> None:
    found = nps(scores)
    assert (found.promoters, found.passives, found.detractors) == (promoters, passives, detractors)
    assert found.answers == len(scores) and found.score == score


def test_halves_are_rounded_away_from_zero() -> None:
    assert nps([9, 0, 0, 0, 9, 0, 0, 7] * 2).score == -37.5  # exact
    assert rules.rounded(Fraction(-125, 4), 1) == -31.3 and rules.rounded(Fraction(125, 4), 1) == 31.3
    assert csat([5, 4, 4, 4, 4, 4, 4, 4]).mean == 4.13  # 4.125


def test_no_answer_has_no_score() -> None:
    assert nps([]).score is None and csat([]).mean is None and csat([]).satisfied_percent is None


@pytest.mark.parametrize(
    ("scores", "mean", "satisfied"), [([5, 4, 2], 3.67, 66.7), ([1, 1], 1.0, 0.0), ([4, 5, 5, 3], 4.25, 75.0)]
)
def test_csat_is_the_mean_and_the_share_of_four_and_five(
    scores: list[int], mean: float, satisfied: float
) -> None:
    found = csat(scores)
    assert (found.mean, found.satisfied_percent) == (mean, satisfied)


@pytest.mark.parametrize(
    ("kind", "score"), [("nps", -1), ("nps", 11), ("csat", 0), ("csat", 6), ("stars", 3)]
)
def test_a_score_off_the_scale_is_refused(kind: str, score: int) -> None:
    with pytest.raises(ValueError, match=kind if kind == "stars" else "from"):
        rules.check_score(kind, score)


def test_the_question_comes_from_the_template_and_the_touchpoint_from_the_subject() -> None:
    assert (rules.kind_of("survey_nps"), rules.kind_of("survey_csat"), rules.kind_of("order_ready")) == (
        "nps",
        "csat",
        None,
    )
    assert rules.touchpoint_of("order_id") == "order"
    assert rules.touchpoint_of("appointment_id") == "appointment"
    assert rules.touchpoint_of("live_session_id") == "live_session"
    assert rules.touchpoint_of("ticket_id") == "service_ticket"
    assert rules.channel_kind("store:st_paris_rivoli") == "store" and rules.channel_kind("web") == "web"


# -- what a click counts for ----------------------------------------------------------------------------------


def test_one_click_is_provisional_and_counts() -> None:
    answer = after_click(None, 9)
    assert answer == Answer("provisional", 9) and counts(answer.state)
    assert after_click(answer, 9) == answer  # the same link opened again: nothing changes


def test_a_scanner_opening_every_link_counts_for_nothing_until_the_customer_confirms() -> None:
    answer: Answer | None = None
    for score in range(11):
        answer = after_click(answer, score)
    assert answer is not None and answer.state == "ambiguous" and not counts(answer.state)
    assert after_click(answer, 9).state == "ambiguous"  # the customer's own click after it: still unsure
    assert counts("confirmed")


def test_a_confirmed_answer_is_not_changed_by_a_click() -> None:
    confirmed = Answer("confirmed", 3)
    assert after_click(confirmed, 10) == confirmed


@given(st.lists(st.integers(0, 10), min_size=1, max_size=30))
def test_clicks_alone_count_only_when_they_all_named_one_score(clicks: list[int]) -> None:
    answer: Answer | None = None
    for score in clicks:
        answer = after_click(answer, score)
    assert answer is not None
    assert counts(answer.state) == (len(set(clicks)) == 1)
    assert answer.score == clicks[-1]


# -- by property ------------------------------------------------------------------------------------------------


@given(nps_scores)
def test_nps_lies_between_minus_100_and_100_and_counts_every_answer(scores: list[int]) -> None:
    found = nps(scores)
    assert found.promoters + found.passives + found.detractors == found.answers == len(scores)
    if scores:
        assert found.score is not None and -100 <= found.score <= 100
        exact = Fraction(100 * (found.promoters - found.detractors), len(scores))
        assert found.exact == exact and abs(found.score - float(exact)) <= 0.05 + 1e-9


@given(st.lists(st.integers(9, 10), min_size=1), st.lists(st.integers(0, 6), min_size=1))
def test_only_promoters_make_100_and_only_detractors_minus_100(
    promoters: list[int], detractors: list[int]
) -> None:
    assert nps(promoters).score == 100 and nps(detractors).score == -100


@given(nps_scores, nps_scores)
def test_merging_two_groups_gives_the_nps_of_all_their_answers(first: list[int], second: list[int]) -> None:
    a, b, both = nps(first), nps(second), nps(first + second)
    assert both.promoters == a.promoters + b.promoters and both.detractors == a.detractors + b.detractors
    if a.answers and b.answers:  # the merged NPS lies between the two groups'
        low, high = sorted([a.exact, b.exact])  # type: ignore[type-var]
        assert both.exact is not None and low <= both.exact <= high


@given(csat_scores)
def test_csat_mean_lies_between_1_and_5_and_the_satisfied_share_between_0_and_100(scores: list[int]) -> None:
    found = csat(scores)
    if scores:
        assert found.mean is not None and 1 <= found.mean <= 5
        assert found.satisfied_percent is not None and 0 <= found.satisfied_percent <= 100
        assert found.satisfied == sum(1 for s in scores if s >= 4)


@given(st.lists(st.tuples(st.sampled_from(["a", "b", None]), st.integers(0, 10)), max_size=60))
def test_grouping_keeps_every_answer_once(rows: list[tuple[str | None, int]]) -> None:
    grouped = rules.group((key, "nps", score, 1) for key, score in rows)
    assert sum(s.nps.answers for s in grouped.values()) == len(rows)
    assert set(grouped) == {key for key, _ in rows}


@given(
    st.lists(st.tuples(st.sampled_from(["nps", "csat"]), st.integers(0, 10), st.integers(0, 50)), max_size=40)
)
def test_counts_summarise_as_the_answers_they_count(counts: list[tuple[str, int, int]]) -> None:
    counts = [(kind, score if kind == "nps" else 1 + score % 5, n) for kind, score, n in counts]
    summary = rules.summarise(counts)
    assert summary.nps == nps([s for kind, s, n in counts if kind == "nps" for _ in range(n)])
    assert summary.csat == csat([s for kind, s, n in counts if kind == "csat" for _ in range(n)])


# -- periods --------------------------------------------------------------------------------------------------


def test_periods_are_named_by_their_first_day_on_the_retailer_s_clock() -> None:
    sunday_night = datetime(2027, 6, 6, 22, 30, tzinfo=UTC)  # Monday 00:30 in Paris
    assert bucket(sunday_night, "day", PARIS) == date(2027, 6, 7)
    assert bucket(sunday_night, "week", PARIS) == date(2027, 6, 7)
    assert bucket(sunday_night, "month", PARIS) == date(2027, 6, 1)
    assert bucket(sunday_night, "day", ZoneInfo("UTC")) == date(2027, 6, 6)
    with pytest.raises(ValueError, match="aware"):
        bucket(datetime(2027, 6, 6), "day", PARIS)


def test_every_period_of_a_range_in_order() -> None:
    assert buckets(date(2027, 1, 30), date(2027, 3, 2), "month") == [
        date(2027, 1, 1),
        date(2027, 2, 1),
        date(2027, 3, 1),
    ]
    assert buckets(date(2027, 6, 9), date(2027, 6, 21), "week") == [
        date(2027, 6, 7),
        date(2027, 6, 14),
        date(2027, 6, 21),
    ]
    assert len(buckets(date(2027, 1, 1), date(2027, 12, 31), "day")) == 365


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_an_instant_falls_in_the_period_that_starts_on_or_before_its_day(at: datetime) -> None:
    day = at.astimezone(PARIS).date()
    for period in ("day", "week", "month"):
        start = bucket(at, period, PARIS)  # type: ignore[arg-type]
        assert start <= day < start + timedelta(days={"day": 1, "week": 7, "month": 31}[period])
        assert start in buckets(day - timedelta(days=40), day, period)  # type: ignore[arg-type]


ZONES = ["Europe/Paris", "America/Cayenne", "Indian/Reunion", "Pacific/Marquesas", "America/Miquelon", "UTC"]


@given(
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)),
    st.integers(1, 400),
    st.lists(st.floats(0, 1), min_size=1, max_size=20),
)
def test_the_offsets_of_a_range_read_every_instant_as_the_zone_does(
    name: str, start: datetime, days: int, fractions: list[float]
) -> None:
    """What SQLite is told (an offset per segment) gives every instant of the range its local time."""
    zone = ZoneInfo(name)
    end = start + timedelta(days=days)
    segments = rules.offsets(start, end, zone)
    assert segments[0][0] == start and [s for s, _ in segments] == sorted(s for s, _ in segments)
    for fraction in fractions:
        at = start + (end - start) * fraction
        offset = next(o for since, o in reversed(segments) if since <= at)
        assert at + timedelta(seconds=offset) == at.astimezone(zone).replace(tzinfo=UTC)


def test_paris_changes_its_clock_twice_a_year_at_01_00_utc() -> None:
    segments = rules.offsets(datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC), PARIS)
    assert segments == [
        (datetime(2027, 1, 1, tzinfo=UTC), 3600),
        (datetime(2027, 3, 28, 1, tzinfo=UTC), 7200),
        (datetime(2027, 10, 31, 1, tzinfo=UTC), 3600),
    ]
