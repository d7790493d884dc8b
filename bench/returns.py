"""Returns taken back at the counter on PostgreSQL, 8 stores at once: start, inspect, restock, refund.

Each client is its own process. Unmeasured, it checks out its own web orders (paid by card) and has
them shipped and delivered; then, measured, it takes each order back in one of the stores as the
staff page does: one transaction creates the return (claims on the order lines) and receives it
(restock movement at the store, returned quantities on the order), a second refunds the card
(``payments.refund``), so no stock row is held while the card provider answers. The orders' lines
share SKUs and stores with the other clients', so stock rows are contended as on a busy Saturday.

Prints ``returns_per_s``, latency percentiles and the database statements per return.
``--quick``: 4 orders per client instead of 40. ``COMPTOIR_BENCH_DATABASE_URL`` names the PostgreSQL
server (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); a scratch database is
created and dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import event

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench._db import scratch_database  # noqa: E402
from bench.checkout import CLIENTS, STORES, command, make_carts, seed  # noqa: E402


def client(url: str, n: int, carts: list[tuple[str, str, str]], barrier: Any, out: Any) -> None:
    try:
        _client(url, n, carts, barrier, out)
    except Exception as exc:
        barrier.abort()
        out.put((n, 0, 1.0, [], 0, repr(exc)))
        raise


def _client(url: str, n: int, carts: list[tuple[str, str, str]], barrier: Any, out: Any) -> None:
    from comptoir.core.context import Actor
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.orders import service as orders
    from comptoir.returns import service as returns
    from comptoir.returns.schemas import InspectionIn, ReceiveIn, RefundReturnIn, ReturnIn, ReturnLineIn

    db = Database(url, pool_size=1)
    web = Actor(key_id=None, channel="web", scopes=frozenset({"*"}))
    warehouse = Actor(key_id=None, channel=None, scopes=frozenset({"*"}))
    store = STORES[n % len(STORES)]
    till = Actor(key_id=None, channel=f"store:{store}", scopes=frozenset({"*"}))
    delivered = []
    for cart_id, _mode, token in carts:
        with UnitOfWork(db, web) as uow:
            order = orders.checkout(uow, command(cart_id, "home_delivery", n), cart_token=token)
            uow.commit()
        for fulfilment in order.fulfilments:
            for action in ("allocate", "pick", "ship", "deliver"):
                with UnitOfWork(db, warehouse) as uow:
                    orders.transition(uow, fulfilment.id, action)
                    uow.commit()
        with UnitOfWork(db, warehouse, read_only=True) as uow:
            delivered.append(orders.get_order(uow, order.id))

    statements = 0

    def count(*_args: Any) -> None:
        nonlocal statements
        statements += 1

    barrier.wait(timeout=600)
    event.listen(db.engine, "before_cursor_execute", count)
    latencies = []
    t0 = time.perf_counter()
    for index, order in enumerate(delivered):
        started = time.perf_counter()
        with UnitOfWork(db, till) as uow:
            lines = [ReturnLineIn(line_id=line.line_id, quantity=1) for line in order.lines]
            created = returns.create_return(uow, ReturnIn(order_id=order.id, lines=lines, method="in_store"))
            condition = "damaged" if index % 5 == 4 else "resaleable"
            inspections = [InspectionIn(line_id=x.line_id, condition=condition) for x in created.lines]
            returns.receive(uow, created.id, ReceiveIn(inspections=inspections))
            uow.commit()
        with UnitOfWork(db, till) as uow:
            returns.refund(uow, created.id, RefundReturnIn(refund_to="voucher" if index % 3 == 2 else None))
            uow.commit()
        latencies.append(time.perf_counter() - started)
    elapsed = time.perf_counter() - t0
    event.remove(db.engine, "before_cursor_execute", count)
    db.dispose()
    out.put((n, len(delivered), elapsed, latencies, statements, None))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    per_client = 4 if args.quick else 40
    with scratch_database(label="bench_returns") as url:
        seed(url)
        plan = make_carts(url, per_client)
        ctx = mp.get_context("spawn")
        barrier, out = ctx.Barrier(CLIENTS), ctx.Queue()
        procs = [ctx.Process(target=client, args=(url, c, plan[c], barrier, out)) for c in range(CLIENTS)]
        for p in procs:
            p.start()
        results = [out.get(timeout=3600) for _ in procs]
        for p in procs:
            p.join()
        errors = [r[5] for r in results if r[5]]
        if errors:
            raise SystemExit(f"clients failed: {errors[0]}")
        done = sum(r[1] for r in results)
        wall = max(r[2] for r in results)
        latencies = sorted(x for r in results for x in r[3])
        q = statistics.quantiles(latencies, n=100)
        print(f"clients: {CLIENTS}")
        print(f"returns: {done}")
        print(f"returns_per_s: {done / wall:.1f}")
        print(f"return_latency_p50_ms: {q[49] * 1000:.1f}")
        print(f"return_latency_p95_ms: {q[94] * 1000:.1f}")
        print(f"statements_per_return: {sum(r[4] for r in results) / done:.1f}")


if __name__ == "__main__":
    main()
