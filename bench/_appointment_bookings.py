"""The bookings of ``bench/appointments.py``: clients booking through the API, the same bookings through
the service in process, and the raw writes of a booking, all on PostgreSQL.

* :func:`free_slots`: what the engine offers at every store, to book from (shuffled).
* :func:`bookings`: ``CLIENTS`` keep-alive connections (one process, asyncio) posting ``POST
  /v1/appointments``, each signed in as a customer; 201s per second, 409s counted.
* :func:`bookings_in_process`: ``appointments.service.book`` in ``CLIENTS`` processes (the route's work
  without HTTP, as ``bench/checkout.py`` calls the checkout).
* :func:`raw_writes`: what a booking writes — its appointment row, the claim rows of its block, its
  outbox event — with plain SQL, ``CLIENTS`` processes, one transaction each.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import random
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

CLIENTS = 8
DAYS = 30


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def free_slots(url: str, retailer: Any, per_place: int, seed: int = 5) -> list[dict[str, Any]]:
    """Slot bodies for ``POST /v1/appointments``: every start the engine offers at each store for
    ``per_place`` services (a language of each) over the next 30 days, shuffled."""
    from zoneinfo import ZoneInfo

    from comptoir.appointments import service as appointments
    from comptoir.core import clock
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork

    rng = random.Random(seed)
    db = Database(url, pool_size=1)
    now = clock.now()
    found = []
    codes = sorted(retailer.services)
    for place_id in retailer.places:
        for code in rng.sample(codes, per_place):
            service_id, languages = retailer.services[code]
            language = rng.choice(languages)
            query = appointments.SlotQuery(
                service_id=service_id,
                first_day=now.date(),
                days=DAYS,
                place_ids=(place_id,),
                language=language,
            )
            with UnitOfWork(db, read_only=True) as uow:
                out = appointments.search_slots(uow, query, "web", now)
            for place in out.places:
                tz = ZoneInfo(place.timezone)
                for day in place.days:
                    for hhmm in day.times:
                        local = datetime.fromisoformat(f"{day.date.isoformat()}T{hhmm}").replace(tzinfo=tz)
                        if local > now + timedelta(hours=2):  # still offered when the clients run
                            found.append(
                                {
                                    "service_id": service_id,
                                    "place_id": place.place_id,
                                    "starts_at": local.isoformat(),
                                    "language": language,
                                }
                            )
    db.dispose()
    rng.shuffle(found)
    return found


def _post(host: str, port: int, path: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: keep-alive"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _book(
    base: str, key: str, tokens: list[str], slots: list[dict[str, Any]], seconds: float, warmup: float
) -> tuple[Counter[int], list[float], float, int]:
    """``CLIENTS`` keep-alive connections posting bookings, each as its own customer, slots taken in
    turn from ``slots``: the statuses and latencies after ``warmup`` seconds, the seconds measured, and
    every answer (warm-up included)."""
    host, port = base.removeprefix("http://").split(":")
    bodies = iter([json.dumps({"slot": slot}).encode() for slot in slots])
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    start = loop.time()
    measure_from, stop_at = start + warmup, start + warmup + seconds
    ended = [stop_at]
    answered = [0]

    async def client(n: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        headers = {"Authorization": f"Bearer {key}", "X-Customer-Token": tokens[n % len(tokens)]}
        try:
            for body in bodies:
                now = loop.time()
                if now >= stop_at:
                    return
                t0 = time.perf_counter()
                writer.write(_post(host, int(port), "/v1/appointments", headers, body))
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    (
                        int(line[15:])
                        for line in head.split(b"\r\n")
                        if line[:15].lower() == b"content-length:"
                    ),
                    0,
                )
                if length:
                    await reader.readexactly(length)
                answered[0] += 1
                if now >= measure_from:
                    statuses[int(head[9:12])] += 1
                    latencies.append(time.perf_counter() - t0)
            ended[0] = min(ended[0], loop.time())  # the slots ran out before the time did
        finally:
            writer.close()

    await asyncio.gather(*(client(n) for n in range(CLIENTS)))
    return statuses, latencies, max(ended[0] - measure_from, 1e-9), answered[0]


def _book_process(*args: Any) -> tuple[Counter[int], list[float], float, int]:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(_book(*args))


def bookings(
    base: str, server_pid: int, key: str, tokens: list[str], slots: list[dict[str, Any]], seconds: float
) -> dict[str, float]:
    """The 8 clients, from a process of their own: bookings (201) per second and the rest."""
    from bench._http import cpu_seconds

    cpu_before = cpu_seconds(server_pid)
    with mp.get_context("spawn").Pool(1) as pool:
        statuses, latencies, elapsed, answered = pool.apply(
            _book_process, (base, key, tokens, slots, seconds, 1.0)
        )
    cpu = cpu_seconds(server_pid) - cpu_before
    done = statuses.get(201, 0)
    figures = {
        "bookings_api_per_s": done / elapsed,
        "bookings_api_201": done,
        "bookings_api_409": statuses.get(409, 0),
        "bookings_api_other_status": sum(n for s, n in statuses.items() if s not in (201, 409)),
        "booking_api_p50_ms": _ms(latencies, 0.5),
        "booking_api_p99_ms": _ms(latencies, 0.99),
        "booking_api_server_cpu_ms_per_request": cpu / max(1, answered) * 1000,
    }
    if figures["bookings_api_other_status"]:
        print(f"booking_statuses: {dict(statuses)}", file=sys.stderr)
    return figures


# -- the raw writes of a booking ------------------------------------------------------------------------------

_RAW_APPOINTMENT = """INSERT INTO appointments_appointments (id, service_id, place_id, advisor_id, resource_id,
 session_id, starts_at, ends_at, block_start, block_end, timezone, status, hold_expires_at, customer_id, channel,
 language, customer_note, advisor_notes, assignment, sequence, disrupted_at, disruption, alternatives,
 checked_in_at, completed_at, cancelled_at, cancel_reason, version, created_at, updated_at, created_channel,
 created_by_key, updated_channel, updated_by_key)
 VALUES (%s, %s, %s, %s, NULL, NULL, %s, %s, %s, %s, %s, 'booked', NULL, %s, 'web', %s, '', '', %s, 0, NULL, '',
 '[]', NULL, NULL, NULL, '', 1, %s, %s, 'web', %s, 'web', %s)"""
_RAW_OUTBOX = """INSERT INTO core_outbox_events (event_id, type, occurred_at, recorded_at, channel, api_key_id,
 request_id, payload, fanned_out) VALUES (%s, 'appointments.booked', %s, %s, 'web', %s, %s, %s, false)"""


def _raw_writer(url: str, worker: int, model: dict[str, Any], seconds: float, barrier: Any, out: Any) -> None:
    """Booking after booking, each in its own transaction: the appointment row, its claims, its event —
    on a subject of its own, one block after another (no collision)."""
    import psycopg
    from psycopg.types.json import Jsonb

    blocks = model["blocks"]  # buckets per block, in the mix of the services
    subject = f"advisor:raw{worker}_{uuid.uuid4().hex[:8]}"
    cursor = datetime(2031, 1, 6, 9, 0, tzinfo=UTC) + timedelta(days=worker)
    done = 0
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        barrier.wait(timeout=120)
        stop_at = time.perf_counter() + seconds
        t0 = time.perf_counter()
        while time.perf_counter() < stop_at:
            count = blocks[done % len(blocks)]
            apt = f"apt_{uuid.uuid4().hex}"
            end = cursor + timedelta(minutes=5 * count)
            now = datetime.now(UTC)
            with conn.cursor() as cur:
                cur.execute(
                    _RAW_APPOINTMENT,
                    (apt, model["service_id"], model["place_id"], subject, cursor, end, cursor, end,
                     model["timezone"], model["customer_id"], "fr", model["assignment"], now, now,
                     model["key_id"], model["key_id"]),
                )  # fmt: skip
                values = ", ".join(["(%s, %s, 0, %s)"] * count)
                params: list[Any] = []
                for b in range(count):
                    params += [subject, cursor + timedelta(minutes=5 * b), apt]
                cur.execute(
                    f"INSERT INTO appointments_claims (subject, bucket, seat, holder_id) VALUES {values} "
                    "ON CONFLICT DO NOTHING RETURNING bucket",
                    params,
                )
                cur.fetchall()
                payload = {**model["payload"], "appointment_id": apt, "starts_at": cursor.isoformat()}
                cur.execute(
                    _RAW_OUTBOX,
                    (f"evt_{uuid.uuid4().hex}", now, now, model["key_id"], uuid.uuid4().hex, Jsonb(payload)),
                )
            conn.commit()
            cursor = end
            done += 1
        out.put((done, time.perf_counter() - t0))


def raw_writes(url: str, seconds: float) -> float:
    """The raw writes of a booking, by ``CLIENTS`` processes at once: bookings' worth per second. The
    rows are modelled on a booking the API made (its values, its event's payload, the blocks' sizes)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT service_id, place_id, timezone, customer_id, assignment, created_by_key "
                "FROM appointments_appointments WHERE created_by_key IS NOT NULL LIMIT 1"
            )
        ).one()
        payload = conn.execute(
            text("SELECT payload FROM core_outbox_events WHERE type = 'appointments.booked' LIMIT 1")
        ).scalar_one()
        blocks = [
            int(n)
            for (n,) in conn.execute(
                text(
                    "SELECT (EXTRACT(EPOCH FROM block_end - block_start) / 300)::int FROM appointments_appointments "
                    "WHERE created_by_key IS NOT NULL ORDER BY id LIMIT 500"
                )
            )
        ]
    engine.dispose()
    model = {
        "service_id": row.service_id,
        "place_id": row.place_id,
        "timezone": row.timezone,
        "customer_id": row.customer_id,
        "assignment": row.assignment,
        "key_id": row.created_by_key,
        "payload": payload,
        "blocks": blocks,
    }
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(CLIENTS), ctx.Queue()
    procs = [
        ctx.Process(target=_raw_writer, args=(url, n, model, seconds, barrier, out)) for n in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 180) for _ in procs]
    for p in procs:
        p.join()
    return float(sum(n for n, _ in results) / max(s for _, s in results))


