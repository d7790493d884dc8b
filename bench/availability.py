"""Inventory's hot paths: the nearest-stores availability call over HTTP next to a bare FastAPI endpoint,
and reservations per second on PostgreSQL. ``GET /v1/me`` on the same server is measured too: it is
the foundation's ceiling for any authenticated endpoint (key check, rate limit, metrics, middleware).

Availability: 20 stores and 2 warehouses around Paris, 100,000 SKUs each stocked in ~60 % of the places
(1.3 M stock rows; ``--quick``: 10,000 SKUs), SQLite as embedded by default (``--availability-url``
for another database). Both servers run one uvicorn worker, driven by the same load generator
(``bench/_http.py``) with the same number of connections, in interleaved rounds (bare, availability,
``/v1/me``, again and again): each endpoint meets the same drift of a shared machine, and the ratio
is that of the medians (the per-round ratios are printed too). The call is
``GET /v1/inventory/availability/nearest?sku=…&lat=…&lon=…&limit=5`` with an API key: authentication,
one Core query (stock joined to inventory's place read model), distances, open status and pickup
promise of the 5 nearest, JSON.

Reservations: ``reserve`` (two lines, a guarded UPDATE each) and ``release`` through the service on
PostgreSQL, 8 threads, each in its own unit of work (``--pg-url`` or ``COMPTOIR_TEST_DATABASE_URL``; a
scratch database is created and dropped).

``--profile`` also prints the top of a cProfile of the service call.

    .venv/bin/python bench/availability.py           # 5 rounds of 3 s per endpoint
    .venv/bin/python bench/availability.py --quick   # 3 rounds of 2 s per endpoint, 10,000 SKUs
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, insert, text

from bench._http import interleaved, start_bare, start_comptoir, stop

STORES = 20
WAREHOUSES = 2
ORIGIN = (48.8566, 2.3522)  # Paris, Hôtel de Ville
WEEK = [
    {"day": d, "opens": "09:00", "closes": "21:00"}
    for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
]


def _place(uow: Any, index: int, kind: str, rng: random.Random) -> str:
    from comptoir.stores import service as stores
    from comptoir.stores.schemas import PlaceIn

    prefix = "st" if kind == "store" else "wh"
    ident = f"{prefix}_bench_{index:02d}"
    stores.create_place(
        uow,
        PlaceIn.model_validate(
            {
                "id": ident,
                "kind": kind,
                "name": f"Bench {kind} {index}",
                "address": {"lines": ["1 rue de Rivoli"], "postal_code": "75001", "locality": "Paris"},
                "latitude": ORIGIN[0] + rng.uniform(-0.3, 0.3),
                "longitude": ORIGIN[1] + rng.uniform(-0.45, 0.45),
                "services": ["click_and_collect", "ship_from_store"] if kind == "store" else [],
                "hours": {"weekly": WEEK},
            }
        ),
    )
    return ident


def build(url: str, skus: int) -> tuple[list[str], list[str]]:
    """Places through the stores service, then stock rows in bulk (the bench's own fixture: rows are
    inserted directly, without their receipt movements, to keep the setup short)."""
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.inventory import service
    from comptoir.inventory.models import Stock

    rng = random.Random(7)
    db = Database(url)
    with UnitOfWork(db) as uow:
        places = [_place(uow, i, "store", rng) for i in range(STORES)]
        places += [_place(uow, i, "warehouse", rng) for i in range(WAREHOUSES)]
        service.sync_places(uow)
        uow.commit()
    now = datetime.now(UTC)
    names = [f"SKU-{i:06d}" for i in range(skus)]
    batch: list[dict[str, Any]] = []
    with db.engine.begin() as conn:
        for n, sku in enumerate(names):
            for p, place in enumerate(places):
                if (n * 31 + p * 17) % 10 < 6:
                    batch.append(
                        {
                            "sku": sku,
                            "place_id": place,
                            "on_hand": (n + p) % 12,
                            "reserved": 0,
                            "safety_stock": 1 if p % 3 == 0 else 0,
                            "aisle": f"A{p % 9 + 1}",
                            "shelf": str(n % 6 + 1),
                            "bin": str(n % 40 + 1),
                            "updated_at": now,
                        }
                    )
            if len(batch) >= 20_000:
                conn.execute(insert(Stock.__table__), batch)
                batch.clear()
        if batch:
            conn.execute(insert(Stock.__table__), batch)
        if db.is_sqlite:
            conn.exec_driver_sql("ANALYZE")
    db.dispose()
    return names, places


def profile_service(url: str, sku: str, calls: int) -> str:
    from comptoir.core.db import Database
    from comptoir.inventory import service

    db = Database(url)
    profiler = cProfile.Profile()
    service.nearest_json(db, sku, lat=ORIGIN[0], lon=ORIGIN[1])
    t0 = time.perf_counter()
    profiler.enable()
    for _ in range(calls):
        service.nearest_json(db, sku, lat=ORIGIN[0], lon=ORIGIN[1])
    profiler.disable()
    per_call = (time.perf_counter() - t0) / calls
    db.dispose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    return f"service_call_ms_under_profiler: {per_call * 1000:.3f}\n" + out.getvalue()


def service_rate(url: str, sku: str, seconds: float) -> float:
    """The route's work without HTTP: read connection, query, JSON."""
    from comptoir.core.db import Database
    from comptoir.inventory import service

    db = Database(url)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        service.nearest_json(db, sku, lat=ORIGIN[0], lon=ORIGIN[1])
        count += 1
    db.dispose()
    return count / (time.perf_counter() - start)


# -- reservations on PostgreSQL ---------------------------------------------------------------------------


