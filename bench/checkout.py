"""Checkout throughput on PostgreSQL with 8 concurrent clients, against the raw ceiling of its SQL writes.

Each client is its own process running ``orders.service.checkout`` in a loop on its own carts (half home
delivery paid by card, half click & collect paid at pickup, alternating), one transaction per order, as
the API does.

The ceiling, measured in the same run on the same database: the INSERT/UPDATE/DELETE (and locking
SELECT … FOR UPDATE) statements of one real checkout **of each shape** (home delivery by card, click &
collect) are captured with their parameters, then 8 processes replay them with psycopg, one
transaction per order, in the same mix of shapes as the measured run, every id made in that checkout
replaced by a fresh one each time (so unique keys hold). That is the database work of a checkout
without any Python around it: the fastest orders could ever be written.

Both are measured twice: with the catalogue's prices alone, then with a site-wide promotion active
(10 % off every item, no budget or use cap), each on fresh carts, its own shapes captured again.

Prints ``checkout_orders_per_s``, ``raw_writes_orders_per_s`` and their ratio (target ≥ 0.25), then the
same with the ``promotion_`` prefix. ``--quick``: 25 orders per client instead of 150. The scratch
database is made on ``COMPTOIR_BENCH_DATABASE_URL`` (see ``bench/_db.py``) and dropped.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import re
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import event, text

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "src"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from bench._db import scratch_database  # noqa: E402

CLIENTS = 8
SHAPES = ("home_delivery", "click_and_collect")  # the measured mix alternates them, in this order
STORES = ["st_bench_paris", "st_bench_lyon", "st_bench_lille"]
WAREHOUSE = "wh_bench"
ADDRESS = {"name": "Client Bench", "line1": "1 rue de Rivoli", "postcode": "75001", "city": "Paris"}
ID = re.compile(r"\b([a-z]{2,6})_([0-9a-f]{32})\b")
NUMBER = re.compile(r"\bCMD-[0-9A-Z]{8}\b")


# -- data ------------------------------------------------------------------------------------------------
def seed(url: str) -> None:
    """Places, 40 products in stock everywhere, prices."""
    from comptoir.catalog import service as catalog
    from comptoir.catalog.schemas import CategoryIn, FamilyIn, ProductIn
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.inventory import service as inventory
    from comptoir.inventory.schemas import MovementIn
    from comptoir.pricing import service as pricing
    from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn
    from comptoir.stores import service as stores
    from comptoir.stores.schemas import PlaceIn

    db = Database(url, pool_size=2)
    weekly = [
        {"day": d, "opens": "00:00", "closes": "24:00"}
        for d in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    ]
    skus = SKUS
    with UnitOfWork(db) as uow:
        for ident, kind, lat, lon, pc, city in [
            (WAREHOUSE, "warehouse", 45.75, 4.85, "69007", "Lyon"),
            (STORES[0], "store", 48.86, 2.34, "75001", "Paris"),
            (STORES[1], "store", 45.76, 4.83, "69002", "Lyon"),
            (STORES[2], "store", 50.63, 3.06, "59000", "Lille"),
        ]:
            stores.create_place(
                uow,
                PlaceIn.model_validate(
                    {
                        "id": ident,
                        "kind": kind,
                        "name": f"Bench {city} {kind}",
                        "address": {
                            "lines": ["1 rue du Banc"],
                            "postal_code": pc,
                            "locality": city,
                            "region": "France",
                        },
                        "latitude": lat,
                        "longitude": lon,
                        "services": [] if kind == "warehouse" else ["click_and_collect", "ship_from_store"],
                        "hours": {"weekly": weekly},
                    }
                ),
            )
        inventory.sync_places(uow)
        catalog.create_family(uow, FamilyIn(code="clothing", label={"fr_FR": "Vêtements"}, attributes=[]))
        catalog.create_category(uow, CategoryIn(code="tops", name={"fr_FR": "Hauts", "en_GB": "Tops"}))
        for n in range(40):
            catalog.create_product(
                uow,
                ProductIn.model_validate(
                    {
                        "code": f"BENCH-{n:03d}",
                        "family": "clothing",
                        "category": "tops",
                        "status": "active",
                        "tax_class": "standard",
                        "name": {"fr_FR": f"Haut {n}", "en_GB": f"Top {n}"},
                        "axes": ["size"],
                        "variants": [{"sku": f"BENCH-{n:03d}-{s}", "size": s} for s in ("S", "M")],
                    }
                ),
            )
        # Stores pick as much as the bench asks (capacity limits are for real days, not for a stress test).
        from comptoir.orders import service as orders
        from comptoir.orders.policies import OrdersRules

        rules = OrdersRules()
        rules.sourcing.default_store_capacity = None
        orders.save_rules(uow, rules, expected_version=None)
        pricing.create_price_list(uow, PriceListIn(code="base", name="Base"))
        pricing.set_prices(
            uow, "base", PricesIn(prices=[PriceIn(sku=s, amount=Decimal("29.90")) for s in skus])
        )
        for sku in skus:
            for place in [WAREHOUSE, *STORES]:
                inventory.record_movement(
                    uow,
                    MovementIn(
                        kind="receipt",
                        sku=sku,
                        place_id=place,
                        quantity=100_000,
                        reference=f"r-{sku}-{place}",
                    ),
                )
        uow.commit()
    db.dispose()


SKUS = [f"BENCH-{n:03d}-{size}" for n in range(40) for size in ("S", "M")]


def make_carts(url: str, carts_per_client: int, *, salt: int = 0) -> list[list[tuple[str, str, str]]]:
    """(cart id, mode, cart token) per client, the modes alternating as ``SHAPES``."""
    from comptoir.carts import service as carts
    from comptoir.carts.schemas import CartIn, LineIn
    from comptoir.core.context import Actor
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork

    db = Database(url, pool_size=2)
    plan: list[list[tuple[str, str, str]]] = []
    web = Actor(key_id=None, channel="web", scopes=frozenset({"*"}))
    with UnitOfWork(db, web) as uow:
        for client in range(CLIENTS):
            mine = []
            for i in range(carts_per_client):
                a = SKUS[(client * 7 + i * 3 + salt) % len(SKUS)]
                b = SKUS[(client * 11 + i * 5 + 1 + salt) % len(SKUS)]
                lines = [LineIn(sku=a, quantity=1)] + ([LineIn(sku=b, quantity=2)] if b != a else [])
                cart, _ = carts.create_cart(uow, CartIn(lines=lines))
                mine.append((cart.id, SHAPES[i % len(SHAPES)], cart.cart_token or ""))
            plan.append(mine)
        uow.commit()
    db.dispose()
    return plan


def activate_site_wide_promotion(url: str) -> None:
    """10 % off every item on every channel, no budget or use cap: what a sale weekend looks like."""
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.pricing import service as pricing
    from comptoir.pricing.schemas import PromotionIn

    db = Database(url, pool_size=1)
    with UnitOfWork(db) as uow:
        pricing.create_promotion(
            uow,
            PromotionIn(
                name="Bench site-wide sale",
                kind="percent_off",
                params={"percent": "10", "scope": "item"},
            ),
        )
        uow.commit()
    db.dispose()


def discounted_orders(url: str) -> int:
    from comptoir.core.db import Database

    db = Database(url, pool_size=1)
    with db.engine.connect() as conn:
        found = conn.execute(
            text("SELECT count(*) FROM orders_orders WHERE discount_total <> 0")
        ).scalar_one()
    db.dispose()
    return int(found)


def command(cart_id: str, mode: str, client: int) -> Any:
    from comptoir.orders.schemas import CheckoutIn

    if mode == "home_delivery":
        return CheckoutIn(
            cart_id=cart_id,
            mode="home_delivery",
            address=ADDRESS,
            tenders=[{"method": "card", "details": {"card_token": "tok_visa"}}],
        )
    return CheckoutIn(cart_id=cart_id, mode="click_and_collect", pickup_place_id=STORES[client % len(STORES)])


# -- the checkout clients -------------------------------------------------------------------------------
def _is_write(statement: str) -> bool:
    head = statement.lstrip().split(None, 1)[0].upper()
    return head in ("INSERT", "UPDATE", "DELETE") or (head == "SELECT" and "FOR UPDATE" in statement.upper())


def checkout_client(url: str, client: int, carts: list[tuple[str, str, str]], barrier: Any, out: Any) -> None:
    try:
        _checkout_client(url, client, carts, barrier, out)
    except Exception as exc:
        barrier.abort()
        out.put((client, 0, 1.0, 1, {}, 0, repr(exc), []))
        raise


def _checkout_client(
    url: str, client: int, carts: list[tuple[str, str, str]], barrier: Any, out: Any
) -> None:
    """The first cart of each shape is checked out to warm up, its writes captured for the raw replay;
    the rest are timed."""
    from comptoir.core.context import Actor
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.orders import service

    db = Database(url, pool_size=1)
    web = Actor(key_id=None, channel="web", scopes=frozenset({"*"}))
    started_ms = int(time.time() * 1000) - 1
    shapes: dict[str, tuple[list[tuple[str, Any, bool]], str]] = {}
    captured: list[tuple[str, Any, bool]] = []

    def capture(
        _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, executemany: bool
    ) -> None:
        if _is_write(statement):
            captured.append((statement, parameters, executemany))

    event.listen(db.engine, "before_cursor_execute", capture)
    for cart_id, mode, token in carts[: len(SHAPES)]:
        with UnitOfWork(db, web) as uow:
            service.checkout(uow, command(cart_id, mode, client), cart_token=token)
            uow.commit()
        shapes[mode] = (_portable(captured), cart_id)
        captured.clear()
    event.remove(db.engine, "before_cursor_execute", capture)
    barrier.wait(timeout=300)
    t0 = time.perf_counter()
    failures = 0
    measured = carts[len(SHAPES) :]
    for cart_id, mode, token in measured:
        try:
            with UnitOfWork(db, web) as uow:
                service.checkout(uow, command(cart_id, mode, client), cart_token=token)
                uow.commit()
        except Exception as exc:
            failures += 1
            print(f"client {client}: {exc!r}"[:300], file=sys.stderr)
    elapsed = time.perf_counter() - t0
    db.dispose()
    mix = [mode for _, mode, _ in measured]
    out.put((client, len(measured) - failures, elapsed, failures, shapes, started_ms, None, mix))


def _portable(captured: list[tuple[str, Any, bool]]) -> list[tuple[str, Any, bool]]:
    """Parameters as picklable values (psycopg JSON wrappers become ('__json__', obj))."""

    def conv(value: Any) -> Any:
        obj = getattr(value, "obj", None)
        if obj is not None and type(value).__name__ in ("Json", "Jsonb"):
            return ("__json__", type(value).__name__, obj)
        return value

    out = []
    for statement, params, many in captured:
        if many:
            out.append((statement, [_map_params(p, conv) for p in params], True))
        else:
            out.append((statement, _map_params(params, conv), False))
    return out


def _map_params(params: Any, fn: Any) -> Any:
    if isinstance(params, dict):
        return {k: fn(v) for k, v in params.items()}
    if isinstance(params, (list, tuple)):
        return type(params)(fn(v) for v in params)
    return params


# -- the raw ceiling ---------------------------------------------------------------------------------------
def _fresh(value: Any, mapping: dict[str, str], since_ms: int) -> Any:
    """``value`` with every id made by the captured checkout replaced (consistently, through ``mapping``).

    The cart is pre-seeded in ``mapping`` too: an order per cart is a unique key, so each replayed order
    names a cart of its own (its UPDATE then touches no row, which only flatters the ceiling)."""
    if isinstance(value, str):

        def swap(m: re.Match[str]) -> str:
            token = m.group(0)
            if token not in mapping and int(m.group(2)[:12], 16) < since_ms:
                return token  # made before this checkout (a customer, a place): keep it
            if token not in mapping:
                mapping[token] = f"{m.group(1)}_{uuid.uuid4().hex}"
            return mapping[token]

        value = ID.sub(swap, value)
        return NUMBER.sub(
            lambda m: mapping.setdefault(m.group(0), "CMD-" + uuid.uuid4().hex[:8].upper()), value
        )
    if isinstance(value, tuple) and len(value) == 3 and value[0] == "__json__":
        import json

        from psycopg.types.json import Json, Jsonb

        obj = json.loads(_fresh(json.dumps(value[2], default=str), mapping, since_ms))
        return Jsonb(obj) if value[1] == "Jsonb" else Json(obj)
    if isinstance(value, dict):
        return {k: _fresh(v, mapping, since_ms) for k, v in value.items()}
    if isinstance(value, list):
        return [_fresh(v, mapping, since_ms) for v in value]
    return value


Shapes = dict[str, tuple[list[tuple[str, Any, bool]], str]]  # mode -> (captured writes, its cart id)


def raw_client(url: str, shapes: Shapes, since_ms: int, mix: list[str], barrier: Any, out: Any) -> None:
    try:
        _raw_client(url, shapes, since_ms, mix, barrier, out)
    except Exception as exc:
        barrier.abort()
        out.put((0, 1.0, repr(exc)))
        raise


def _raw_client(url: str, shapes: Shapes, since_ms: int, mix: list[str], barrier: Any, out: Any) -> None:
    """Replays, for each order of the measured mix, the captured writes of a checkout of its shape."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        # Fresh ids for every order are made before the clock starts: only the database work is timed.
        batches = []
        for mode in mix:
            statements, cart_id = shapes[mode]
            mapping: dict[str, str] = {cart_id: f"cart_{uuid.uuid4().hex}"}
            batches.append([(s, _fresh(p, mapping, since_ms), many) for s, p, many in statements])
        barrier.wait(timeout=300)
        t0 = time.perf_counter()
        with conn.cursor() as cur:
            for batch in batches:
                for statement, params, many in batch:
                    if many:
                        cur.executemany(statement, params)
                    else:
                        cur.execute(statement, params)
                conn.commit()
        out.put((len(mix), time.perf_counter() - t0, None))


