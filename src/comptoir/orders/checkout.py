"""Checkout: a cart becomes an order in ONE unit of work — all or nothing.

1. convert the cart (``carts.order_cart``: locked, still open, reachable by the acting key) and check
   it is the version the customer saw;
2. validate the mode: pickup place open and offering the service, till store;
3. re-price it for the chosen mode (``pricing.price_cart``, shipping fee from the retailer's rules);
4. source every line from the stock read now (:mod:`comptoir.orders.allocation`, whose rules are
   :mod:`comptoir.orders.sourcing_policy`'s);
5. take payment (``payments.authorise``), then commit promotions (``pricing.commit_promotions``: only
   capped ones lock, after the authorisation);
6. hold the stock (``inventory.reserve`` per fulfilment; a refused hold re-plans against fresh stock);
7. insert the order (its ``cart_id`` is unique: a second checkout of the cart waits, then fails) and
   record its events; a store sale paid at once is settled (goods out, payment captured, completed), one
   whose card awaits 3-D Secure is placed, its stock held, until the bank answers.

Any refusal (out of stock, coupon used up, card declined) raises and the caller's unit of work rolls
everything back: no order, no reservation, no coupon use, no debit.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError

from comptoir.carts import service as carts_service
from comptoir.carts.schemas import CartOut
from comptoir.core import clock
from comptoir.core.errors import Conflict, Forbidden, InvalidInput
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.orders import allocation, cache, policies, sourcing_policy
from comptoir.orders.allocation import Fulfilments, OutOfStockForOrder, Places
from comptoir.orders.events import FulfilmentReadyForPickup, OrderPlaced
from comptoir.orders.models import Fulfilment, FulfilmentLine, Order, OrderLine
from comptoir.orders.payment import authorise, mark_paid, settle_store_sale
from comptoir.orders.read import order_out
from comptoir.orders.rules import load_rules
from comptoir.orders.schemas import CheckoutIn, OrderOut
from comptoir.orders.sourcing import Demand, Plan
from comptoir.pricing import schemas as pricing_schemas
from comptoir.pricing import service as pricing_service
from comptoir.stores.schemas import PlaceOut

__all__ = ["CartAlreadyOrdered", "CartChanged", "OutOfStockForOrder", "checkout"]

# Called once the stock is held, before the order is written, inside the checkout's transaction. Empty in
# production; a test process appends to it (e.g. to be killed there: tests/support/paused_checkout.py).
STOCK_HELD_HOOKS: list[Callable[[], None]] = []


# Core inserts built once (the ORM's bulk path re-coerced every value of every row on each checkout).
_INSERT_ORDER = insert(cast(Table, Order.__table__))
_INSERT_LINES = insert(cast(Table, OrderLine.__table__))
_INSERT_FULFILMENTS = insert(cast(Table, Fulfilment.__table__))
_INSERT_FULFILMENT_LINES = insert(cast(Table, FulfilmentLine.__table__))


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
    now = clock.now()
    rules = load_rules(uow)
    order_id = new_id("ord")
    cart = _ordered_cart(uow, cmd, order_id, cart_token)
    channel = _channel(uow, cart.channel_started)
    customer_id = _customer(uow, cmd, cart)
    at = _mode_places(uow, cmd, channel)

    # -- re-price for the mode, then source from the stock read now (reads only: refuses early) ------
    priced = _reprice(uow, cmd, rules, cart, channel, customer_id, at.till)
    lines = _order_lines(priced, cart.currency)
    demand = [Demand(line.line_id, line.sku, line.quantity) for line in lines]
    plan = allocation.plan_order(uow, cmd, rules, demand, at)
    categories = cache.categories_of(uow, (line.sku for line in lines))

    # -- payment, then promotions: nothing is locked while the card provider answers (up to its
    # timeout); a capped promotion's guarded counter is locked from here to the commit, and a refusal
    # rolls back the unit of work, whose compensation voids the card authorised above.
    total = policies.money(priced.total, cart.currency)
    payments = authorise(uow, order_id, customer_id, channel, cart.currency, cmd, total, rules)
    pricing_service.commit_promotions(uow, order_id, customer_id, priced)

    # -- hold the stock: the hot rows, locked as late as possible (a refused hold re-plans) -----------
    plan, planned = allocation.hold(uow, order_id, cmd, rules, demand, at, plan, now)
    for hook in STOCK_HELD_HOOKS:
        hook()
    sold_now = cmd.mode == "store_sale" and _hand_over(planned, payments)

    # -- the order ----------------------------------------------------------------------------------
    row = _order_row(order_id, cmd, cart, channel, customer_id, at, priced, plan, planned, payments, now)
    line_rows = _line_rows(order_id, lines, categories)
    _insert(uow, row, line_rows, planned)
    _record(uow, row, planned)
    if row["payment_status"] == "paid":
        row["paid_at"] = now if mark_paid(uow, order_id) else None
    if sold_now:
        payments = settle_store_sale(uow, order_id, [str(f["id"]) for f in planned.rows])
        row["status"], row["payment_status"] = (
            "completed",
            policies.payment_status([p.state for p in payments]),
        )
        row["paid_at"] = now if row["payment_status"] == "paid" else None
    return order_out(row, line_rows, planned.rows, planned.lines, payments)


def _hand_over(planned: Fulfilments, payments: list[Any]) -> bool:
    """A store sale paid at once: its goods leave now (collected before the rows are written). A card
    awaiting 3-D Secure leaves them awaiting payment, held, until the bank answers
    (:mod:`comptoir.orders.handlers`)."""
    if policies.store_sale_payment((p.method, p.state) for p in payments) != "settle":
        return False
    for f in planned.rows:
        f["status"] = policies.next_status(str(f["kind"]), str(f["status"]), "collect")
    return True


def _ordered_cart(uow: UnitOfWork, cmd: CheckoutIn, order_id: str, cart_token: str | None) -> CartOut:
    """Lock the cart first (carts.order_cart: a guarded UPDATE of its row): a second checkout of the
    same cart waits here, then finds it ordered (409 cart-closed); its lines cannot change under us.
    The acting key's access rules apply; the cart comes unpriced (priced for the mode, once)."""
    cart = carts_service.order_cart(uow, cmd.cart_id, order_id, cart_token)
    if cmd.cart_version is not None and cmd.cart_version != cart.version - 1:  # mark_ordered bumped it
        raise CartChanged(
            f"The cart is at version {cart.version - 1}, not {cmd.cart_version}: review it and confirm again.",
            current_version=cart.version - 1,
        )
    if not cart.lines:
        raise InvalidInput("The cart is empty.", field="cart_id")
    return cart