# -- bookings in process (the service's work, without HTTP) ------------------------------------------------


def _book_in_process(
    url: str,
    key_id: str,
    customer_id: str,
    slots: list[dict[str, Any]],
    seconds: float,
    barrier: Any,
    out: Any,
) -> None:
    from comptoir.appointments import service as appointments
    from comptoir.appointments.schemas import BookIn, SlotIn
    from comptoir.core.context import Actor
    from comptoir.core.db import Database
    from comptoir.core.errors import Conflict
    from comptoir.core.uow import UnitOfWork

    db = Database(url, pool_size=1)
    actor = Actor(
        key_id=key_id,
        channel="web",
        scopes=frozenset({"appointments:write"}),
        customer_id=customer_id,
        kind="customer",
    )
    done = taken = 0
    barrier.wait(timeout=120)
    t0 = time.perf_counter()
    for slot in slots:
        if time.perf_counter() - t0 >= seconds:
            break
        try:
            with UnitOfWork(db, actor) as uow:
                appointments.book(uow, BookIn(slot=SlotIn.model_validate(slot)))
                uow.commit()
            done += 1
        except Conflict:
            taken += 1
    out.put((done, taken, time.perf_counter() - t0))
    db.dispose()


def bookings_in_process(
    url: str, retailer: Any, slots: list[dict[str, Any]], seconds: float
) -> tuple[float, int]:
    """``appointments.service.book`` called by ``CLIENTS`` processes, each as a customer of the web's key
    (what the route calls, without HTTP): bookings per second, and the 409s."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        key_id = conn.execute(text("SELECT id FROM core_api_keys WHERE name = 'bench web'")).scalar_one()
    engine.dispose()
    # Each process books at stores of its own, as each checkout client has its carts: the processes never
    # race for a slot (races have their tests); a 409 is a slot this process's own bookings overlapped.
    places = sorted({slot["place_id"] for slot in slots})
    mine = {place: n % CLIENTS for n, place in enumerate(places)}
    shares: list[list[dict[str, Any]]] = [[] for _ in range(CLIENTS)]
    for slot in slots:
        shares[mine[slot["place_id"]]].append(slot)
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(CLIENTS), ctx.Queue()
    procs = [
        ctx.Process(
            target=_book_in_process,
            args=(url, key_id, retailer.customers[n][0], shares[n], seconds, barrier, out),
        )
        for n in range(CLIENTS)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 180) for _ in procs]
    for p in procs:
        p.join()
    return sum(r[0] for r in results) / max(r[2] for r in results), sum(r[1] for r in results)
