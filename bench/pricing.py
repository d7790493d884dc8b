"""Pricing a 20-line cart with 200 active promotions: p50/p95 through the HTTP API and in process.

A catalogue of 400 SKUs in 20 categories (200 in 10 with ``--quick``), one price list for every
channel and one for the stores, 200 running promotions of every kind (percent and fixed off items, categories and the cart, buy X get
Y, bundles, gifts, free shipping; some coupon-only, some for a segment or a channel), and carts of 20
lines with a coupon. The API figure is ``POST /v1/pricing/quote`` on a ``comptoir serve`` process,
one keep-alive client sending carts one after another (latency, not throughput); the baseline is
the bare FastAPI endpoint served the same way, in the same run. Target: API p95 under 10 ms.

Then, when ``bench/_loyalty.py`` is there, the loyalty helper's point redemptions per second on
PostgreSQL. Prints ``name: value`` lines; ``--quick`` measures fewer carts (under 60 s).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "src"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

import httpx  # noqa: E402

from bench._http import start_bare, start_comptoir, stop  # noqa: E402

SKUS_PER_CATEGORY = 20
CATEGORIES = 20
PROMOTIONS = 200
LINES = 20


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p50 = ordered[len(ordered) // 2] * 1000
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
    return p50, p95


def _sku(c: int, i: int) -> str:
    return f"SKU-{c:02d}-{i:03d}"


def _prepare(url: str, categories: int = CATEGORIES) -> tuple[str, list[dict[str, Any]]]:
    """The catalogue, prices and promotions; returns an API key and the carts to price."""
    from comptoir.catalog import service as catalog
    from comptoir.catalog.schemas import CategoryIn, FamilyIn, ProductIn
    from comptoir.core.auth import ApiKeyCreate, create_key
    from comptoir.core.db import Base, Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.domains import load_models
    from comptoir.pricing import service
    from comptoir.pricing.schemas import CouponIn, PriceListIn, PricesIn, PromotionIn

    load_models()
    db = Database(url)
    Base.metadata.create_all(db.engine)
    rng = random.Random(5)
    with UnitOfWork(db) as uow:
        catalog.create_family(uow, FamilyIn(code="goods", label={"fr_FR": "Articles"}))
        for c in range(categories):
            catalog.create_category(uow, CategoryIn(code=f"cat-{c:02d}", name={"fr_FR": f"Rayon {c}"}))
            for i in range(SKUS_PER_CATEGORY):
                catalog.create_product(
                    uow,
                    ProductIn.model_validate(
                        {
                            "code": f"P-{c:02d}-{i:03d}",
                            "family": "goods",
                            "category": f"cat-{c:02d}",
                            "tax_class": "reduced" if c % 5 == 0 else "standard",
                            "status": "active",
                            "name": {"fr_FR": f"Produit {c}-{i}"},
                            "variants": [{"sku": _sku(c, i)}],
                        }
                    ),
                )
        category_ids = [catalog.get_category(uow, f"cat-{c:02d}").id for c in range(categories)]
        prices = [
            {"sku": _sku(c, i), "amount": f"{rng.randint(300, 15000) / 100:.2f}"}
            for c in range(categories)
            for i in range(SKUS_PER_CATEGORY)
        ]
        base = service.create_price_list(uow, PriceListIn(code="base", name="Base", channels=["web", "app"]))
        stores = service.create_price_list(
            uow, PriceListIn(code="stores", name="Magasins", channels=["store"])
        )
        for plist in (base.id, stores.id):
            service.set_prices(uow, plist, PricesIn.model_validate({"prices": prices}))
        # A retailer's mix: mostly reductions on items and categories, some multi-buys and bundles,
        # few gifts and delivery offers.
        kinds = (
            ["percent_off"] * 7
            + ["fixed_off"] * 4
            + ["buy_x_get_y"] * 3
            + ["bundle"] * 3
            + ["gift"]
            + ["free_shipping"] * 2
        )
        for n in range(PROMOTIONS):
            kind = kinds[n % len(kinds)]
            c = rng.randrange(categories)
            params: dict[str, Any]
            if kind == "percent_off":
                percent = str(rng.choice([5, 10, 15, 20]))
                if n % 40 == 0:
                    params = {"percent": "5", "scope": "cart", "min_subtotal": "300"}
                elif n % 4 == 1:
                    params = {"percent": percent, "category_ids": [category_ids[c]]}
                else:
                    params = {
                        "percent": percent,
                        "skus": [_sku(c, rng.randrange(SKUS_PER_CATEGORY)) for _ in range(8)],
                    }
            elif kind == "fixed_off":
                params = {
                    "amount": "2.00",
                    "skus": [_sku(c, rng.randrange(SKUS_PER_CATEGORY)) for _ in range(5)],
                }
            elif kind == "buy_x_get_y":
                params = {
                    "buy": 2,
                    "get": 1,
                    "skus": [_sku(c, rng.randrange(SKUS_PER_CATEGORY)) for _ in range(10)],
                }
            elif kind == "bundle":
                params = {"items": {_sku(c, 0): 1, _sku(c, 1): 1}, "price": "20.00"}
            elif kind == "gift":
                params = {"gift_sku": _sku(c, 19), "min_subtotal": str(rng.choice([400, 600, 900]))}
            else:
                params = {"min_subtotal": str(rng.choice([50, 80]))}
            promo = service.create_promotion(
                uow,
                PromotionIn.model_validate(
                    {
                        "name": f"Opération {n}",
                        "kind": kind,
                        "params": params,
                        "priority": rng.randint(0, 10),
                        "stacking": "exclusive" if n % 50 == 49 and kind != "percent_off" else "stackable",
                        "channels": ["web"] if n % 7 == 0 else [],
                        "segments": ["vip"] if n % 11 == 0 else [],
                        "requires_coupon": n % 13 == 0,
                        "budget": "100000" if n % 3 == 0 else None,
                    }
                ),
            )
            if n == 13:
                service.create_coupon(uow, promo.id, CouponIn(code="BENCH10", max_uses_per_customer=1))
        token = create_key(uow, ApiKeyCreate(name="bench", scopes=["pricing:read"], channel="web")).token
        uow.commit()
    db.dispose()
    carts = []
    for n in range(50):
        chosen = rng.sample([(c, i) for c in range(categories) for i in range(SKUS_PER_CATEGORY)], LINES)
        carts.append(
            {
                "channel": "web" if n % 2 else "store:st_bench",
                "currency": "EUR",
                "lines": [
                    {"line_id": f"l{k}", "sku": _sku(c, i), "quantity": rng.randint(1, 3)}
                    for k, (c, i) in enumerate(chosen)
                ],
                "coupons": ["BENCH10"] if n % 5 == 0 else [],
                "shipping": {"mode": "home_delivery", "method": "standard", "amount": "4.90"},
            }
        )
    return token, carts


def _in_process(url: str, carts: list[dict[str, Any]], count: int) -> tuple[float, float, dict[str, Any]]:
    from comptoir.core.db import Database
    from comptoir.core.uow import UnitOfWork
    from comptoir.pricing import service
    from comptoir.pricing.schemas import PriceCartIn

    db = Database(url)
    commands = [PriceCartIn.model_validate(c) for c in carts]
    latencies = []
    cpu_started = time.process_time()
    sample: dict[str, Any] = {"gift_lines": 0}
    for n in range(count + 20):
        if n == 20:  # the first 20 carts warm up (connections, caches, models built on first use)
            cpu_started = time.process_time()
        t0 = time.perf_counter()
        with UnitOfWork(db, read_only=True) as uow:
            priced = service.price_cart(uow, commands[n % len(commands)])
        if n >= 20:
            latencies.append(time.perf_counter() - t0)
        if n == 1:
            sample = {
                "adjustments": sum(len(line.adjustments) for line in priced.lines)
                + len(priced.cart_adjustments),
                "discount": priced.discount_total,
            }
    sample["cpu_ms"] = (time.process_time() - cpu_started) * 1000 / count
    db.dispose()
    p50, p95 = _percentiles(latencies)
    return p50, p95, sample


def _http(
    base: str, path: str, headers: dict[str, str], bodies: list[dict[str, Any]] | None, count: int
) -> tuple[float, float, int]:
    latencies = []
    errors = 0
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client:
        for n in range(count + 30):
            t0 = time.perf_counter()
            response = client.post(path, json=bodies[n % len(bodies)]) if bodies else client.get(path)
            elapsed = time.perf_counter() - t0
            if response.status_code != 200:
                errors += 1
            elif n >= 30:
                latencies.append(elapsed)
    p50, p95 = _percentiles(latencies)
    return p50, p95, errors


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    count = 200 if args.quick else 2000
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench-pricing.db"
        t0 = time.perf_counter()
        token, carts = _prepare(url, 10 if args.quick else CATEGORIES)
        print(f"pricing_setup_s: {time.perf_counter() - t0:.1f}")
        print(f"pricing_active_promotions: {PROMOTIONS}")
        print(f"pricing_catalogue_skus: {(10 if args.quick else CATEGORIES) * SKUS_PER_CATEGORY}")
        print(f"pricing_cart_lines: {LINES}")
        p50, p95, sample = _in_process(url, carts, count)
        print(f"pricing_service_p50_ms: {p50:.2f}")
        print(f"pricing_service_p95_ms: {p95:.2f}")
        print(f"pricing_service_cpu_ms_per_cart: {sample['cpu_ms']:.2f}")
        print(f"pricing_sample_cart_adjustments: {sample['adjustments']}")
        log = Path(tmp) / "server.log"
        bare, bare_base = start_bare(log)
        try:
            b50, b95, _ = _http(bare_base, "/bare", {}, None, count)
        finally:
            stop(bare)
        server, base = start_comptoir(url, log)
        try:
            h50, h95, errors = _http(
                base, "/v1/pricing/quote", {"Authorization": f"Bearer {token}"}, carts, count
            )
        finally:
            stop(server)
        print(f"pricing_api_quote_p50_ms: {h50:.2f}")
        print(f"pricing_api_quote_p95_ms: {h95:.2f}")
        print(f"pricing_api_quote_errors: {errors}")
        print(f"bare_endpoint_p50_ms: {b50:.2f}")
        print(f"bare_endpoint_p95_ms: {b95:.2f}")
        print(f"pricing_api_p95_target_met: {'yes' if h95 < 10 else 'no'}")
        # Shared machines: the figures above mean little without the load they were taken under.
        print(f"machine_load_average_1min: {os.getloadavg()[0]:.1f}")
        print(f"machine_cpus: {os.cpu_count()}")
    try:
        from bench._loyalty import redemptions
    except ImportError:
        redemptions = None  # type: ignore[assignment]
    if redemptions is not None:
        try:
            # Its progress notes go to stderr: stdout stays ``name: value`` lines.
            with contextlib.redirect_stdout(sys.stderr):
                figures = redemptions(args.quick)
        except Exception as exc:  # the loyalty figures are that helper's; ours stand on their own
            print(f"loyalty_redemptions_error: {type(exc).__name__}")
        else:
            for name, value in figures.items():
                print(f"{name}: {value}")


if __name__ == "__main__":
    main()
