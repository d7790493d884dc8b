"""The kernel's great-circle distance: known distances, and the properties any distance must have."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comptoir.core.geo import EARTH_RADIUS_KM, GeoPoint, distance_km, distances_km

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)
points = st.tuples(latitudes, longitudes)
HALF_CIRCUMFERENCE = math.pi * EARTH_RADIUS_KM
# Near antipodes asin is steep: float rounding there moves a distance by up to ~0.2 m, hence 1 m of slack.


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((48.8530, 2.3499), (45.7578, 4.8320), 392),  # Paris Notre-Dame → Lyon Bellecour
        ((48.8566, 2.3522), (51.5074, -0.1278), 344),  # Paris → London
        ((0.0, 0.0), (0.0, 180.0), 20015),  # half the equator
        ((90.0, 0.0), (-90.0, 0.0), 20015),  # pole to pole
    ],
)
def test_known_distances(a: tuple[float, float], b: tuple[float, float], km: int) -> None:
    assert round(distance_km(*a, *b)) == km


@given(points)
def test_a_point_is_at_no_distance_from_itself(a: tuple[float, float]) -> None:
    assert distance_km(*a, *a) == 0.0


@given(points, points)
def test_distance_is_symmetric_and_bounded(a: tuple[float, float], b: tuple[float, float]) -> None:
    there, back = distance_km(*a, *b), distance_km(*b, *a)
    assert there == pytest.approx(back, abs=1e-3)
    assert 0.0 <= there <= HALF_CIRCUMFERENCE + 1e-3


@given(points, points, points)
def test_the_triangle_inequality_holds(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float]
) -> None:
    assert distance_km(*a, *c) <= distance_km(*a, *b) + distance_km(*b, *c) + 1e-3


@given(points, st.lists(points, max_size=20))
def test_the_batch_loop_answers_as_the_single_pair(
    a: tuple[float, float], others: list[tuple[float, float]]
) -> None:
    batch = distances_km(GeoPoint.of(*a), [GeoPoint.of(*b) for b in others])
    assert batch == pytest.approx([distance_km(*a, *b) for b in others], abs=1e-3)
