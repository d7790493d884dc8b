"""orders: the demo retailer's orders — a few hundred past orders in every mode, and a handful of live
ones (taken through the real checkout) waiting at each step of their lifecycle.

Past orders are finished (delivered, collected, sold at the till, a few cancelled or not collected):
they are written in bulk, four statements in all, so ``make run`` stays quick. Live orders go through
``checkout`` and ``transition`` like any other, with their stock held and their payments recorded.
"""

from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from sqlalchemy import insert, select

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartIn, LineIn
from comptoir.catalog import service as catalog_service
from comptoir.core import clock
from comptoir.core.context import Actor
from comptoir.core.errors import Problem
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service
from comptoir.orders import cache, policies
from comptoir.orders.checkout import checkout
from comptoir.orders.lifecycle import transition
from comptoir.orders.models import Fulfilment, FulfilmentLine, Order, OrderLine
from comptoir.orders.schemas import CheckoutIn
from comptoir.pricing import schemas as pricing_schemas
from comptoir.pricing import service as pricing_service
from comptoir.stores import service as stores_service

log = logging.getLogger(__name__)

PAST_ORDERS = 320
RIVOLI = "st_paris_rivoli"
SURNAMES = (
    "martin",
    "bernard",
    "dubois",
    "thomas",
    "robert",
    "richard",
    "petit",
    "durand",
    "leroy",
    "moreau",
)
ADDRESS = {"name": "Camille Martin", "line1": "8 rue de l'Arbre Sec", "postcode": "75001", "city": "Paris"}
# (mode, final fulfilment status, weight) of past orders
PAST = [
    ("home_delivery", "delivered", 30),
    ("click_and_collect", "collected", 22),
    ("reserve_and_collect", "collected", 6),
    ("store_sale", "collected", 30),
    ("home_delivery", "cancelled", 4),
    ("click_and_collect", "expired", 3),
    ("reserve_and_collect", "expired", 3),
]


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.execute(select(Order.id).limit(1)).first() is not None:
        return
    rng = random.Random(2026)
    places = [p for p in stores_service.all_places(uow) if p.status == "open"]
    stores = [p for p in places if p.kind == "store"]
    warehouses = [p for p in places if p.kind == "warehouse"]
    skus = list(islice(catalog_service.iter_skus(uow), 300))
    if not stores or not skus:
        return
    prices = _unit_prices(uow, skus)
    if not prices:
        return
    customers = _some_customers(uow)
    _past_orders(uow, rng, stores, warehouses, sorted(prices.items()), customers)
    _live_orders(uow, rng, sorted(prices), customers)


def _unit_prices(uow: UnitOfWork, skus: list[str]) -> dict[str, tuple[Decimal, Decimal]]:
    """(unit price, VAT rate) per SKU on the web price list; SKUs without a price are left out."""
    out: dict[str, tuple[Decimal, Decimal]] = {}
    for first in range(0, len(skus), 50):
        chunk = skus[first : first + 50]
        try:
            priced = pricing_service.price_cart(
                uow,
                pricing_schemas.PriceCartIn(
                    channel="web",
                    lines=[
                        pricing_schemas.CartLineIn(line_id=str(i), sku=s, quantity=1)
                        for i, s in enumerate(chunk)
                    ],
                ),
            )
        except Problem:
            continue
        out.update({line.sku: (Decimal(line.unit_price), Decimal(line.vat_rate)) for line in priced.lines})
    return out


def _some_customers(uow: UnitOfWork) -> list[str]:
    found: list[str] = []
    for name in ("camille martin", *SURNAMES):
        for hit in customers_service.search(uow, name, limit=12):
            if hit.customer.id not in found:
                found.append(hit.customer.id)
    return found


