"""Point redemptions per second on PostgreSQL, with concurrent clients, through the loyalty service.

Each client is its own process (its own connection, no shared GIL) redeeming points in its own
transaction, as the payments domain does at checkout: lock the account, spend lots first-expiring-
first, write the ledger entry, guarded balance update, commit. Two figures:

* spread: clients redeem on random members among many (the usual case);
* hot: every client redeems on the same member (the worst case: they queue on one row lock).

Baseline, same run: a one-row guarded ``UPDATE`` transaction per client (the floor of any write).
At the end the ledger is checked: every balance equals the sum of its entries and of its lots.

``redemptions(quick)`` returns the figures (``{}`` when PostgreSQL is not reachable);
``python bench/_loyalty.py [--quick]`` prints them as ``name: value`` lines. The server is
``COMPTOIR_BENCH_DATABASE_URL`` or ``COMPTOIR_TEST_DATABASE_URL`` (default: local ``postgres``).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench._db import reachable, scratch_database, server_url  # noqa: E402

POINTS_EACH = 5_000_000


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))] * 1000


MODES = ("baseline", "spread", "hot")


def _client(url: str, members: list[str], seconds: float, seed: int, barrier: Any, out: Any) -> None:
    """One client process: for each mode in turn (all clients together), redeem in a loop."""
    from comptoir.core.context import Actor
    from comptoir.core.db import Database
    from comptoir.domains import load_models

    load_models()
    db = Database(url, pool_size=1)
    actor = Actor(key_id=None, channel="web", scopes=frozenset({"*"}))
    rng = random.Random(seed)
    try:
        # Warm up, unmeasured: connections, caches and the models built on first use (bench/startup.py
        # measures start-up); members hold enough points for these few redemptions too.
        _loop(db, actor, rng, members, "spread", 0.3, seed + 500_000, [])
        for mode in MODES:
            latencies: list[float] = []
            failed = True
            barrier.wait(timeout=300)
            try:
                _loop(db, actor, rng, members, mode, seconds, seed, latencies)
                failed = False
            finally:
                out.put((mode, latencies, failed))
    finally:
        db.dispose()


def _loop(
    db: Any,
    actor: Any,
    rng: random.Random,
    members: list[str],
    mode: str,
    seconds: float,
    seed: int,
    latencies: list[float],
) -> None:
    from sqlalchemy import text

    from comptoir.core.uow import UnitOfWork
    from comptoir.loyalty import service
    from comptoir.loyalty.schemas import RedeemPointsIn

    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        member = members[0] if mode == "hot" else rng.choice(members)
        t0 = time.perf_counter()
        with UnitOfWork(db, actor) as uow:
            if mode == "baseline":
                uow.session.execute(
                    text("UPDATE bench_counters SET n = n + 1 WHERE id = :id AND n >= 0"), {"id": seed % 64}
                )
            else:
                # Members hold enough points for any run: a refusal is a failure of the run.
                service.redeem_points(
                    uow,
                    RedeemPointsIn(
                        customer_id=member, points=50, reference=f"bench-{mode}-{seed}-{n}", channel="web"
                    ),
                )
            uow.commit()
        latencies.append(time.perf_counter() - t0)
        n += 1


def _run(url: str, members: list[str], clients: int, seconds: float) -> dict[str, dict[str, float]]:
    # fork: the clients inherit the imported application (spawn would import it again in each).
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    queue = ctx.Queue()
    barrier = ctx.Barrier(clients)
    gc.freeze()  # as a server does before its workers fork: the clients' collections skip what they inherit
    procs = [
        ctx.Process(target=_client, args=(url, members, seconds, 1000 * i + 7, barrier, queue))
        for i in range(clients)
    ]
    for p in procs:
        p.start()
    by_mode: dict[str, list[tuple[list[float], bool]]] = {m: [] for m in MODES}
    try:
        for _ in range(clients * len(MODES)):
            mode, latencies, failed = queue.get(timeout=seconds + 300)
            by_mode[mode].append((latencies, failed))
    finally:
        for p in procs:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
    figures = {}
    for mode, results in by_mode.items():
        latencies = [lat for lats, _ in results for lat in lats]
        figures[mode] = {
            "per_s": len(latencies) / seconds,
            "p50_ms": _percentile(latencies, 0.50),
            "p95_ms": _percentile(latencies, 0.95),
            "failed_clients": float(sum(1 for _, failed in results if failed) + clients - len(results)),
        }
    return figures


def _prepare(url: str, members: int) -> list[str]:
    from sqlalchemy import text

    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.domains import load_models
    from comptoir.loyalty import service
    from comptoir.loyalty.demo import carte_comptoir
    from comptoir.loyalty.schemas import AdjustmentIn

    load_models()
    db = Database(url, pool_size=1)
    ids = [f"cus_bench_{i:05d}" for i in range(members)]
    with UnitOfWork(db) as uow:
        service.set_programme(uow, carte_comptoir())
        for customer_id in ids:
            # Several lots each, so a redemption walks lots as it does for a real member.
            for lot in range(3):
                service.adjust(
                    uow,
                    customer_id,
                    AdjustmentIn(points=POINTS_EACH, reason="bench", reference=f"{customer_id}-{lot}"),
                )
        uow.session.execute(text("CREATE TABLE bench_counters (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)"))
        uow.session.execute(
            text("INSERT INTO bench_counters (id, n) VALUES (:id, 0)"), [{"id": i} for i in range(64)]
        )
        uow.commit()
    db.dispose()
    return ids


def _consistent(url: str) -> bool:
    from sqlalchemy import text

    from comptoir.core.db import Database

    db = Database(url, pool_size=1)
    with db.engine.connect() as conn:
        bad = conn.execute(
            text(
                "SELECT count(*) FROM loyalty_accounts a WHERE a.balance < 0"
                " OR a.balance <> (SELECT coalesce(sum(points), 0) FROM loyalty_entries e"
                "                  WHERE e.customer_id = a.customer_id)"
                " OR a.balance <> (SELECT coalesce(sum(remaining), 0) FROM loyalty_lots l"
                "                  WHERE l.customer_id = a.customer_id)"
            )
        ).scalar_one()
    db.dispose()
    return bad == 0


def redemptions(quick: bool) -> dict[str, float]:
    """Redemptions per second and latency on PostgreSQL; ``{}`` when PostgreSQL is not reachable."""
    server = server_url()
    if not reachable(server):
        return {}
    members, clients, seconds = (100, 4, 3.0) if quick else (1000, 8, 12.0)
    with scratch_database(server, label="bench_loyalty") as url:
        t0 = time.perf_counter()
        ids = _prepare(url, members)
        print(f"prepared {members} members in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        runs = _run(url, ids, clients, seconds)
        baseline, spread, hot = runs["baseline"], runs["spread"], runs["hot"]
        consistent = _consistent(url)
    return {
        "loyalty_redemptions_per_s": round(spread["per_s"], 1),
        "loyalty_redemption_p50_ms": round(spread["p50_ms"], 2),
        "loyalty_redemption_p95_ms": round(spread["p95_ms"], 2),
        "loyalty_hot_account_redemptions_per_s": round(hot["per_s"], 1),
        "loyalty_hot_account_redemption_p95_ms": round(hot["p95_ms"], 2),
        "loyalty_baseline_update_txn_per_s": round(baseline["per_s"], 1),
        "loyalty_redemptions_vs_baseline": round(spread["per_s"] / baseline["per_s"], 3)
        if baseline["per_s"]
        else 0.0,
        "loyalty_concurrent_clients": float(clients),
        "loyalty_ledger_consistent": 1.0 if consistent else 0.0,
        "loyalty_failed_clients": spread["failed_clients"] + hot["failed_clients"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="fewer members and clients, shorter runs (< 60 s)"
    )
    args = parser.parse_args()
    figures = redemptions(args.quick)
    if not figures:
        print("loyalty_redemptions: skipped (PostgreSQL not reachable)")
        return
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
