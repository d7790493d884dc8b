"""Engagement: a journey launched to a million customers — every one entered and their steps scheduled
(the J+30 at 10:00 on each customer's clock among them), on PostgreSQL, through the production path.

N customers are built straight in SQL (``INSERT … SELECT … FROM generate_series``; not timed): each in
the segment ``newsletter`` with an opt-in for marketing by e-mail in the consent ledger, one in fifty with
an overseas postcode (Réunion, Martinique, French Guiana: three more time zones than Paris). Then the
built-in journey ``new_arrivals`` (the announcement at once, and J+30 at 10:00 local) is launched to
``segments_any=["newsletter"]`` with the opt-in required, through the functions the API route and the
worker's job call — :func:`comptoir.engagement.launches.create` (committed) then
:func:`comptoir.engagement.launch_runs.run` until it is done: the audience read page by page through the
customers domain (segment and the ledger's latest statement evaluated by the database), one instance and
two messages written per customer, a transaction per batch of 10,000 customers. That is what is timed:
``schedule_customers_s`` (measured at N) and ``launch_rows_per_s`` (instances and messages written per
second).

``schedule_1m_customers_s`` is measured when N is a million (the full run); with ``--quick`` (100,000
customers) it is ``schedule_customers_s × 1,000,000 / N`` — a linear extrapolation, named as such by
``schedule_1m_extrapolated: 1``: every batch does the same work whatever the table sizes, but indexes
grow, so the full run is the figure to quote. The issue's goal: under 60 s.

The baseline, same run, same server: the same number of message rows (22 columns, the same values) written
by bare multi-row ``INSERT … VALUES`` statements of 1,000 rows, sent through libpq itself (no ORM, no
Core, no client-side parsing), a transaction per 10,000 rows, into a scratch table made ``LIKE
engagement_messages INCLUDING ALL`` (the same indexes, no foreign key) — ``raw_insert_rows_per_s``, what
the textbook way of writing many rows gets on this machine. ``launch_vs_raw_insert`` compares the
launch's rows per second (instances and messages, foreign keys checked, the audience read) with it.

``run(quick)`` returns the figures (``{}`` when PostgreSQL does not answer);
``python bench/_engagement_launch.py [--quick] [--customers N]`` prints them as ``name: value`` lines.
The server is ``COMPTOIR_BENCH_DATABASE_URL`` or ``COMPTOIR_TEST_DATABASE_URL`` (default: local
``postgres``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench._db import reachable, scratch_database, server_url  # noqa: E402

FULL, QUICK = 1_000_000, 100_000
MILLION = 1_000_000
RAW_ROWS_PER_STATEMENT = 1000
NOW = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Paris

_CUSTOMERS = """
INSERT INTO customers_customers
    (id, status, given_name, family_name, email, postcode, city, country, locale, lineage, quality_flags,
     version, created_at, updated_at)
SELECT 'cus_' || md5(g::text), 'active', 'Client', 'N' || g, 'client' || g || '@exemple.fr',
       CASE g % 150 WHEN 0 THEN '97411' WHEN 50 THEN '97200' WHEN 100 THEN '97300'
            ELSE lpad((1 + g % 95)::text, 2, '0') || '100' END,
       'Ville', 'FR', CASE WHEN g % 7 = 0 THEN 'en' ELSE 'fr' END, '{}', '[]', 1, :at, :at
FROM generate_series(1, :n) AS g
"""
_SEGMENTS = """
INSERT INTO customers_segments (customer_id, segment, added_at)
SELECT 'cus_' || md5(g::text), 'newsletter', :at FROM generate_series(1, :n) AS g
"""
_CONSENTS = """
INSERT INTO customers_consents (customer_id, purpose, channel, granted, stated_at, recorded_at, source, proof)
SELECT 'cus_' || md5(g::text), 'marketing', 'email', true, :at, :at, 'web', '{}'
FROM generate_series(1, :n) AS g
"""


def _build(url: str, count: int) -> None:
    """``count`` customers in the segment, each with an opt-in (not timed)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    at = NOW - timedelta(days=1)
    with engine.begin() as conn:
        for statement in (_CUSTOMERS, _SEGMENTS, _CONSENTS):
            conn.execute(text(statement), {"n": count, "at": at})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()


def _launch(url: str) -> tuple[float, Any]:
    """The launch through the production path: created (committed), then run until done."""
    from comptoir.core import clock
    from comptoir.core.context import SYSTEM
    from comptoir.core.db import Database
    from comptoir.core.settings import Settings
    from comptoir.core.uow import UnitOfWork
    from comptoir.engagement import launch_runs, launches
    from comptoir.engagement.schemas import Audience, LaunchIn, LaunchOut

    settings = Settings(database_url=url, secret_key="bench-secret-key-0123456789-0123456789")
    db = Database(url, pool_size=4)
    clock.set_clock(lambda: NOW)
    try:
        started = time.perf_counter()
        with UnitOfWork(db, SYSTEM) as uow:
            created = launches.create(
                uow, "new_arrivals", LaunchIn(audience=Audience(segments_any=["newsletter"])), "bench"
            )
            uow.commit()
        assert isinstance(created, LaunchOut)
        out = launch_runs.run(db, settings, created.id)
        seconds = time.perf_counter() - started
    finally:
        clock.set_clock(None)
        db.dispose()
    return seconds, out