def _customer(uow: UnitOfWork, cmd: CheckoutIn, cart: CartOut) -> str | None:
    actor = uow.actor
    if actor.customer_id is not None and cart.customer_id not in (None, actor.customer_id):
        raise Forbidden("This cart belongs to someone else.")
    if cmd.customer_id and cart.customer_id and cmd.customer_id != cart.customer_id:
        raise InvalidInput("The cart belongs to another customer.", field="customer_id")
    return cart.customer_id or cmd.customer_id or actor.customer_id


def _mode_places(uow: UnitOfWork, cmd: CheckoutIn, channel: str) -> Places:
    """The pickup store (open, offering the mode) or the till's store the mode names."""
    at = Places()
    if cmd.mode in ("click_and_collect", "reserve_and_collect"):
        assert cmd.pickup_place_id is not None
        at.pickup = _place(uow, cmd.pickup_place_id, "pickup_place_id")
        _check_pickup(at.pickup, cmd.mode)
    if cmd.mode == "store_sale":
        till_id = cmd.place_id or uow.actor.store_id
        if till_id is None:
            raise InvalidInput("A store sale needs the till's store (place_id).", field="place_id")
        if uow.actor.store_id is not None and till_id != uow.actor.store_id:
            raise InvalidInput("A till sells from its own store only.", field="place_id")
        at.till = _place(uow, till_id, "place_id")
    if cmd.seller_id and not channel.startswith("store:"):
        raise InvalidInput("Only a store channel takes orders for a seller.", field="seller_id")
    return at


