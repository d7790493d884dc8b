"""Checkout: a cart becomes an order in ONE unit of work — all or nothing.

1. convert the cart (``carts.order_cart``: locked, still open, reachable by the acting key) and check
   it is the version the customer saw;
2. re-price it for the chosen mode (``pricing.price_cart``, shipping fee from the retailer's rules);
3. validate the mode: delivery address, pickup place open and offering the service, till store;
4. source every line (:mod:`comptoir.orders.sourcing` over ``inventory.stock_levels`` and places);
5. insert the order (its ``cart_id`` is unique: a second checkout of the cart waits, then fails);
6. hold stock (``inventory.reserve`` per fulfilment), commit promotions (``pricing.commit_promotions``),
   take payment (``payments.authorise``), mark the cart ordered, record events.

Any refusal (out of stock, coupon used up, card declined) raises and the caller's unit of work rolls
everything back: no order, no reservation, no coupon use, no debit.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import IntegrityError

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartOut
from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden, InvalidInput
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.inventory import schemas as inventory_schemas
from comptoir.inventory import service as inventory_service
from comptoir.orders import cache, policies
from comptoir.orders.events import FulfilmentReadyForPickup, OrderPlaced
from comptoir.orders.models import Fulfilment, FulfilmentLine, Order, OrderLine
from comptoir.orders.payment import authorise, mark_paid, settle_store_sale
from comptoir.orders.read import order_out
from comptoir.orders.rules import load_rules
from comptoir.orders.schemas import CheckoutIn, OrderOut
from comptoir.orders.sourcing import Candidate, Demand, Plan, Unservable, haversine_km, source
from comptoir.pricing import schemas as pricing_schemas
from comptoir.pricing import service as pricing_service
from comptoir.stores import service as stores_service
from comptoir.stores.schemas import PlaceOut

# Called once the stock is held, before the order is written, inside the checkout's transaction. Empty in
# production; a test process appends to it (e.g. to be killed there: tests/support/paused_checkout.py).
STOCK_HELD_HOOKS: list[Callable[[], None]] = []
OPEN_LOAD_STATUSES = ("placed", "in_transit", "allocated", "picking")


# Core inserts built once (the ORM's bulk path re-coerced every value of every row on each checkout).
_INSERT_ORDER = insert(cast(Table, Order.__table__))
_INSERT_LINES = insert(cast(Table, OrderLine.__table__))
_INSERT_FULFILMENTS = insert(cast(Table, Fulfilment.__table__))
_INSERT_FULFILMENT_LINES = insert(cast(Table, FulfilmentLine.__table__))


class OutOfStockForOrder(Conflict):
    slug = "out-of-stock"
    title = "Not enough stock"


class CartChanged(Conflict):
    slug = "cart-changed"
    title = "The cart has changed"


class CartAlreadyOrdered(Conflict):
    slug = "cart-already-ordered"
    title = "The cart is already an order"


@dataclass
class _Line:
    line_id: str
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    vat_rate: Decimal


def _channel(uow: UnitOfWork, cart_channel: str) -> str:
    channel = uow.actor.channel
    if channel is None or channel == "system":
        return cart_channel
    return channel


def checkout(uow: UnitOfWork, cmd: CheckoutIn, *, cart_token: str | None = None) -> OrderOut:
    """``cart_token``: an anonymous cart's ``X-Cart-Token`` (shop fronts reach their carts only with it)."""
    actor = uow.actor
    now = clock.now()
    rules = load_rules(uow)
    order_id = new_id("ord")
    # Lock the cart first (carts.order_cart: a guarded UPDATE of its row): a second checkout of the same
    # cart waits here, then finds it ordered (409 cart-closed); its lines cannot change under us. The
    # acting key's access rules apply; the cart comes unpriced (priced below for the mode, once).
    cart = carts_service.order_cart(uow, cmd.cart_id, order_id, cart_token)
    if cmd.cart_version is not None and cmd.cart_version != cart.version - 1:  # mark_ordered bumped it
        raise CartChanged(
            f"The cart is at version {cart.version - 1}, not {cmd.cart_version}: review it and confirm again.",
            current_version=cart.version - 1,
        )
    if not cart.lines:
        raise InvalidInput("The cart is empty.", field="cart_id")
    channel = _channel(uow, cart.channel_started)
    customer_id = cart.customer_id or cmd.customer_id or actor.customer_id
    if actor.customer_id is not None and cart.customer_id not in (None, actor.customer_id):
        raise Forbidden("This cart belongs to someone else.")
    if cmd.customer_id and cart.customer_id and cmd.customer_id != cart.customer_id:
        raise InvalidInput("The cart belongs to another customer.", field="customer_id")

    # -- the mode and its places ----------------------------------------------------------------
    pickup: PlaceOut | None = None
    till: PlaceOut | None = None
    if cmd.mode in ("click_and_collect", "reserve_and_collect"):
        assert cmd.pickup_place_id is not None
        pickup = _place(uow, cmd.pickup_place_id, "pickup_place_id")
        _check_pickup(pickup, cmd.mode)
    if cmd.mode == "store_sale":
        till_id = cmd.place_id or actor.store_id
        if till_id is None:
            raise InvalidInput("A store sale needs the till's store (place_id).", field="place_id")
        if actor.store_id is not None and till_id != actor.store_id:
            raise InvalidInput("A till sells from its own store only.", field="place_id")
        till = _place(uow, till_id, "place_id")
    if cmd.seller_id and not channel.startswith("store:"):
        raise InvalidInput("Only a store channel takes orders for a seller.", field="seller_id")

    # -- re-price for the mode (the cart's own prices serve when nothing differs) ------------------
    priced = _reprice(uow, cmd, rules, cart, channel, customer_id, till)
    lines = _order_lines(priced, cart.currency)
    demand = [Demand(line.line_id, line.sku, line.quantity) for line in lines]

    # -- source (reads only) ---------------------------------------------------------------
    plan = _source(uow, cmd, rules, demand, pickup, till)
    fulfilment_rows, fulfilment_lines, reservations = _fulfilments(
        order_id, cmd, plan, pickup, till, rules, now, demand
    )
    categories = cache.categories_of(uow, (line.sku for line in lines))

    # -- promotions and payment, before the stock rows are locked (they stay locked until commit) --
    total = policies.money(priced.total, cart.currency)
    pricing_service.commit_promotions(uow, order_id, customer_id, priced)
    payments = authorise(uow, order_id, customer_id, channel, cart.currency, cmd, total, rules)

    # -- hold the stock: the hot rows, locked as late as possible ------------------------------------
    for reference, kind, expires_at, held in reservations:
        inventory_service.reserve(
            uow,
            inventory_schemas.ReserveIn(
                reference=reference,
                lines=[
                    inventory_schemas.ReserveLine(sku=sku, place_id=place, quantity=qty)
                    for sku, place, qty in held
                ],
                kind=kind,
                expires_at=expires_at,
            ),
            savepoint=False,  # a refusal fails the whole checkout: its unit of work is rolled back
        )
    for hook in STOCK_HELD_HOOKS:
        hook()

    # -- the order ----------------------------------------------------------------------------------
    number = policies.order_number(os.urandom(5))
    row: dict[str, Any] = {
        "id": order_id,
        "number": number,
        "customer_id": customer_id,
        "channel": channel,
        "currency": cart.currency,
        "mode": cmd.mode,
        "status": policies.order_status(str(f["status"]) for f in fulfilment_rows),
        "payment_status": policies.payment_status([p.state for p in payments]) if payments else "paid",
        "cart_id": cart.id,
        "seller_id": cmd.seller_id,
        "email": str(cmd.email) if cmd.email else None,
        "receipt_by_email": cmd.receipt_by_email,
        "address": cmd.address.model_dump(mode="json") if cmd.address else None,
        "pickup_place_id": pickup.id if pickup else (till.id if till else None),
        "subtotal": policies.money(priced.subtotal, cart.currency),
        "discount_total": policies.money(-abs(Decimal(priced.discount_total)), cart.currency),
        "shipping_total": policies.money(priced.shipping_total, cart.currency),
        "tax_total": policies.money(priced.tax_total, cart.currency),
        "total": total,
        "sourcing": plan.explanation(_strategy(cmd.mode)),
        "note": cmd.note,
        "created_at": now,
        "updated_at": now,
        "paid_at": None,
        "cancelled_at": None,
        "version": 1,
    }
    line_rows = [
        {
            "order_id": order_id,
            "line_id": line.line_id,
            "position": position,
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount": line.discount,
            "total": line.total,
            "vat_rate": line.vat_rate,
            "category_ids": categories.get(line.sku, []),
            "returned_quantity": 0,
        }
        for position, line in enumerate(lines)
    ]
    conn = uow.session.connection()
    try:
        conn.execute(_INSERT_ORDER, row)
    except IntegrityError:  # the same cart ordered by a racing checkout (a safety net behind the cart lock)
        raise CartAlreadyOrdered(f"Cart {cart.id} is already an order.") from None
    conn.execute(_INSERT_LINES, line_rows)
    conn.execute(_INSERT_FULFILMENTS, fulfilment_rows)
    conn.execute(_INSERT_FULFILMENT_LINES, fulfilment_lines)
    uow.record(
        OrderPlaced(
            order_id=order_id,
            customer_id=customer_id,
            channel=channel,
            number=number,
            mode=cmd.mode,
            currency=cart.currency,
            total=str(total),
            email=row["email"],
            seller_id=cmd.seller_id,
        )
    )
    for f in fulfilment_rows:
        if f["status"] == "ready_for_pickup":  # reserve & collect: held on the shelf from the start
            uow.record(
                FulfilmentReadyForPickup(
                    order_id=order_id,
                    customer_id=customer_id,
                    channel=channel,
                    fulfilment_id=f["id"],
                    kind=f["kind"],
                    place_id=f["place_id"],
                    source_place_id=f["source_place_id"],
                    pickup_expires_at=f["pickup_expires_at"].isoformat() if f["pickup_expires_at"] else None,
                )
            )
    if row["payment_status"] == "paid":
        row["paid_at"] = now if mark_paid(uow, order_id) else None
    if cmd.mode == "store_sale":
        payments = settle_store_sale(uow, order_id, [str(f["id"]) for f in fulfilment_rows])
        row["status"], row["payment_status"] = (
            "completed",
            policies.payment_status([p.state for p in payments]),
        )
        row["paid_at"] = now if row["payment_status"] == "paid" else None
    return order_out(row, line_rows, fulfilment_rows, fulfilment_lines, payments)


