"""Carts: reading a priced cart through the API next to a bare FastAPI endpoint, and cart changes per
second from several channels at once.

A catalogue of 200 SKUs with prices for every channel and the shops, and 200 customers each with a
cart of 1 to 15 lines started on a store tablet and a signed-in session. ``GET /v1/carts/{id}`` (the
cart priced for the caller's channel, what every channel shows on each page) asks for a cart drawn at
random per request, with the web's publishable key and that cart's owner's ``X-Customer-Token``, on
one ``comptoir serve`` process; the baseline is the bare FastAPI endpoint served the same way, in
interleaved rounds (bare, then each server, again and again) so that every endpoint meets the same
drift of a shared machine. ``--baseline-tree DIR`` (another checkout, e.g. ``git worktree add
/tmp/before <commit>``) serves the same database from that tree's source too, as ``cart_get_baseline``.
Then 8 threads (tablet and website alternately) add lines to one cart in process: changes per second,
all serialised on the cart's row lock. SQLite by default; ``--database-url postgresql+psycopg://…`` for
PostgreSQL (an empty database). ``--quick``: shorter runs (under 60 s). Prints ``name: value`` lines.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from bench._http import (  # noqa: E402
    Target,
    TargetPath,
    interleaved,
    print_load,
    spawn_comptoir,
    start_bare,
    stop,
    wait_ready,
)
from comptoir.carts import service  # noqa: E402
from comptoir.carts.schemas import CartIn, LineIn  # noqa: E402
from comptoir.catalog import service as catalog  # noqa: E402
from comptoir.catalog.schemas import CategoryIn, FamilyIn, ProductIn  # noqa: E402
from comptoir.core.auth import ApiKeyCreate, create_key  # noqa: E402
from comptoir.core.context import Actor  # noqa: E402
from comptoir.core.db import Database  # noqa: E402
from comptoir.core.migrate import upgrade  # noqa: E402
from comptoir.core.uow import UnitOfWork  # noqa: E402
from comptoir.customers import service as customers  # noqa: E402
from comptoir.customers.schemas import CustomerRecord  # noqa: E402
from comptoir.domains import load_models  # noqa: E402
from comptoir.pricing import service as pricing  # noqa: E402
from comptoir.pricing.schemas import PriceIn, PriceListIn, PricesIn  # noqa: E402

PRODUCTS = 100  # two SKUs each
STORE = "st_bench"
SECRET = "bench-secret-key-0123456789-0123456789"  # the servers' (bench/_http.py)
TABLET = Actor(key_id="key_bench_tablet", channel=f"store:{STORE}", scopes=frozenset({"*"}))


def web(customer_id: str) -> Actor:
    return Actor(key_id="key_bench_web", channel="web", scopes=frozenset({"*"}), customer_id=customer_id)


def seed(db: Database) -> tuple[list[str], str]:
    skus: list[str] = []
    with UnitOfWork(db) as uow:
        catalog.create_family(uow, FamilyIn(code="clothing", label={"fr_FR": "Vêtements"}))
        catalog.create_category(uow, CategoryIn(code="dresses", name={"fr_FR": "Robes"}))
        for i in range(PRODUCTS):
            code = f"BENCH-{i:04d}"
            catalog.create_product(
                uow,
                ProductIn.model_validate(
                    {
                        "code": code,
                        "family": "clothing",
                        "category": "dresses",
                        "status": "active",
                        "name": {"fr_FR": f"Robe {i}"},
                        "axes": ["size"],
                        "variants": [{"sku": f"{code}-S", "size": "S"}, {"sku": f"{code}-M", "size": "M"}],
                    }
                ),
            )
            skus += [f"{code}-S", f"{code}-M"]
        pricing.create_price_list(uow, PriceListIn(code="base", name="Base"))
        pricing.set_prices(
            uow, "base", PricesIn(prices=[PriceIn(sku=s, amount=Decimal("49.90")) for s in skus])
        )
        pricing.create_price_list(
            uow, PriceListIn(code="shops", name="Shops", channels=["store"], priority=5)
        )
        pricing.set_prices(
            uow, "shops", PricesIn(prices=[PriceIn(sku=s, amount=Decimal("45.00")) for s in skus[::2]])
        )
        customer_id = customers.ingest(
            uow, "pos", CustomerRecord(given_name="Marie", family_name="Curie", email="marie.curie@orange.fr")
        ).customer_id
        uow.commit()
    return skus, customer_id


def changes_per_second(db: Database, skus: list[str], seconds: float) -> tuple[float, int]:
    with UnitOfWork(db, TABLET) as uow:
        other = customers.ingest(
            uow, "pos", CustomerRecord(given_name="Jean", family_name="Dupont", email="jean.dupont@gmail.com")
        ).customer_id
        out, _ = service.create_cart(uow, CartIn(customer_id=other))
        uow.commit()
    cart_id = out.id
    done = [0] * 8
    stop_at = time.perf_counter() + seconds

    def work(i: int) -> None:
        actor = TABLET if i % 2 == 0 else web(other)
        n = 0
        while time.perf_counter() < stop_at:
            with UnitOfWork(db, actor) as uow:
                service.add_line(uow, cart_id, LineIn(sku=skus[(i * 7 + n) % 40], quantity=1))
                uow.commit()
            n += 1
        done[i] = n

    start = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    with UnitOfWork(db, TABLET, read_only=True) as uow:
        cart = service.get_cart(uow, cart_id)
    lost = sum(done) - sum(line.quantity for line in cart.lines)
    return sum(done) / elapsed, lost


CARTS = 200  # each a customer's, 1 to 15 lines, read at random with its owner's session


def customer_carts(db: Database, skus: list[str], count: int) -> list[tuple[str, str]]:
    """``count`` customers, each with a cart of 1 to 15 lines drawn at random and a signed-in session:
    (cart id, session token) pairs."""
    from comptoir.core.settings import Settings
    from comptoir.customers import accounts

    rng = random.Random(5)
    settings = Settings(secret_key=SECRET)
    found = []
    with UnitOfWork(db, TABLET) as uow:
        for i in range(count):
            customer_id = customers.ingest(
                uow,
                "pos",
                CustomerRecord(
                    given_name="Client", family_name=f"Banc{i:04d}", email=f"client{i:04d}@exemple.fr"
                ),
            ).customer_id
            lines = [
                LineIn(sku=sku, quantity=rng.randint(1, 3)) for sku in rng.sample(skus, rng.randint(1, 15))
            ]
            cart, _ = service.create_cart(uow, CartIn(customer_id=customer_id, lines=lines))
            token = accounts.issue_session(uow, settings, customer_id).token
            found.append((cart.id, token))
        uow.commit()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", default=None, help="An empty database (default: temporary SQLite)")
    parser.add_argument(
        "--baseline-tree",
        type=Path,
        default=None,
        help="another checkout (git worktree add /tmp/before <commit>) served alike, as cart_get_baseline",
    )
    args = parser.parse_args()
    duration, rounds, write_seconds = (1.5, 3, 3.0) if args.quick else (3.0, 5, 10.0)
    load_models()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        upgrade(url, "head")
        db = Database(url, pool_size=10)
        skus, _customer = seed(db)
        carts = customer_carts(db, skus, CARTS)
        with UnitOfWork(db) as uow:
            key = create_key(uow, ApiKeyCreate(name="bench", scopes=["carts:read"], channel="web"))
            uow.commit()
        logs = Path(tmp)
        bare, bare_base = start_bare(logs / "bare.log")
        stack.callback(stop, bare)
        trees = {"cart_get": ROOT} | (
            {"cart_get_baseline": args.baseline_tree.resolve()} if args.baseline_tree else {}
        )
        servers = {}
        for name, root in trees.items():
            proc, base = spawn_comptoir(url, logs / f"{name}.log", root=root)
            stack.callback(stop, proc)
            servers[name] = (proc, base)
        for proc, base in servers.values():
            wait_ready(f"{base}/healthz", proc)
        paths: list[TargetPath] = [
            (f"/v1/carts/{cart_id}", {"X-Customer-Token": token}) for cart_id, token in carts
        ]
        targets = {"bare": Target(f"{bare_base}/bare", server_pid=bare.pid)}
        for name, (proc, base) in servers.items():
            targets[name] = Target(base, {"Authorization": f"Bearer {key.token}"}, paths, server_pid=proc.pid)
        found = interleaved(targets, rounds=rounds, duration=duration, connections=16, warmup=0.5)
        print(f"carts: {len(carts)}")
        print(f"rounds: {rounds}")
        print_load("bare", found["bare"])
        for name in servers:
            result = found[name]
            print_load(name, result)
            print(f"{name}_vs_bare: {result.rps / found['bare'].rps:.3f}")
        rate, lost = changes_per_second(db, skus, write_seconds)
        print(f"cart_changes_per_s_8_threads: {rate:.0f}")
        print(f"cart_changes_lost: {lost}")
        db.dispose()


if __name__ == "__main__":
    main()
