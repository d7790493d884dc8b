"""Stores hot paths other domains call: batch opening status and nearest places (SQLite, one process).

Prints ``name: value`` lines; the baseline is one Core point select in the same run.
``--quick``: 300 places instead of 3,000.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from comptoir.core.db import Base, Database
from comptoir.core.uow import UnitOfWork
from comptoir.domains import load_models
from comptoir.stores import service
from comptoir.stores.models import Place
from comptoir.stores.schemas import PlaceIn

AT = datetime(2026, 3, 16, 11, 0, tzinfo=UTC)


def rate(fn: Callable[[], object], seconds: float) -> float:
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        count += 1
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    places, seconds = (300, 2.0) if args.quick else (3000, 5.0)
    load_models()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/bench.db")
        Base.metadata.create_all(db.engine)
        t0 = time.perf_counter()
        with UnitOfWork(db) as uow:
            for i in range(places):
                service.create_place(
                    uow,
                    PlaceIn.model_validate(
                        {
                            "id": f"st_bench_{i:05d}",
                            "name": f"Store {i}",
                            "address": {"lines": ["1 rue"], "postal_code": "69002", "locality": "Lyon"},
                            "latitude": rng.uniform(42.5, 51.0),
                            "longitude": rng.uniform(-4.5, 7.5),
                            "services": ["click_and_collect"] if i % 2 else ["ship_from_store"],
                            "hours": {
                                "weekly": [
                                    {"day": d, "opens": "10:00", "closes": "19:00"}
                                    for d in (
                                        "monday",
                                        "tuesday",
                                        "wednesday",
                                        "thursday",
                                        "friday",
                                        "saturday",
                                    )
                                ]
                            },
                            "special_days": [{"date": "2026-12-25", "closed": True}],
                        }
                    ),
                )
            uow.commit()
        print(f"stores_create_per_s: {places / (time.perf_counter() - t0):.0f}")
        ids = [f"st_bench_{i:05d}" for i in range(0, places, max(1, places // 100))][:100]
        with UnitOfWork(db, read_only=True) as uow:
            baseline = rate(
                lambda: uow.session.execute(select(Place.id).where(Place.id == ids[0])).all(), seconds
            )
            status = rate(lambda: service.opening_status(uow, ids, AT), seconds)
            one = rate(lambda: service.opening_status(uow, ids[:1], AT), seconds)
            nearest = rate(
                lambda: service.nearest_places(uow, postcode="69003", service="click_and_collect", limit=5),
                seconds,
            )
            nearest_50 = rate(
                lambda: service.nearest_places(uow, lat=45.76, lon=4.84, max_km=50, limit=5), seconds
            )
        print(f"baseline_core_point_select_per_s: {baseline:.0f}")
        print(f"opening_status_1_place_per_s: {one:.0f}")
        print(f"opening_status_100_places_per_s: {status:.1f}")
        print(f"opening_status_100_places_vs_baseline: {status / baseline:.4f}")
        print(f"nearest_by_postcode_{places}_places_per_s: {nearest:.1f}")
        print(f"nearest_within_50km_{places}_places_per_s: {nearest_50:.1f}")
        db.dispose()


if __name__ == "__main__":
    main()
