"""Great-circle distances on the mean Earth radius (haversine): the one copy every domain uses.

``distance_km`` answers one pair; ``distances_km`` answers many points from one origin in a single loop,
with each point's radians and cosine computed once (:class:`GeoPoint`), for hot paths that rank places.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import NamedTuple

EARTH_RADIUS_KM = 6371.0088  # the mean radius (IUGG)


class GeoPoint(NamedTuple):
    """A position with its radians and cosine computed once (a place's, reused across requests)."""

    lat: float  # radians
    lon: float  # radians
    cos_lat: float

    @classmethod
    def of(cls, latitude: float, longitude: float) -> GeoPoint:
        lat = math.radians(latitude)
        return cls(lat, math.radians(longitude), math.cos(lat))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two (latitude, longitude) points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distances_km(origin: GeoPoint, points: Iterable[GeoPoint]) -> list[float]:
    """Great-circle distances in km from ``origin`` to each point, in one loop."""
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    lat0, lon0, cos0 = origin.lat, origin.lon, origin.cos_lat
    diameter = 2 * EARTH_RADIUS_KM
    out = []
    for lat, lon, cos_lat in points:
        a = sin((lat - lat0) / 2) ** 2 + cos0 * cos_lat * sin((lon - lon0) / 2) ** 2
        out.append(diameter * asin(min(1.0, sqrt(a))))
    return out