def _in_processes(target: Any, per_client: list[tuple[Any, ...]]) -> list[Any]:
    """``target(*args, barrier, queue)`` in one process per client; their results, by arrival."""
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(len(per_client)), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, out)) for args in per_client]
    for p in procs:
        p.start()
    results = [out.get(timeout=1800) for _ in procs]
    for p in procs:
        p.join()
    return results


def measure(url: str, plan: list[list[tuple[str, str, str]]]) -> dict[str, float]:
    """The checkout clients on ``plan``, then the raw replay of their captured shapes in the same mix."""
    results = _in_processes(checkout_client, [(url, c, plan[c]) for c in range(CLIENTS)])
    results.sort(key=lambda r: r[0])
    errors = [r[6] for r in results if r[6]]
    if errors:
        raise SystemExit(f"checkout clients failed: {errors[0]}")
    done = sum(r[1] for r in results)
    orders_per_s = done / max(r[2] for r in results)
    print(f"checkout_orders_per_s: {orders_per_s:.1f}", file=sys.stderr)
    raw = _in_processes(raw_client, [(url, r[4], r[5], r[7]) for r in results])
    errors = [r[2] for r in raw if r[2]]
    if errors:
        raise SystemExit(f"raw replay failed: {errors[0]}")
    raw_per_s = sum(r[0] for r in raw) / max(r[1] for r in raw)
    figures: dict[str, float] = {
        "checkout_orders": done,
        "checkout_failures": sum(r[3] for r in results),
    }
    for mode in SHAPES:
        figures[f"checkout_write_statements_{mode}"] = sum(len(r[4][mode][0]) for r in results) / len(results)
    figures["checkout_orders_per_s"] = orders_per_s
    figures["raw_writes_orders_per_s"] = raw_per_s
    figures["checkout_vs_raw_writes"] = orders_per_s / raw_per_s
    return figures


def _print(prefix: str, figures: dict[str, float]) -> None:
    for name, value in figures.items():
        shown = f"{value:.3f}" if name.endswith("_vs_raw_writes") else f"{value:.1f}"
        print(f"{prefix}{name}: {int(value) if name in ('checkout_orders', 'checkout_failures') else shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="25 orders per client instead of 150")
    args = parser.parse_args()
    per_client = 25 if args.quick else 150
    with scratch_database(label="bench_checkout") as url:
        seed(url)
        print(f"clients: {CLIENTS}")
        print(f"shapes: {' '.join(SHAPES)}")
        _print("", measure(url, make_carts(url, per_client + len(SHAPES))))
        before = discounted_orders(url)
        activate_site_wide_promotion(url)
        _print("promotion_", measure(url, make_carts(url, per_client + len(SHAPES), salt=1)))
        # Orders written with a discount during the promotion run: its checkouts and their raw replays.
        print(f"promotion_discounted_orders_with_replays: {discounted_orders(url) - before}")


if __name__ == "__main__":
    main()