def reservations_per_second(pg_url: str, seconds: float, threads: int = 8) -> tuple[float, int]:
    from comptoir.core.db import Database
    from comptoir.core.migrate import upgrade
    from comptoir.core.uow import UnitOfWork
    from comptoir.inventory import service
    from comptoir.inventory.schemas import MovementIn, ReserveIn, ReserveLine

    if pg_url.startswith("postgresql://"):
        pg_url = "postgresql+psycopg://" + pg_url[len("postgresql://") :]
    base, _, _ = pg_url.rpartition("/")
    name = f"comptoir_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{base}/{name}"
    try:
        upgrade(url)
        rng = random.Random(11)
        db = Database(url, pool_size=threads)
        with UnitOfWork(db) as uow:
            places = [_place(uow, i, "store", rng) for i in range(STORES)]
            service.sync_places(uow)
            for n in range(200):
                for place in places:
                    service.record_movement(
                        uow,
                        MovementIn(
                            kind="receipt",
                            sku=f"SKU-{n:06d}",
                            place_id=place,
                            quantity=10**6,
                            reference="bench",
                        ),
                    )
            uow.commit()
        done = threading.Event()
        counts = [0] * threads
        refused = [0] * threads

        def worker(index: int) -> None:
            local = random.Random(index)
            n = 0
            while not done.is_set():
                reference = f"bench-{index}-{n}"
                place = places[local.randrange(STORES)]
                lines = [
                    ReserveLine(sku=f"SKU-{local.randrange(200):06d}", place_id=place, quantity=1)
                    for _ in range(2)
                ]
                try:
                    with UnitOfWork(db) as uow:
                        service.reserve(uow, ReserveIn(reference=reference, kind="cart", lines=lines))
                        uow.commit()
                    counts[index] += 1
                except service.OutOfStock:
                    refused[index] += 1
                with UnitOfWork(db) as uow:
                    service.release(uow, reference)
                    uow.commit()
                n += 1

        pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        start = time.perf_counter()
        for t in pool:
            t.start()
        time.sleep(seconds)
        done.set()
        for t in pool:
            t.join()
        elapsed = time.perf_counter() - start
        db.dispose()
        return sum(counts) / elapsed, sum(refused)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 SKUs, 3 s per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--availability-url", default=None, help="database for availability (default: SQLite)"
    )
    parser.add_argument("--pg-url", default=os.environ.get("COMPTOIR_TEST_DATABASE_URL"))
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    skus, duration, rounds = (10_000, 2.0, 3) if args.quick else (100_000, 3.0, 5)

    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.db import Database
    from comptoir.core.migrate import upgrade
    from comptoir.core.uow import UnitOfWork
    from comptoir.domains import load_models

    load_models()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.availability_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        t0 = time.perf_counter()
        names, places = build(url, skus)
        print(f"places: {len(places)}")
        print(f"skus: {skus}")
        print(f"setup_seconds: {time.perf_counter() - t0:.1f}")
        db = Database(url)
        with UnitOfWork(db) as uow:
            token = create_key(
                uow, ApiKeyCreate(name="bench", scopes=["inventory:read"], channel="web")
            ).token
            uow.commit()
        db.dispose()
        sku = names[len(names) // 2]
        print(f"service_calls_per_s: {service_rate(url, sku, 2.0 if args.quick else 4.0):.0f}")
        if args.profile:
            print(profile_service(url, sku, 2000))

        bare_proc, bare_base = start_bare(Path(tmp) / "bare.log")
        server, base = start_comptoir(url, Path(tmp) / "server.log")
        try:
            target = (
                f"{base}/v1/inventory/availability/nearest?sku={sku}&lat={ORIGIN[0]}&lon={ORIGIN[1]}&limit=5"
            )
            auth = {"Authorization": f"Bearer {token}"}
            found = interleaved(
                {
                    "bare": (f"{bare_base}/bare", {}),
                    "availability": (target, auth),
                    # The foundation's own ceiling: an authenticated endpoint that does no domain work.
                    "me": (f"{base}/v1/me", auth),
                },
                rounds=rounds,
                duration=duration,
                connections=args.connections,
            )
        finally:
            stop(server)
            stop(bare_proc)
    bare, avail, me = found["bare"], found["availability"], found["me"]

    print(f"connections: {args.connections}")
    print(f"rounds: {rounds}")
    print(f"seconds_per_endpoint_per_round: {duration:g}")
    print(f"bare_fastapi_rps: {bare.rps:.0f}")
    print(f"bare_fastapi_p99_ms: {bare.p99_ms:.2f}")
    print(f"availability_nearest_rps: {avail.rps:.0f}")
    print(f"availability_nearest_p50_ms: {avail.p50_ms:.2f}")
    print(f"availability_nearest_p99_ms: {avail.p99_ms:.2f}")
    print(f"availability_nearest_errors: {avail.errors}")
    print(f"ratio_rps_availability_to_bare: {avail.rps / bare.rps:.2f}")
    print(
        "ratio_rps_availability_to_bare_per_round: "
        + " ".join(f"{a.rps / b.rps:.2f}" for a, b in zip(avail.rounds, bare.rounds, strict=True))
    )
    print(f"authenticated_me_rps: {me.rps:.0f}")
    print(f"ratio_rps_authenticated_me_to_bare: {me.rps / bare.rps:.2f}")
    print(f"ratio_rps_availability_to_authenticated_me: {avail.rps / me.rps:.2f}")
    if args.pg_url:
        rate, refused = reservations_per_second(args.pg_url, 3.0 if args.quick else 8.0)
        print(f"reservations_per_s_postgresql: {rate:.0f}")
        print(f"reservations_refused: {refused}")
    else:
        print("reservations_per_s_postgresql: skipped (give --pg-url or COMPTOIR_TEST_DATABASE_URL)")


if __name__ == "__main__":
    main()