def _raw_insert(url: str, rows: int) -> float:
    """Seconds to write ``rows`` message rows by bare multi-row ``INSERT … VALUES`` statements of
    :data:`RAW_ROWS_PER_STATEMENT` rows, sent through libpq itself (``PQexecParams`` with text parameters,
    no ORM, no Core, no client-side query parsing), a transaction per 10,000 rows."""
    import psycopg
    from psycopg import pq

    dsn = url.replace("postgresql+psycopg://", "postgresql://", 1)
    columns = (
        "id, instance_id, journey_code, step, occurrence, channel, customer_id, template, purpose, priority, "
        "on_collision, status, planned_at, due_at, hold_code, hold_reason, lease_until, attempts, reference, "
        "sent_at, created_at, updated_at"
    )
    at = NOW.isoformat().encode()

    def statement(size: int) -> bytes:
        places = ("(" + ", ".join(f"${22 * n + k + 1}" for k in range(22)) + ")" for n in range(size))
        return f"INSERT INTO bench_raw_messages ({columns}) VALUES {', '.join(places)}".encode()

    fixed = [b"marketing", b"20", b"delay", b"scheduled", at, at, b"", b"", None, b"0", b"", None, at, at]

    def row(n: int) -> list[bytes | None]:
        step = b"follow_up" if n % 2 else b"announcement"
        instance, customer = f"jin_{n // 2:032x}".encode(), f"cus_{n // 2:032x}".encode()
        template = b"new_arrivals_follow_up" if n % 2 else b"new_arrivals"
        message = f"msg_{n:032x}".encode()
        return [message, instance, b"new_arrivals", step, b"0", b"email", customer, template, *fixed]

    def run(pgconn: pq.abc.PGconn, query: bytes, params: list[bytes | None] | None = None) -> None:
        result = pgconn.exec_params(query, params) if params is not None else pgconn.exec_(query)
        if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            raise RuntimeError((result.error_message or b"").decode())

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_raw_messages (LIKE engagement_messages INCLUDING ALL)")
        pgconn = conn.pgconn
        full = statement(RAW_ROWS_PER_STATEMENT)
        started = time.perf_counter()
        run(pgconn, b"BEGIN")
        for start in range(0, rows, RAW_ROWS_PER_STATEMENT):
            size = min(RAW_ROWS_PER_STATEMENT, rows - start)
            params = [value for n in range(start, start + size) for value in row(n)]
            run(pgconn, full if size == RAW_ROWS_PER_STATEMENT else statement(size), params)
            if (start // RAW_ROWS_PER_STATEMENT) % 10 == 9:
                run(pgconn, b"COMMIT")  # a transaction per 10,000 rows, as the launch's batches
                run(pgconn, b"BEGIN")
        run(pgconn, b"COMMIT")
        return time.perf_counter() - started


def run(quick: bool, customers: int | None = None, pg_url: str | None = None) -> dict[str, float]:
    """The figures (``{}`` when PostgreSQL does not answer)."""
    pg = server_url(pg_url)
    if not reachable(pg):
        return {}
    from comptoir.domains import load_models

    load_models()
    count = customers or (QUICK if quick else FULL)
    with scratch_database(pg, label="bench_launch") as url:
        t0 = time.perf_counter()
        _build(url, count)
        setup = time.perf_counter() - t0
        seconds, out = _launch(url)
        rows = out.entered + out.messages
        raw = _raw_insert(url, out.messages)
    measured_million = count >= MILLION
    return {
        "launch_customers": float(count),
        "launch_entered": float(out.entered),
        "launch_messages": float(out.messages),
        "schedule_customers_s": round(seconds, 2),
        "schedule_1m_customers_s": round(seconds * MILLION / count, 2),
        "schedule_1m_extrapolated": 0.0 if measured_million else 1.0,
        "launch_rows_per_s": round(rows / seconds),
        "raw_insert_rows_per_s": round(out.messages / raw),
        "launch_vs_raw_insert": round((rows / seconds) / (out.messages / raw), 3),
        "launch_setup_s": round(setup, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} customers, extrapolated to 1M")
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument("--pg-url", default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    figures = run(args.quick, args.customers, args.pg_url)
    if not figures:
        print("schedule_1m_customers_s: skipped (PostgreSQL does not answer)")
        return
    for name, value in figures.items():
        print(f"{name}: {value:g}")
    print(f"bench_seconds: {time.perf_counter() - started:.0f}")


if __name__ == "__main__":
    main()