def _reprice(
    uow: UnitOfWork,
    cmd: CheckoutIn,
    rules: policies.OrdersRules,
    cart: CartOut,
    channel: str,
    customer_id: str | None,
    till: PlaceOut | None,
) -> pricing_schemas.PricedCart:
    fee = policies.shipping_fee(rules, cmd.mode, cmd.shipping_method)
    if fee is None:
        raise InvalidInput(
            f"Unknown shipping method {cmd.shipping_method!r} (known: {', '.join(sorted(rules.shipping_fees))}).",
            field="shipping_method",
        )
    request = pricing_schemas.PriceCartIn(
        currency=cart.currency,
        channel=channel,
        store_id=till.id if till else cart.store_id,
        customer_id=customer_id,
        lines=[
            pricing_schemas.CartLineIn(line_id=line.line_id, sku=line.sku, quantity=line.quantity)
            for line in cart.lines
        ],
        coupons=list(cart.coupons),
        shipping=pricing_schemas.ShippingIn(method=cmd.shipping_method, amount=fee)
        if cmd.mode == "home_delivery"
        else None,
    )
    return pricing_service.price_cart(uow, request)


def _strategy(mode: str) -> str:
    return {
        "home_delivery": "cheapest plan: parcels, distance, handling cost, capacity",
        "click_and_collect": "pickup store first, then transfers by cost",
        "reserve_and_collect": "held at the pickup store",
        "store_sale": "carried out of the till's store",
    }[mode]