def _order_row(
    order_id: str,
    cmd: CheckoutIn,
    cart: CartOut,
    channel: str,
    customer_id: str | None,
    at: Places,
    priced: pricing_schemas.PricedCart,
    plan: Plan,
    planned: Fulfilments,
    payments: list[Any],
    now: datetime,
) -> dict[str, Any]:
    cur = cart.currency
    place = at.pickup or at.till
    return {
        "id": order_id,
        "number": policies.order_number(os.urandom(5)),
        "customer_id": customer_id,
        "channel": channel,
        "currency": cur,
        "mode": cmd.mode,
        "status": policies.order_status(str(f["status"]) for f in planned.rows),
        "payment_status": policies.payment_status([p.state for p in payments]) if payments else "paid",
        "cart_id": cart.id,
        "seller_id": cmd.seller_id,
        "email": str(cmd.email) if cmd.email else None,
        "receipt_by_email": cmd.receipt_by_email,
        "address": cmd.address.model_dump(mode="json") if cmd.address else None,
        "pickup_place_id": place.id if place else None,
        "subtotal": policies.money(priced.subtotal, cur),
        "discount_total": policies.money(-abs(Decimal(priced.discount_total)), cur),
        "shipping_total": policies.money(priced.shipping_total, cur),
        "tax_total": policies.money(priced.tax_total, cur),
        "total": policies.money(priced.total, cur),
        "sourcing": plan.explanation(sourcing_policy.STRATEGIES[cmd.mode]),
        "note": cmd.note,
        "created_at": now,
        "updated_at": now,
        "paid_at": None,
        "cancelled_at": None,
        "version": 1,
    }


def _line_rows(order_id: str, lines: list[_Line], categories: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [
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


def _insert(
    uow: UnitOfWork, row: dict[str, Any], line_rows: list[dict[str, Any]], planned: Fulfilments
) -> None:
    conn = uow.session.connection()
    try:
        conn.execute(_INSERT_ORDER, row)
    except IntegrityError:  # the same cart ordered by a racing checkout (a safety net behind the cart lock)
        raise CartAlreadyOrdered(f"Cart {row['cart_id']} is already an order.") from None
    conn.execute(_INSERT_LINES, line_rows)
    conn.execute(_INSERT_FULFILMENTS, planned.rows)
    conn.execute(_INSERT_FULFILMENT_LINES, planned.lines)


def _record(uow: UnitOfWork, row: dict[str, Any], planned: Fulfilments) -> None:
    uow.record(
        OrderPlaced(
            order_id=row["id"],
            customer_id=row["customer_id"],
            channel=row["channel"],
            number=row["number"],
            mode=row["mode"],
            currency=row["currency"],
            total=str(row["total"]),
            email=row["email"],
            seller_id=row["seller_id"],
        )
    )
    for f in planned.rows:
        if f["status"] == "ready_for_pickup":  # reserve & collect: held on the shelf from the start
            uow.record(
                FulfilmentReadyForPickup(
                    order_id=row["id"],
                    customer_id=row["customer_id"],
                    channel=row["channel"],
                    fulfilment_id=f["id"],
                    kind=f["kind"],
                    place_id=f["place_id"],
                    source_place_id=f["source_place_id"],
                    pickup_expires_at=f["pickup_expires_at"].isoformat() if f["pickup_expires_at"] else None,
                )
            )


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
        shipping=pricing_schemas.ShippingIn(mode=cmd.mode, method=cmd.shipping_method, amount=fee)
        if cmd.mode == "home_delivery"
        else None,
    )
    return pricing_service.price_cart(uow, request)


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
