"""Appointments: the slot search through the API next to bare FastAPI, and bookings per second on
PostgreSQL against the raw writes of a booking.

The retailer (``bench/_appointments.py``): 50 stores over France, 200 advisors with weekly hours,
skills and languages, 5 services of 30 to 90 minutes with buffers, and 20 % of every advisor's
working time over the next 30 days already booked — loaded alike into SQLite and a scratch
PostgreSQL database, then checked against the engine.

Slot search. Each request asks ``GET /v1/appointments/slots?service_id=…&first_day=…&days=30&
language=…&postcode=…`` with the web's publishable key and a CORS ``Origin``: a service drawn at
random, a first day within the coming week, one of the service's languages, and a French postcode
drawn from the whole postcode table — the 5 nearest places with a qualified advisor, 30 days of free
start times each (about 24 kB of JSON). One ``comptoir serve`` (one uvicorn worker) on PostgreSQL
(the production configuration) and one on SQLite, both with a CORS origin configured, are loaded by
the load generator of ``bench/_http.py`` (``--connections``, 8 by default) in interleaved rounds beside
two baselines served alike: ``bare`` (``bench/_bare.py``, a small JSON answer) and ``bare_slots``, a
bare FastAPI endpoint answering a real search's answer (one of median size, built once) through the
route's response model — what FastAPI itself costs for that payload, without the search.
The goal — p95 under 50 ms — is a latency: ``slot_search_api_p50_ms``/``_p95_ms``/``_p99_ms`` are
PostgreSQL's server with one connection, requests one after another (no request waits behind another),
as ``bench/pricing.py`` measures its quote. ``slot_search_api_loaded_*`` are the figures under the
``--connections`` load (medians over the rounds; p99 the worst round's; ``_sqlite`` SQLite's): one
worker on two cores shared with PostgreSQL and the load generator, so their p95 is mostly queueing
(``--connections`` times the server's time per search). ``slot_search_in_process_*``: the search
called in process, without HTTP (``--profile``: with a cProfile of it).

Bookings (``bench/_appointment_bookings.py``). As ``bench/checkout.py`` measures orders: 8 processes
call ``appointments.service.book`` (what ``POST /v1/appointments`` calls), each as a customer of the
web's key, one transaction per booking, on slots drawn at random from what the engine offered
beforehand at every store — ``bookings_per_s`` counts the bookings made, ``bookings_409`` the slots
another process took first. Then 8 processes write, with plain SQL and one transaction each, what a
booking writes: one ``appointments_appointments`` row, the claim rows of its block (``INSERT … ON
CONFLICT DO NOTHING RETURNING``) and one outbox event — ``raw_booking_writes_per_s``;
``bookings_vs_raw_writes`` is their ratio (goal ≥ 0.25). Before them, 8 clients (keep-alive
connections of one process) book through ``POST /v1/appointments`` on the PostgreSQL server, each
signed in as a customer (``X-Customer-Token``): ``bookings_api_*``, with
``bookings_api_vs_raw_writes``.

``--baseline-tree DIR`` (another checkout, e.g. ``git worktree add /tmp/before <commit>``) serves each
database a second time from that tree's source, as ``<name>_baseline``, in the same rounds. The
PostgreSQL server is ``--pg-url``, else as ``bench/_db.py`` says (a scratch database
``comptoir_bench_appointments_…``, dropped after); ``--pg-url ''``: SQLite only, no bookings.

    .venv/bin/python bench/appointments.py           # 5 rounds of 3 s per endpoint, bookings for 10 s
    .venv/bin/python bench/appointments.py --quick   # 3 rounds of 1.2 s, bookings for 2 s (< 60 s)
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench._appointment_bookings import bookings, bookings_in_process, free_slots, raw_writes  # noqa: E402
from bench._db import reachable, scratch_database, server_url  # noqa: E402
from bench._http import (  # noqa: E402
    Interleaved,
    Target,
    TargetPath,
    free_port,
    interleaved,
    print_load,
    spawn_comptoir,
    start_bare,
    stop,
    wait_ready,
)

CORS_ORIGIN = "https://shop.example.com"
DAYS = 30
PAYLOAD_ENV = "COMPTOIR_BENCH_SLOTS_PAYLOAD"


# -- the baseline with the search's payload ----------------------------------------------------------------


def bare_slots_app() -> Any:
    """A bare FastAPI app answering one real search's answer, through the route's response model (a
    sync endpoint, as the route: the same threadpool hop and the same validation and serialisation)."""
    from fastapi import FastAPI

    from comptoir.appointments.schemas import SlotSearchOut

    payload = SlotSearchOut.model_validate_json(Path(os.environ[PAYLOAD_ENV]).read_text())
    app = FastAPI()

    @app.get("/bare/slots", response_model=SlotSearchOut)
    def slots() -> Any:
        return payload

    return app


def spawn_bare_slots(payload: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The bare app with the search's payload, started (not yet waited for)."""
    port = free_port()
    code = (
        f"import uvicorn; uvicorn.run('bench.appointments:bare_slots_app', factory=True, host='127.0.0.1', "
        f"port={port}, log_config=None, access_log=False, proxy_headers=True)"
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        PAYLOAD_ENV: str(payload),
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", code], env=env, cwd=ROOT, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )
    return proc, f"http://127.0.0.1:{port}"


# -- the slot searches -------------------------------------------------------------------------------------


def queries(retailer: Any, today: Any, count: int, seed: int = 3) -> list[str]:
    """``count`` search paths: a random service, first day within the coming week, language among the
    service's, and a French postcode drawn from the whole postcode table."""
    from comptoir.stores import geocode

    postcodes = sorted(geocode._table())
    rng = random.Random(seed)
    codes = sorted(retailer.services)
    paths = []
    for _ in range(count):
        service_id, languages = retailer.services[rng.choice(codes)]
        first_day = today + timedelta(days=rng.randrange(7))
        paths.append(
            f"/v1/appointments/slots?service_id={service_id}&first_day={first_day.isoformat()}&days={DAYS}"
            f"&language={rng.choice(languages)}&postcode={rng.choice(postcodes)}"
        )
    return paths


def _query_of(path: str) -> Any:
    from urllib.parse import parse_qs, urlsplit

    from comptoir.appointments import service as appointments

    args = {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}
    return appointments.SlotQuery(
        service_id=args["service_id"],
        first_day=datetime.fromisoformat(args["first_day"]).date(),
        days=int(args["days"]),
        postcode=args["postcode"],
        language=args["language"],
    )


def in_process(url: str, paths: list[str], calls: int, profile: bool) -> tuple[list[float], str, str]:
    """The search called in process (the route's work without HTTP: service call, then the JSON):
    per-call seconds, the answer of median size, and a cProfile's top if asked for."""
    import cProfile
    import io
    import pstats

    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import SlotSearchOut
    from comptoir.core import clock
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork

    db = Database(url, pool_size=1)

    def one(path: str) -> str:
        with UnitOfWork(db, read_only=True) as uow:
            found = appointments.search_slots(uow, _query_of(path), "web", clock.now())
        return str(SlotSearchOut.model_validate(found).model_dump_json())

    for path in paths[:20]:
        one(path)
    seconds, answers = [], []
    for path in paths[:calls]:
        t0 = time.perf_counter()
        answers.append(one(path))
        seconds.append(time.perf_counter() - t0)
    report = ""
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for path in paths[:calls]:
            one(path)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        report = out.getvalue()
    db.dispose()
    return seconds, sorted(answers, key=len)[len(answers) // 2], report


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def p95_ms(result: Interleaved) -> float:
    """Median over the rounds of each round's 95th percentile."""
    return statistics.median(r.p95_ms for r in result.rounds)


def print_search(name: str, result: Interleaved, bare: Interleaved, bare_slots: Interleaved) -> None:
    print_load(name, result)
    print(f"{name}_p95_ms: {p95_ms(result):.2f}")
    print(f"ratio_rps_{name}_to_bare: {result.rps / bare.rps:.3f}")
    print(f"ratio_rps_{name}_to_bare_slots: {result.rps / bare_slots.rps:.3f}")


# -- the run ---------------------------------------------------------------------------------------------------


def prepare(url: str, label: str) -> Any:
    from bench import _appointments
    from comptoir.core import clock

    t0 = time.perf_counter()
    now = clock.now()
    retailer = _appointments.build(url, now)
    print(f"{label}_setup_seconds: {time.perf_counter() - t0:.1f}")
    print(f"{label}_checked_bookings: {_appointments.check(url, retailer, now)}")
    return retailer


def search_servers(
    stack: ExitStack, tmp: Path, databases: dict[str, tuple[str, Any]], payload: Path, baseline: Path | None
) -> dict[str, Target]:
    """The two baselines and a ``comptoir serve`` per database (CORS configured; and per database from
    the ``baseline`` tree too, as ``<name>_baseline``), started side by side."""
    servers = {}
    trees = {"": ROOT} | ({"_baseline": baseline.resolve()} if baseline else {})
    for name, (url, _) in databases.items():
        for suffix, root in trees.items():
            proc, base = spawn_comptoir(
                url, tmp / f"{name}{suffix}.log", root=root, COMPTOIR_CORS_ORIGINS=CORS_ORIGIN
            )
            stack.callback(stop, proc)
            servers[name + suffix] = (proc, base, databases[name][1])
    slots, slots_base = spawn_bare_slots(payload, tmp / "bare_slots.log")
    stack.callback(stop, slots)
    bare, bare_base = start_bare(tmp / "bare.log")
    stack.callback(stop, bare)
    wait_ready(f"{slots_base}/bare/slots", slots)
    targets = {
        "bare": Target(f"{bare_base}/bare", server_pid=bare.pid),
        "bare_slots": Target(f"{slots_base}/bare/slots", server_pid=slots.pid),
    }
    today = datetime.now(UTC).date()
    for name, (proc, base, retailer) in servers.items():
        wait_ready(f"{base}/healthz", proc)
        headers = {"Authorization": f"Bearer {retailer.key}", "Origin": CORS_ORIGIN}
        paths: list[TargetPath] = list(queries(retailer, today, 4096))
        targets[name] = Target(base, headers, paths, server_pid=proc.pid)
    return targets


def measure_search(
    targets: dict[str, Target], main: str, args: Any, timing: tuple[float, int, float]
) -> None:
    """The interleaved rounds (every target), then ``main`` alone with one connection."""
    duration, rounds, warmup = timing
    found = interleaved(
        targets, rounds=rounds, duration=duration, connections=args.connections, warmup=warmup
    )
    print(f"connections: {args.connections}")
    print(f"rounds: {rounds}")
    print(f"seconds_per_endpoint_per_round: {duration:g}")
    print_load("bare_fastapi", found["bare"])
    print_load("bare_slots", found["bare_slots"])
    print(f"bare_slots_p95_ms: {p95_ms(found['bare_slots']):.2f}")
    for name in targets:
        if name not in ("bare", "bare_slots"):
            label = "slot_search_api_loaded" + name.removeprefix(main).replace("sqlite", "_sqlite")
            print_search(label, found[name], found["bare"], found["bare_slots"])
    # The latency: one connection (no request waits behind another), PostgreSQL (and its baseline tree's).
    alone = {name: targets[name] for name in (main, f"{main}_baseline") if name in targets}
    for name, result in interleaved(
        alone, rounds=1, duration=duration * 2, connections=1, warmup=warmup
    ).items():
        label = "slot_search_api" + name.removeprefix(main)
        print(f"{label}_p50_ms: {result.p50_ms:.2f}")
        print(f"{label}_p95_ms: {p95_ms(result):.2f}")
        print(f"{label}_p99_ms: {result.p99_ms:.2f}")


def measure_bookings(url: str, retailer: Any, target: Target, quick: bool, seconds: float) -> None:
    """The service in 8 processes, then the clients through the API (on the other half of the slots), then
    the raw writes."""
    slots = free_slots(url, retailer, 2 if quick else 5)
    print(f"free_slots_to_book_from: {len(slots)}")
    tokens = [token for _, token in retailer.customers]
    assert target.server_pid is not None
    per_s, refused = bookings_in_process(url, retailer, slots[: len(slots) // 2], seconds)
    print(f"bookings_per_s: {per_s:.1f}")
    print(f"bookings_409: {refused}")
    figures = bookings(target.url, target.server_pid, retailer.key, tokens, slots[len(slots) // 2 :], seconds)
    for name, value in figures.items():
        print(f"{name}: {value:.1f}" if isinstance(value, float) else f"{name}: {value}")
    raw = raw_writes(url, seconds)
    print(f"raw_booking_writes_per_s: {raw:.1f}")
    print(f"bookings_vs_raw_writes: {per_s / raw:.3f}")
    print(f"bookings_api_vs_raw_writes: {figures['bookings_api_per_s'] / raw:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="3 rounds of 1.2 s per endpoint, bookings for 2 s"
    )
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pg-url", default=None, help="PostgreSQL server ('' skips PostgreSQL)")
    parser.add_argument("--profile", action="store_true", help="a cProfile of the search in process")
    parser.add_argument("--baseline-tree", type=Path, default=None, help="another checkout to serve alike")
    args = parser.parse_args()
    duration, rounds, warmup, write_seconds = (1.2, 3, 0.4, 2.0) if args.quick else (3.0, 5, 1.0, 10.0)
    pg = None if args.pg_url == "" else server_url(args.pg_url)
    if pg is not None and not reachable(pg):
        print("postgresql: skipped (the server does not answer)")
        pg = None

    from comptoir.core.migrate import upgrade
    from comptoir.domains import load_models

    load_models()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp_dir, ExitStack() as stack:
        tmp = Path(tmp_dir)
        sqlite = f"sqlite:///{tmp}/bench.db"
        upgrade(sqlite)
        databases = {"sqlite": (sqlite, prepare(sqlite, "sqlite"))}
        if pg is not None:
            pg_url = stack.enter_context(scratch_database(pg, label="bench_appointments"))
            databases["postgresql"] = (pg_url, prepare(pg_url, "postgresql"))
        main_name = "postgresql" if pg is not None else "sqlite"
        main_url, retailer = databases[main_name]
        print(f"places: {len(retailer.places)}")
        print(f"bookings_made_beforehand: {retailer.bookings}")
        print(f"booked_share_of_working_time: {retailer.booked_minutes / retailer.working_minutes:.3f}")
        paths = queries(retailer, datetime.now(UTC).date(), 4096)
        seconds, median_answer, report = in_process(main_url, paths, 60 if args.quick else 300, args.profile)
        print(f"slot_search_in_process_p50_ms: {_ms(seconds, 0.5):.2f}")
        print(f"slot_search_in_process_p95_ms: {_ms(seconds, 0.95):.2f}")
        print(f"slot_search_answer_bytes: {len(median_answer)}")
        if report:
            print(report)
        payload = tmp / "slots.json"
        payload.write_text(median_answer)
        targets = search_servers(stack, tmp, databases, payload, args.baseline_tree)
        measure_search(targets, main_name, args, (duration, rounds, warmup))
        if pg is not None:
            measure_bookings(main_url, retailer, targets[main_name], args.quick, write_seconds)
        else:
            print("bookings_per_s: skipped (no PostgreSQL)")
    print(f"bench_seconds: {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