def _past_orders(
    uow: UnitOfWork,
    rng: random.Random,
    stores: list[Any],
    warehouses: list[Any],
    priced: list[tuple[str, tuple[Decimal, Decimal]]],
    customers: list[str],
) -> None:
    now = clock.now()
    categories = cache.categories_of(uow, [sku for sku, _ in priced])
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    fulfilments: list[dict[str, Any]] = []
    fulfilment_lines: list[dict[str, Any]] = []
    weights = [w for _, _, w in PAST]
    for n in range(PAST_ORDERS):
        mode, final, _ = rng.choices(PAST, weights=weights)[0]
        created = now - timedelta(days=rng.uniform(2, 120), minutes=rng.randint(0, 600))
        store = rng.choice(stores)
        customer = (
            rng.choice(customers) if customers and (mode != "store_sale" or rng.random() < 0.6) else None
        )
        channel = (
            f"store:{store.id}"
            if mode == "store_sale" or rng.random() < 0.15
            else rng.choice(("web", "web", "app"))
        )
        order_id = new_id("ord")
        chosen = rng.sample(priced, rng.randint(1, 3))
        order_lines = _past_lines(rng, n, order_id, chosen, categories)
        lines.extend(order_lines)
        if mode == "home_delivery":
            source = rng.choice(warehouses) if warehouses and rng.random() < 0.7 else store
        else:
            source = store
        fulfilment = _past_fulfilment(rng, order_id, mode, final, source, created)
        fulfilments.append(fulfilment)
        fulfilment_lines.extend(
            {
                "fulfilment_id": fulfilment["id"],
                "line_id": x["line_id"],
                "sku": x["sku"],
                "quantity": x["quantity"],
            }
            for x in order_lines
        )
        orders.append(
            _past_order(rng, order_id, mode, final, channel, customer, store, source, created, order_lines)
        )
    uow.session.execute(insert(Order), orders)
    uow.session.execute(insert(OrderLine), lines)
    uow.session.execute(insert(Fulfilment), fulfilments)
    uow.session.execute(insert(FulfilmentLine), fulfilment_lines)


def _past_lines(
    rng: random.Random,
    n: int,
    order_id: str,
    chosen: list[tuple[str, tuple[Decimal, Decimal]]],
    categories: dict[str, list[str]],
) -> list[dict[str, Any]]:
    """The lines of the n-th past order (1 or 2 of each chosen SKU, at its price and VAT rate)."""
    lines: list[dict[str, Any]] = []
    for position, (sku, (unit, vat)) in enumerate(chosen):
        quantity = rng.choice((1, 1, 1, 2))
        lines.append(
            {
                "order_id": order_id,
                "line_id": f"lin_{n:04d}_{position}",
                "position": position,
                "sku": sku,
                "quantity": quantity,
                "unit_price": unit,
                "discount": Decimal(0),
                "total": unit * quantity,
                "vat_rate": vat,
                "category_ids": categories.get(sku, []),
                "returned_quantity": 0,
            }
        )
    return lines


def _past_fulfilment(
    rng: random.Random, order_id: str, mode: str, final: str, source: Any, created: datetime
) -> dict[str, Any]:
    """The one fulfilment of a past order, from ``source`` (the store itself but for home deliveries)."""
    if mode == "home_delivery":
        kind = "ship_from_warehouse" if source.kind == "warehouse" else "ship_from_store"
    else:
        kind = {
            "click_and_collect": "pickup_from_store_stock",
            "reserve_and_collect": "reserve_and_collect",
        }.get(mode, "carry_out")
    fulfilment_id = new_id("ful")
    return {
        "id": fulfilment_id,
        "order_id": order_id,
        "kind": kind,
        "place_id": source.id,
        "source_place_id": source.id,
        "status": final,
        "reservation_reference": fulfilment_id,
        "pickup_expires_at": created + timedelta(days=7)
        if mode in ("click_and_collect", "reserve_and_collect")
        else None,
        "tracking_number": f"6A{rng.randint(10**10, 10**11 - 1)}" if final == "delivered" else None,
        "created_at": created,
        "updated_at": created + timedelta(days=2),
        "version": 4,
    }