def _place(uow: UnitOfWork, place_id: str, field: str) -> PlaceOut:
    place = cache.places(uow, [place_id]).get(place_id)
    if place is None:
        raise InvalidInput(f"Place {place_id} does not exist.", field=field)
    return place


def _check_pickup(place: PlaceOut, mode: str) -> None:
    if place.kind == "warehouse":
        raise InvalidInput(
            f"{place.name} is a warehouse: customers cannot collect there.", field="pickup_place_id"
        )
    if place.status != "open":
        raise InvalidInput(f"{place.name} is {place.status.replace('_', ' ')}.", field="pickup_place_id")
    if mode not in place.services:
        raise InvalidInput(f"{place.name} does not offer {mode.replace('_', ' ')}.", field="pickup_place_id")


def _order_lines(priced: pricing_schemas.PricedCart, currency: str) -> list[_Line]:
    out: list[_Line] = []
    for p in [*priced.lines, *priced.gift_lines]:
        gross = Decimal(p.unit_price) * p.quantity
        paid = policies.money(p.amount_payable, currency)
        out.append(
            _Line(
                line_id=p.line_id,
                sku=p.sku,
                quantity=p.quantity,
                unit_price=policies.money(p.unit_price, currency),
                discount=policies.money(max(gross - paid, Decimal(0)), currency),
                total=paid,
                vat_rate=Decimal(p.vat_rate),
            )
        )
    return out


