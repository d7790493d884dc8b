"""Inventory's hot paths: the nearest-stores availability call over HTTP next to a bare FastAPI endpoint,
and reservations per second on PostgreSQL. ``GET /v1/me`` is measured too: the foundation's ceiling
for any authenticated endpoint (key check, rate limit, metrics, middleware).

Availability: 20 stores and 2 warehouses around Paris, 100,000 SKUs each stocked in ~60 % of the places
(1.3 M stock rows; ``--quick``: 10,000 SKUs), loaded alike into SQLite (embedded) and a scratch
PostgreSQL database. Each request asks a SKU and a position drawn at random (from the SKUs loaded and
the area the places cover): ``GET /v1/inventory/availability/nearest?sku=…&lat=…&lon=…&limit=5`` with
an API key — authentication, one Core query (stock joined to inventory's place read model),
distances, open status and pickup promise of the 5 nearest, JSON.

Three ``comptoir serve`` (one uvicorn worker each) are measured beside a bare FastAPI endpoint served
the same way, by the same load generator (``bench/_http.py``) with the same connections, in
interleaved rounds (bare, then each server, again and again): every endpoint meets the same drift of
a shared machine, and each ratio is that of the medians (per-round ratios printed too):

* ``sqlite``: SQLite, no CORS;
* ``sqlite_cors``: SQLite with a CORS origin configured (a production setting), the requests
  carrying that ``Origin`` as a browser's do;
* ``postgresql``: PostgreSQL, CORS as ``sqlite_cors``.

Reservations (full run only): ``reserve`` (two lines, a guarded UPDATE each) and ``release`` through
the service on PostgreSQL, 8 threads, each in its own unit of work. The PostgreSQL server is
``--pg-url``, else as ``bench/_db.py`` says; ``--pg-url ''`` skips PostgreSQL.

``--profile`` also prints the top of a cProfile of the service call. ``--baseline-tree DIR`` (another
checkout of Comptoir, e.g. ``git worktree add /tmp/before <commit>``) serves each configuration a
second time from that tree's source, named ``<name>_baseline``, in the same interleaved rounds: a
before-and-after comparison that meets the same drift of the machine.

    .venv/bin/python bench/availability.py           # 5 rounds of 3 s per endpoint
    .venv/bin/python bench/availability.py --quick   # 3 rounds of 1.2 s per endpoint, 10,000 SKUs (< 60 s)
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from sqlalchemy import insert

from bench._db import reachable, scratch_database, server_url
from bench._http import ROOT, Target, interleaved, print_load, spawn_comptoir, start_bare, stop, wait_ready

STORES = 20
WAREHOUSES = 2
ORIGIN = (48.8566, 2.3522)  # Paris, Hôtel de Ville
SPREAD = (0.3, 0.45)  # places lie within ORIGIN ± SPREAD (degrees of latitude, longitude)
CORS_ORIGIN = "https://shop.example.com"
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
                "latitude": ORIGIN[0] + rng.uniform(-SPREAD[0], SPREAD[0]),
                "longitude": ORIGIN[1] + rng.uniform(-SPREAD[1], SPREAD[1]),
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


def queries(names: list[str], count: int, seed: int = 3) -> list[tuple[str, float, float]]:
    """``count`` (SKU, latitude, longitude) drawn at random: any SKU loaded, anywhere the places lie."""
    rng = random.Random(seed)
    return [
        (
            rng.choice(names),
            round(ORIGIN[0] + rng.uniform(-SPREAD[0], SPREAD[0]), 4),
            round(ORIGIN[1] + rng.uniform(-SPREAD[1], SPREAD[1]), 4),
        )
        for _ in range(count)
    ]


def profile_service(url: str, asked: list[tuple[str, float, float]], calls: int) -> str:
    from comptoir.core.db import Database
    from comptoir.inventory import service

    db = Database(url)
    profiler = cProfile.Profile()
    service.nearest_json_sync(db, asked[0][0], lat=asked[0][1], lon=asked[0][2])
    t0 = time.perf_counter()
    profiler.enable()
    for i in range(calls):
        sku, lat, lon = asked[i % len(asked)]
        service.nearest_json_sync(db, sku, lat=lat, lon=lon)
    profiler.disable()
    per_call = (time.perf_counter() - t0) / calls
    db.dispose()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(18)
    return f"service_call_ms_under_profiler: {per_call * 1000:.3f}\n" + out.getvalue()


def service_rate(url: str, asked: list[tuple[str, float, float]], seconds: float) -> float:
    """The route's work without HTTP: read connection, query, JSON."""
    from comptoir.core.db import Database
    from comptoir.inventory import service

    db = Database(url)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sku, lat, lon = asked[count % len(asked)]
        service.nearest_json_sync(db, sku, lat=lat, lon=lon)
        count += 1
    db.dispose()
    return count / (time.perf_counter() - start)


# -- reservations on PostgreSQL ---------------------------------------------------------------------------


def reservations_per_second(pg_url: str, seconds: float, threads: int = 8) -> tuple[float, int]:
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.inventory import service
    from comptoir.inventory.schemas import MovementIn, ReserveIn, ReserveLine

    with scratch_database(pg_url, label="bench_reservations") as url:
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


def make_key(url: str) -> str:
    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork

    db = Database(url)
    with UnitOfWork(db) as uow:
        token = create_key(uow, ApiKeyCreate(name="bench", scopes=["inventory:read"], channel="web")).token
        uow.commit()
    db.dispose()
    return token