def _past_order(
    rng: random.Random,
    order_id: str,
    mode: str,
    final: str,
    channel: str,
    customer: str | None,
    store: Any,
    source: Any,
    created: datetime,
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    """The order row of a past order: completed and paid, or cancelled and voided."""
    subtotal = sum((x["total"] for x in lines), Decimal(0))
    shipping = Decimal("4.90") if mode == "home_delivery" else Decimal(0)
    done = final in ("delivered", "collected")
    return {
        "id": order_id,
        "number": policies.order_number(rng.randbytes(5)),
        "customer_id": customer,
        "channel": channel,
        "currency": "EUR",
        "mode": mode,
        "status": "completed" if done else "cancelled",
        "payment_status": "paid" if done else "voided",
        "cart_id": None,
        "seller_id": f"vendeur-{rng.randint(1, 40):03d}"
        if channel.startswith("store:") and mode != "store_sale"
        else None,
        "email": None,
        "receipt_by_email": False,
        "address": ADDRESS if mode == "home_delivery" else None,
        "pickup_place_id": None if mode == "home_delivery" else store.id,
        "subtotal": subtotal,
        "discount_total": Decimal(0),
        "shipping_total": shipping,
        "tax_total": sum(
            (x["total"] - x["total"] / (1 + x["vat_rate"] / 100) for x in lines),
            Decimal(0),
        ).quantize(Decimal("0.01")),
        "total": subtotal + shipping,
        "sourcing": _past_sourcing(source),
        "note": "",
        "created_at": created,
        "updated_at": created + timedelta(days=2),
        "paid_at": created + timedelta(days=1) if done else None,
        "cancelled_at": created + timedelta(days=8) if not done else None,
        "version": 3,
    }


def _past_sourcing(source: Any) -> dict[str, Any]:
    """The sourcing decision recorded on a past order: one parcel from its source."""
    return {
        "strategy": "demo history",
        "parcels": 1,
        "cost": 0.0,
        "candidates": [
            {
                "place_id": source.id,
                "kind": source.kind,
                "score": None,
                "distance_km": None,
                "covers": 1,
                "chosen": True,
                "reason": "chosen",
            }
        ],
        "summary": f"1 parcel(s) from {source.id}",
    }


def _live_orders(uow: UnitOfWork, rng: random.Random, skus: list[str], customers: list[str]) -> None:
    """Open orders through the real checkout, left at different steps (some may find no stock: skipped)."""
    rivoli = Actor(key_id=None, channel=f"store:{RIVOLI}", scopes=frozenset({"*"}))
    plans: list[tuple[str, dict[str, Any], list[str]]] = [
        (
            "web",
            {
                "mode": "home_delivery",
                "address": ADDRESS,
                "tenders": [{"method": "card", "details": {"card_token": "tok_visa"}}],
            },
            [],
        ),
        (
            "web",
            {
                "mode": "home_delivery",
                "address": ADDRESS,
                "tenders": [{"method": "card", "details": {"card_token": "tok_visa"}}],
            },
            ["allocate", "pick"],
        ),
        ("app", {"mode": "click_and_collect", "pickup_place_id": RIVOLI}, ["allocate"]),
        ("web", {"mode": "click_and_collect", "pickup_place_id": RIVOLI}, ["allocate", "pick", "ready"]),
        ("web", {"mode": "reserve_and_collect", "pickup_place_id": RIVOLI}, []),
        (
            "store",
            {
                "mode": "home_delivery",
                "address": ADDRESS,
                "seller_id": "vendeuse-012",
                "tenders": [{"method": "card", "details": {"card_token": "tok_visa"}}],
            },
            [],
        ),
        ("store", {"mode": "click_and_collect", "pickup_place_id": RIVOLI, "seller_id": "vendeuse-012"}, []),
    ]
    for index, (channel, body, steps) in enumerate(plans * 2):
        customer = customers[index % len(customers)] if customers else None
        actor = (
            rivoli
            if channel == "store"
            else Actor(key_id=None, channel=channel, scopes=frozenset({"*"}), customer_id=customer)
        )
        previous = uow.actor
        uow.session.info["actor"] = actor
        uow.actor = actor
        try:
            with uow.savepoint():
                lines = [LineIn(sku=sku, quantity=1) for sku in rng.sample(skus, rng.randint(1, 2))]
                cart, _ = carts_service.create_cart(uow, CartIn(customer_id=customer, lines=lines))
                order = checkout(uow, CheckoutIn.model_validate({"cart_id": cart.id, **body}))
                for action in steps:
                    for fulfilment in order.fulfilments:
                        transition(uow, fulfilment.id, action)
        except Problem as problem:  # the demo stock may not allow this one: the others still load
            log.info("demo order skipped: %s", problem.detail)
        finally:
            uow.actor = previous
            uow.session.info["actor"] = previous