def _customer_point(uow: UnitOfWork, cmd: CheckoutIn) -> tuple[float, float] | None:
    if cmd.address is None:
        return None
    if cmd.address.latitude is not None and cmd.address.longitude is not None:
        return cmd.address.latitude, cmd.address.longitude
    return stores_service.geocode_postcode(uow, cmd.address.postcode)


def _open_load(uow: UnitOfWork, place_ids: list[str]) -> dict[str, int]:
    """Units each place still has to pick (its open fulfilments): what capacity is measured against."""
    if not place_ids:
        return {}
    rows = uow.session.execute(
        select(Fulfilment.source_place_id, func.sum(FulfilmentLine.quantity))
        .join(FulfilmentLine, FulfilmentLine.fulfilment_id == Fulfilment.id)
        .where(Fulfilment.source_place_id.in_(place_ids), Fulfilment.status.in_(OPEN_LOAD_STATUSES))
        .group_by(Fulfilment.source_place_id)
    ).all()
    return {pid: int(n or 0) for pid, n in rows}


def _source(
    uow: UnitOfWork,
    cmd: CheckoutIn,
    rules: policies.OrdersRules,
    demand: list[Demand],
    pickup: PlaceOut | None,
    till: PlaceOut | None,
) -> Plan:
    skus = sorted({d.sku for d in demand})
    only = [pickup.id] if cmd.mode == "reserve_and_collect" and pickup else [till.id] if till else None
    levels = inventory_service.stock_levels(uow, skus, only)
    stock: dict[str, dict[str, int]] = defaultdict(dict)
    for sku, per_place in levels.items():
        for level in per_place:
            if level.available > 0:
                stock[level.place_id][sku] = int(level.available)
    if cmd.mode in ("reserve_and_collect", "store_sale"):
        place = pickup or till
        assert place is not None
        stock.setdefault(place.id, {})
    known = {p.id: p for p in (pickup, till) if p is not None}
    missing = sorted(set(stock) - set(known))
    places = {**known, **(cache.places(uow, missing) if missing else {})}
    sr = rules.sourcing
    limited = bool(sr.capacities) or (
        sr.default_store_capacity is not None or sr.default_warehouse_capacity is not None
    )
    # Capacity is about picking: goods on the shelf (reserve & collect) or in the basket need none.
    load = (
        _open_load(uow, sorted(places))
        if limited and cmd.mode not in ("reserve_and_collect", "store_sale")
        else {}
    )
    origin: tuple[float, float] | None
    if cmd.mode == "home_delivery":
        origin = _customer_point(uow, cmd)
    elif pickup is not None:
        origin = (pickup.latitude, pickup.longitude)
    else:
        origin = None
    candidates: list[Candidate] = []
    for place_id, held in sorted(stock.items()):
        place = places.get(place_id)
        if place is None:
            continue
        distance = (
            None if origin is None else haversine_km(origin[0], origin[1], place.latitude, place.longitude)
        )
        excluded = _exclusion(cmd.mode, place, pickup, till, distance, sr)
        capacity_total = sr.capacities.get(
            place_id,
            sr.default_warehouse_capacity if place.kind == "warehouse" else sr.default_store_capacity,
        )
        capacity = None if capacity_total is None else max(capacity_total - load.get(place_id, 0), 0)
        if cmd.mode in ("reserve_and_collect", "store_sale"):
            capacity = None  # the goods are on the shelf (or in the basket): nothing to pick
        candidates.append(
            Candidate(
                place_id=place_id,
                kind="warehouse" if place.kind == "warehouse" else "store",
                distance_km=distance,
                stock=held,
                capacity=capacity,
                fixed_cost=sr.place_costs.get(place_id, 0.0),
                excluded=excluded,
            )
        )
    search_rules = sr
    if cmd.mode in ("reserve_and_collect", "store_sale"):
        search_rules = sr.model_copy(update={"max_parcels": 1})
    try:
        return source(demand, candidates, search_rules)
    except Unservable as refused:
        raise OutOfStockForOrder(
            "Not enough stock to serve the order: "
            + ", ".join(f"{sku} (missing {n})" for sku, n in sorted(refused.short.items()))
            + ".",
            skus=sorted(refused.short),
            places_considered=refused.candidates,
        ) from None