def prepare(url: str, skus: int, label: str) -> tuple[list[str], str]:
    """The data and an API key in the (migrated) database at ``url``: its SKU names and the key."""
    t0 = time.perf_counter()
    names, _places = build(url, skus)
    print(f"{label}_setup_seconds: {time.perf_counter() - t0:.1f}")
    return names, make_key(url)


def print_figures(found: dict[str, Any], servers: list[str]) -> None:
    bare = found["bare"]
    print_load("bare_fastapi", bare)
    for name in servers:
        avail = found[name]
        print_load(f"availability_{name}", avail)
        print(f"ratio_rps_availability_{name}_to_bare: {avail.rps / bare.rps:.2f}")
        rounds = zip(avail.rounds, bare.rounds, strict=True)
        print(
            f"ratio_rps_availability_{name}_to_bare_per_round: "
            + " ".join(f"{a.rps / b.rps:.2f}" for a, b in rounds)
        )
        _print_cpu_ratio(f"availability_{name}", avail, bare)
    me = found["me"]
    print_load("authenticated_me", me)
    print(f"ratio_rps_authenticated_me_to_bare: {me.rps / bare.rps:.2f}")
    _print_cpu_ratio("authenticated_me", me, bare)


def _print_cpu_ratio(name: str, found: Any, bare: Any) -> None:
    """Bare FastAPI's CPU per request over the server's: the ratio of requests per second the server
    would reach if it had a core to itself (the database server's own CPU not included)."""
    print(
        f"ratio_server_cpu_bare_to_{name}: {bare.server_cpu_us_per_request / found.server_cpu_us_per_request:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="10,000 SKUs, 3 rounds of 1.2 s per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pg-url", default=None, help="PostgreSQL server ('' skips PostgreSQL)")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--baseline-tree", type=Path, default=None, help="another checkout to serve alike")
    args = parser.parse_args()
    skus, duration, rounds, warmup = (10_000, 1.2, 3, 0.4) if args.quick else (100_000, 3.0, 5, 1.0)
    pg = None if args.pg_url == "" else server_url(args.pg_url)
    if pg is not None and not reachable(pg):
        print("postgresql: skipped (the server does not answer)")
        pg = None

    from comptoir.core.migrate import upgrade
    from comptoir.domains import load_models

    load_models()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sqlite = f"sqlite:///{tmp}/bench.db"
        upgrade(sqlite)
        names, token = prepare(sqlite, skus, "sqlite")
        print(f"places: {STORES + WAREHOUSES}")
        print(f"skus: {skus}")
        asked = queries(names, 4096)
        print(f"service_calls_per_s_sqlite: {service_rate(sqlite, asked, 0.5 if args.quick else 4.0):.0f}")
        if args.profile:
            print(profile_service(sqlite, asked, 2000))
        databases = {
            "sqlite": (sqlite, token, {}),
            "sqlite_cors": (sqlite, token, {"COMPTOIR_CORS_ORIGINS": CORS_ORIGIN}),
        }
        if pg is not None:
            pg_db = stack.enter_context(scratch_database(pg, label="bench_availability"))
            pg_names, pg_token = prepare(pg_db, skus, "postgresql")
            assert pg_names == names
            databases["postgresql"] = (pg_db, pg_token, {"COMPTOIR_CORS_ORIGINS": CORS_ORIGIN})
        bare_proc, bare_base = start_bare(Path(tmp) / "bare.log")
        stack.callback(stop, bare_proc)
        servers = {}
        trees = {"": ROOT} | ({"_baseline": args.baseline_tree.resolve()} if args.baseline_tree else {})
        for name, (url, _, extra) in databases.items():
            for suffix, root in trees.items():
                proc, base = spawn_comptoir(url, Path(tmp) / f"{name}{suffix}.log", root=root, **extra)
                stack.callback(stop, proc)
                servers[name + suffix] = (proc, base)
        for proc, base in servers.values():
            wait_ready(f"{base}/healthz", proc)
        paths = [
            f"/v1/inventory/availability/nearest?sku={sku}&lat={lat}&lon={lon}&limit=5"
            for sku, lat, lon in asked
        ]
        targets = {"bare": Target(f"{bare_base}/bare", server_pid=bare_proc.pid)}
        for name, (_, base) in servers.items():
            database = databases[name.removesuffix("_baseline")]
            headers = {"Authorization": f"Bearer {database[1]}"}
            if database[2]:
                headers["Origin"] = CORS_ORIGIN
            targets[name] = Target(base, headers, paths, server_pid=servers[name][0].pid)
        # The foundation's own ceiling: an authenticated endpoint that does no domain work.
        targets["me"] = Target(
            f"{servers['sqlite'][1]}/v1/me",
            {"Authorization": f"Bearer {token}"},
            server_pid=servers["sqlite"][0].pid,
        )
        found = interleaved(
            targets, rounds=rounds, duration=duration, connections=args.connections, warmup=warmup
        )
        print(f"connections: {args.connections}")
        print(f"rounds: {rounds}")
        print(f"seconds_per_endpoint_per_round: {duration:g}")
        print(f"distinct_requests: {len(paths)}")
        print_figures(found, list(servers))
    if pg is not None and not args.quick:
        rate, refused = reservations_per_second(pg, 8.0)
        print(f"reservations_per_s_postgresql: {rate:.0f}")
        print(f"reservations_refused: {refused}")
    else:
        print("reservations_per_s_postgresql: skipped (--quick or no PostgreSQL)")
    print(f"bench_seconds: {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
