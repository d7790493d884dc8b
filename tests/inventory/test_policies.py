"""Pure rules: available to promise, holds, pickup promises, count variance, SGTIN-96."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.inventory import policies

NOW = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)  # Monday 11:00 in Paris


@pytest.mark.parametrize(
    ("on_hand", "reserved", "safety", "expected"),
    [(10, 3, 2, 5), (10, 0, 0, 10), (5, 5, 0, 0), (5, 4, 2, 0), (3, 5, 0, 0)],
    ids=["plain", "nothing-held", "all-held", "safety-eats-the-rest", "oversold-shows-zero"],
)
def test_available_to_promise_is_on_hand_minus_reserved_minus_safety(
    on_hand, reserved, safety, expected
) -> None:  # type: ignore[no-untyped-def]
    assert policies.available_to_promise(on_hand, reserved, safety) == expected


def test_holds_expire_by_kind_unless_the_caller_says_when() -> None:
    assert policies.hold_expiry("cart", NOW, None) == NOW + timedelta(minutes=60)
    assert policies.hold_expiry("checkout", NOW, None) == NOW + timedelta(minutes=20)
    assert policies.hold_expiry("reserve_collect", NOW, None) == NOW + timedelta(hours=72)
    assert policies.hold_expiry("order", NOW, None) is None
    later = NOW + timedelta(minutes=5)
    assert policies.hold_expiry("cart", NOW, later) == later


def test_lines_for_the_same_sku_and_place_are_added_and_sorted_in_key_order() -> None:
    lines = [("B", "st_2", 1), ("A", "st_9", 2), ("B", "st_2", 3), ("A", "st_1", 1)]
    assert policies.merge_lines(lines) == [("A", "st_1", 1), ("A", "st_9", 2), ("B", "st_2", 4)]


def test_a_store_key_writes_only_its_own_store() -> None:
    assert policies.may_write_place(None, "st_opera")
    assert policies.may_write_place("st_opera", "st_opera")
    assert not policies.may_write_place("st_opera", "st_lyon")


def test_pickup_within_two_hours_when_open_long_enough() -> None:
    promise = policies.pickup_promise(NOW, True, NOW + timedelta(hours=8), None)
    assert promise == policies.Promise("within", NOW + timedelta(hours=2), 120)


def test_pickup_from_next_opening_when_closing_too_soon() -> None:
    tomorrow = NOW + timedelta(hours=23)
    promise = policies.pickup_promise(NOW, True, NOW + timedelta(hours=1), None, next_after_close=tomorrow)
    assert promise == policies.Promise("from", tomorrow + timedelta(hours=2), 25 * 60)


def test_pickup_from_next_opening_when_closed() -> None:
    opens = NOW + timedelta(minutes=30)
    promise = policies.pickup_promise(NOW, False, None, opens, preparation_minutes=60)
    assert promise == policies.Promise("from", opens + timedelta(minutes=60), 90)


def test_no_pickup_promise_from_a_place_that_never_opens() -> None:
    assert policies.pickup_promise(NOW, False, None, None) is None


def test_a_full_count_counts_what_was_not_read_at_zero() -> None:
    result = policies.compare_count({"A": 5, "B": 2, "C": 0, "D": 1}, {"A": 5, "B": 3, "E": 4})
    assert [(v.sku, v.expected, v.counted, v.delta) for v in result.variances] == [
        ("B", 2, 3, 1),
        ("D", 1, 0, -1),
        ("E", 0, 4, 4),
    ]
    assert (result.skus_accurate, result.skus_compared) == (1, 4)
    assert (result.units_expected, result.units_counted, result.units_variance) == (8, 12, 6)
    assert result.sku_accuracy == 0.25
    assert result.unit_accuracy == 0.5


def test_a_perfect_count_is_fully_accurate() -> None:
    result = policies.compare_count({"A": 5}, {"A": 5})
    assert (result.sku_accuracy, result.unit_accuracy, result.variances) == (1.0, 1.0, [])


def test_the_gs1_sgtin96_example_decodes_to_its_gtin() -> None:
    # GS1 EPC Tag Data Standard: urn:epc:id:sgtin:0614141.812345.6789
    tag = policies.decode_sgtin96("3074257BF7194E4000001A85")
    assert tag == policies.Sgtin(gtin14="80614141123458", serial=6789, filter=3)
    assert tag.gtin13 is None


@pytest.mark.parametrize(
    "epc",
    [
        "",
        "3074257BF7194E4000001A8",
        "zz74257BF7194E4000001A85",
        "E280116060000209F2F3A1B2",
        "urn:epc:id:sgtin:1.2.3",
    ],
    ids=["empty", "short", "not-hex", "tid-not-sgtin", "uri"],
)
def test_what_is_not_an_sgtin96_decodes_to_none(epc: str) -> None:
    assert policies.decode_sgtin96(epc) is None


def _gtin13(body12: str) -> str:
    return body12 + str(policies.gtin_check_digit(body12))


@given(
    body=st.integers(min_value=0, max_value=10**12 - 1),
    serial=st.integers(min_value=0, max_value=2**38 - 1),
    company_digits=st.sampled_from([6, 7, 8, 9, 10, 11, 12]),
)
def test_encoding_then_decoding_gives_back_the_gtin_and_serial(
    body: int, serial: int, company_digits: int
) -> None:
    gtin = _gtin13(f"{body:012d}")
    tag = policies.decode_sgtin96(policies.encode_sgtin96(gtin, serial, company_digits=company_digits))
    assert tag is not None
    assert (tag.gtin13, tag.serial) == (gtin, serial)


def _haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance as the textbook writes it (the reference for the one-loop version)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * policies.EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def test_distance_paris_to_lyon_is_about_391_km() -> None:
    paris, lyon = policies.GeoPoint.of(48.8566, 2.3522), policies.GeoPoint.of(45.7640, 4.8357)
    assert [round(km) for km in policies.distances_km(paris, [lyon])] == [391]


def _reference_promise(
    now: datetime,
    open_now: bool,
    closes_at: datetime | None,
    next_opening: datetime | None,
    preparation_minutes: int,
    next_after_close: datetime | None,
) -> policies.Promise | None:
    """The rule as first written, before it was split into a plan per minute and a comparison."""
    preparation = timedelta(minutes=preparation_minutes)
    if open_now and (closes_at is None or now + preparation <= closes_at):
        return policies.Promise("within", now + preparation, preparation_minutes)
    start = next_after_close if open_now else next_opening
    if start is None:
        return None
    ready = start + preparation
    return policies.Promise("from", ready, max(0, math.ceil((ready - now).total_seconds() / 60)))


_MOMENT = st.one_of(
    st.none(), st.integers(-3000, 3000).map(lambda m: NOW + timedelta(minutes=m, seconds=m % 7))
)


@given(
    now_offset=st.integers(-120, 120),
    open_now=st.booleans(),
    closes_at=_MOMENT,
    next_opening=_MOMENT,
    preparation=st.integers(0, 600),
    next_after_close=_MOMENT,
)
def test_the_promise_plan_gives_the_rule_s_answer_at_any_moment(
    now_offset: int,
    open_now: bool,
    closes_at: datetime | None,
    next_opening: datetime | None,
    preparation: int,
    next_after_close: datetime | None,
) -> None:
    now = NOW + timedelta(seconds=now_offset)
    plan = policies.promise_plan(
        open_now,
        closes_at,
        next_opening,
        preparation_minutes=preparation,
        next_after_close=next_after_close,
    )
    assert policies.promise_at(plan, now) == _reference_promise(
        now, open_now, closes_at, next_opening, preparation, next_after_close
    )


@given(
    points=st.lists(st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9)), min_size=0, max_size=12),
    origin=st.tuples(st.floats(-89.9, 89.9), st.floats(-179.9, 179.9)),
)
def test_distances_in_one_loop_are_the_haversine_of_each_point(
    points: list[tuple[float, float]], origin: tuple[float, float]
) -> None:
    got = policies.distances_km(policies.GeoPoint.of(*origin), [policies.GeoPoint.of(*p) for p in points])
    assert got == pytest.approx([_haversine_km(*origin, *p) for p in points], abs=1e-6)