def _exclusion(
    mode: str,
    place: PlaceOut,
    pickup: PlaceOut | None,
    till: PlaceOut | None,
    distance: float | None,
    sr: Any,
) -> str | None:
    if place.status != "open":
        return f"{place.status.replace('_', ' ')}"
    if mode == "store_sale":
        return None if till and place.id == till.id else "not the till's store"
    if mode == "reserve_and_collect":
        return (
            None
            if pickup and place.id == pickup.id
            else "reserve & collect holds stock in the pickup store only"
        )
    if place.kind == "pickup_point":
        return "a pickup point holds no stock to ship"
    if mode == "home_delivery":
        if place.kind == "warehouse":
            return None
        if not sr.ship_from_store:
            return "ship-from-store is off in the sourcing rules"
        if "ship_from_store" not in place.services:
            return "this store does not ship orders"
        if distance is not None and distance > sr.ship_from_store_max_km:
            return f"{distance:.0f} km away, beyond the {sr.ship_from_store_max_km:.0f} km ship-from-store radius"
        return None
    # click & collect: the pickup store itself, or a transfer from elsewhere
    if pickup and place.id == pickup.id:
        return None
    if not sr.transfer_for_pickup:
        return "transfers for click & collect are off in the sourcing rules"
    if distance is not None and distance > sr.transfer_max_km:
        return (
            f"{distance:.0f} km from the pickup store, beyond the {sr.transfer_max_km:.0f} km transfer radius"
        )
    return None


def _fulfilments(
    order_id: str,
    cmd: CheckoutIn,
    plan: Plan,
    pickup: PlaceOut | None,
    till: PlaceOut | None,
    rules: policies.OrdersRules,
    now: Any,
    demand: list[Demand],
) -> tuple[
    list[dict[str, Any]], list[dict[str, Any]], list[tuple[str, str, Any, list[tuple[str, str, int]]]]
]:
    by_place: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
    for a in plan.allocations:
        by_place[a.place_id].append((a.line_id, a.sku, a.quantity))
    kinds = {c["place_id"]: c for c in plan.candidates}
    rows: list[dict[str, Any]] = []
    line_rows: list[dict[str, Any]] = []
    reservations: list[tuple[str, str, Any, list[tuple[str, str, int]]]] = []
    for source_place_id in plan.places:
        fulfilment_id = new_id("ful")
        source_kind = "warehouse" if kinds.get(source_place_id, {}).get("kind") == "warehouse" else "store"
        kind = policies.fulfilment_kind(cmd.mode, source_kind, source_place_id, pickup.id if pickup else None)
        place_id = pickup.id if pickup else (till.id if till else source_place_id)
        status = policies.INITIAL_STATUS[kind]
        expires_at = None
        if kind == "reserve_and_collect":
            # Inventory lets the units go at the deadline; the expiry job marks the fulfilment and tells the customer.
            expires_at = now + timedelta(hours=rules.reserve_hold_hours)
        rows.append(
            {
                "id": fulfilment_id,
                "order_id": order_id,
                "kind": kind,
                "place_id": place_id,
                "source_place_id": source_place_id,
                "status": status,
                "reservation_reference": fulfilment_id,
                "pickup_expires_at": expires_at,
                "tracking_number": None,
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        merged: dict[str, tuple[str, int]] = {}
        for line_id, sku, qty in by_place[source_place_id]:
            prev = merged.get(line_id)
            merged[line_id] = (sku, qty + (prev[1] if prev else 0))
        line_rows.extend(
            {"fulfilment_id": fulfilment_id, "line_id": line_id, "sku": sku, "quantity": qty}
            for line_id, (sku, qty) in merged.items()
        )
        per_sku: dict[str, int] = defaultdict(int)
        for _line_id, sku, qty in by_place[source_place_id]:
            per_sku[sku] += qty
        reserve_kind = (
            "reserve_collect"
            if kind == "reserve_and_collect"
            else "checkout"
            if kind == "carry_out"
            else "order"
        )
        reservations.append(
            (
                fulfilment_id,
                reserve_kind,
                None,
                [(sku, source_place_id, qty) for sku, qty in sorted(per_sku.items())],
            )
        )
    return rows, line_rows, reservations
