"""carts: changing a cart — create or resume, lines, coupons — each change locked and versioned."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from comptoir.carts import policies
from comptoir.carts.events import CartChanged, CartCreated
from comptoir.carts.models import Cart, CartLine
from comptoir.carts.reading import (
    CartClosed,
    CartLike,
    LineLike,
    acting_channel,
    cart_out,
    check_reach,
    customer_for,
    hash_token,
    lines_of,
    load_cart,
    open_cart_of,
    price_lines,
    try_price,
    view,
)
from comptoir.carts.schemas import (
    CartCreatedOut,
    CartIn,
    CartOut,
    LineIn,
)
from comptoir.catalog import service as catalog_service
from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import InvalidInput, NotFound, PreconditionFailed
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.pricing.schemas import PricedCart

# -- changing ----------------------------------------------------------------------------------------------


def lock(uow: UnitOfWork, cart_id: str) -> Cart:
    """The one place that locks a cart (row lock on PostgreSQL; SQLite writers are serialised)."""
    cart = uow.session.scalars(
        select(Cart).where(Cart.id == cart_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if cart is None:
        raise NotFound(f"No cart {cart_id}.")
    return cart


def lock_for_change(
    uow: UnitOfWork, cart_id: str, cart_token: str | None, expected_version: int | None
) -> Cart:
    cart = lock(uow, cart_id)
    check_reach(uow, cart, cart_token)
    if cart.status not in policies.OPEN:
        raise CartClosed(cart.id, cart.status, merged_into=cart.merged_into)
    if expected_version is not None and expected_version != cart.version:
        raise PreconditionFailed(
            f"Cart {cart.id} is at version {cart.version}, not {expected_version}; reload it and retry.",
            current_version=cart.version,
        )
    return cart


def _touch(uow: UnitOfWork, cart: Cart) -> None:
    """A change: bump the version (guarded by the lock), re-open an abandoned cart."""
    cart.version += 1
    cart.updated_at = clock.now()
    cart.updated_channel = acting_channel(uow)
    cart.status = "open"
    cart.abandoned_at = None
    uow.session.flush()


def _check_skus(uow: UnitOfWork, lines: Sequence[LineIn], field_prefix: str) -> None:
    variants = catalog_service.get_variants(uow, [line.sku for line in lines])
    for i, line in enumerate(lines):
        field = f"{field_prefix}{i}/sku" if field_prefix else "sku"
        variant = variants.get(line.sku)
        if variant is None:
            raise InvalidInput(f"No product has the SKU {line.sku}.", field=field)
        if not variant.sellable:
            raise InvalidInput(f"SKU {line.sku} is not for sale.", field=field)


def _add(uow: UnitOfWork, cart: Cart, existing: list[CartLine], line: LineIn, field: str) -> CartLine:
    now = clock.now()
    channel = acting_channel(uow)
    for current in existing:
        if current.sku == line.sku:
            quantity = policies.added_quantity(current.quantity, line.quantity)
            if quantity is None:
                raise InvalidInput(
                    f"A line holds at most {policies.MAX_QUANTITY_PER_LINE} of one SKU "
                    f"({current.quantity} of {line.sku} already in the cart).",
                    field=field,
                )
            current.quantity = quantity
            current.channel_updated = channel
            current.updated_at = now
            return current
    if len(existing) >= policies.MAX_LINES:
        raise InvalidInput(f"A cart holds at most {policies.MAX_LINES} lines.", field=field)
    new = CartLine(
        id=new_id("cl"),
        cart_id=cart.id,
        sku=line.sku,
        quantity=line.quantity,
        position=max((x.position for x in existing), default=0) + 1,
        channel_added=channel,
        key_added=uow.actor.key_id,
        channel_updated=channel,
        added_at=now,
        updated_at=now,
    )
    uow.session.add(new)
    existing.append(new)
    return new


def event_fields(
    cart: CartLike, lines: Sequence[LineLike], priced: PricedCart | None, channel: str
) -> dict[str, Any]:
    return {
        "cart_id": cart.id,
        "customer_id": cart.customer_id,
        "channel": channel,
        "currency": cart.currency,
        "lines_count": len(lines),
        "items_count": sum(line.quantity for line in lines),
        "total": str(priced.total) if priced is not None else None,
    }


def _changed(
    uow: UnitOfWork,
    cart: Cart,
    change: str,
    *,
    sku: str | None = None,
    quantity: int | None = None,
) -> CartOut:
    _touch(uow, cart)
    lines = lines_of(uow, cart.id)
    priced, problem = try_price(uow, cart, lines)
    uow.record(
        CartChanged(
            **event_fields(cart, lines, priced, acting_channel(uow)),
            change=change,
            sku=sku,
            quantity=quantity,
            version=cart.version,
        )
    )
    return cart_out(cart, lines, priced, problem)


def _check_coupons(
    uow: UnitOfWork, cart: Cart, lines: Sequence[CartLine], codes: list[str], field: str
) -> None:
    """Refuse coupons pricing rejects for good (unknown, expired…); keep those that may apply later."""
    if not codes:
        return
    priced = price_lines(uow, cart, lines)
    for rejected in priced.rejected_coupons:
        if rejected.code in codes and policies.coupon_refused(rejected.reason):
            raise InvalidInput(
                f"Coupon {rejected.code} cannot be used ({rejected.reason}).",
                field=field,
                slug="coupon-refused",
                reason=rejected.reason,
            )


def create_cart(uow: UnitOfWork, body: CartIn) -> tuple[CartCreatedOut, bool]:
    """Start a cart; ``(cart, created)``. A customer has one open cart across channels: starting one for
    a customer who already has one adds the lines to it (``created`` is then False)."""
    customer_id = customer_for(uow, body.customer_id, field="customer_id")
    lines_in = _summed(body.lines)
    _check_skus(uow, lines_in, "lines/")
    if customer_id is not None:
        existing = open_cart_of(uow, customer_id, lock=True)
        if existing is not None:
            return _resume(uow, existing, lines_in, body.coupons), False
    channel = acting_channel(uow)
    now = clock.now()
    token = None if customer_id is not None else secrets.token_urlsafe(32)
    cart_id = new_id("cart")
    row: dict[str, Any] = {
        "id": cart_id,
        "customer_id": customer_id,
        "token_hash": hash_token(token) if token else None,
        "currency": body.currency,
        "channel_started": channel,
        "key_started": uow.actor.key_id,
        "store_id": uow.actor.store_id,
        "status": "open",
        "coupons": [],
        "version": 1,
        "merged_into": None,
        "order_id": None,
        "created_at": now,
        "updated_at": now,
        "updated_channel": channel,
        "abandoned_at": None,
        "closed_at": None,
    }
    # ON CONFLICT DO NOTHING waits for a racing insert of this customer's open cart (the partial
    # unique index): when that one commits first, this one adds to it instead.
    if insert_ignore(uow.session, Cart, [row]) == 0:
        assert customer_id is not None
        existing = open_cart_of(uow, customer_id, lock=True)
        if existing is None:  # the racing transaction rolled back and freed the slot: start again
            return create_cart(uow, body)
        return _resume(uow, existing, lines_in, body.coupons), False
    cart = load_cart(uow, cart_id)
    lines: list[CartLine] = []
    for i, line in enumerate(lines_in):
        _add(uow, cart, lines, line, f"lines/{i}/quantity")
    uow.session.flush()
    cart.coupons = list(body.coupons)
    _check_coupons(uow, cart, lines, body.coupons, "coupons")
    uow.session.flush()
    priced, problem = try_price(uow, cart, lines)
    uow.record(
        CartCreated(
            **event_fields(cart, lines, priced, channel),
            store_id=cart.store_id,
            started_for_customer=body.customer_id is not None and uow.actor.customer_id is None,
        )
    )
    out = cart_out(cart, lines, priced, problem)
    return CartCreatedOut(**out.model_dump(), cart_token=token), True


def _summed(lines: Sequence[LineIn]) -> list[LineIn]:
    """Lines of one request with the same SKU become one line (the cap is checked when adding)."""
    by_sku: dict[str, int] = {}
    for line in lines:
        by_sku[line.sku] = by_sku.get(line.sku, 0) + line.quantity
    out = []
    for i, (sku, quantity) in enumerate(by_sku.items()):
        if quantity > policies.MAX_QUANTITY_PER_LINE:
            raise InvalidInput(
                f"A line holds at most {policies.MAX_QUANTITY_PER_LINE} of one SKU.",
                field=f"lines/{i}/quantity",
            )
        out.append(LineIn(sku=sku, quantity=quantity))
    return out


def _resume(uow: UnitOfWork, cart: Cart, lines_in: list[LineIn], coupons: list[str]) -> CartCreatedOut:
    if not lines_in and not coupons:
        return CartCreatedOut(**view(uow, cart).model_dump())
    lines = lines_of(uow, cart.id)
    for i, line in enumerate(lines_in):
        _add(uow, cart, lines, line, f"lines/{i}/quantity")
    uow.session.flush()
    if coupons:
        cart.coupons = policies.unite_coupons(list(cart.coupons), coupons)
        _check_coupons(uow, cart, lines, coupons, "coupons")
    out = _changed(uow, cart, "lines_added" if lines_in else "coupon_added")
    return CartCreatedOut(**out.model_dump())


def add_line(
    uow: UnitOfWork,
    cart_id: str,
    body: LineIn,
    *,
    cart_token: str | None = None,
    expected_version: int | None = None,
) -> CartOut:
    """Add a SKU (a SKU already in the cart gets the quantities summed, up to the cap)."""
    _check_skus(uow, [body], "")
    cart = lock_for_change(uow, cart_id, cart_token, expected_version)
    lines = lines_of(uow, cart.id)
    before = len(lines)
    line = _add(uow, cart, lines, body, "quantity")
    return _changed(
        uow,
        cart,
        "line_added" if len(lines) > before else "line_changed",
        sku=line.sku,
        quantity=line.quantity,
    )


def set_quantity(
    uow: UnitOfWork,
    cart_id: str,
    line_id: str,
    quantity: int,
    *,
    cart_token: str | None = None,
    expected_version: int | None = None,
) -> CartOut:
    cart = lock_for_change(uow, cart_id, cart_token, expected_version)
    line = _line(uow, cart, line_id)
    line.quantity = quantity
    line.channel_updated = acting_channel(uow)
    line.updated_at = clock.now()
    return _changed(uow, cart, "line_changed", sku=line.sku, quantity=quantity)


def remove_line(
    uow: UnitOfWork,
    cart_id: str,
    line_id: str,
    *,
    cart_token: str | None = None,
    expected_version: int | None = None,
) -> CartOut:
    cart = lock_for_change(uow, cart_id, cart_token, expected_version)
    line = _line(uow, cart, line_id)
    sku = line.sku
    uow.session.delete(line)
    uow.session.flush()
    return _changed(uow, cart, "line_removed", sku=sku, quantity=0)


def _line(uow: UnitOfWork, cart: Cart, line_id: str) -> CartLine:
    line = uow.session.get(CartLine, line_id)
    if line is None or line.cart_id != cart.id:
        raise NotFound(f"Cart {cart.id} has no line {line_id}.")
    return line


def add_coupon(
    uow: UnitOfWork,
    cart_id: str,
    code: str,
    *,
    cart_token: str | None = None,
    expected_version: int | None = None,
) -> CartOut:
    cart = lock_for_change(uow, cart_id, cart_token, expected_version)
    if code in cart.coupons:
        return view(uow, cart)
    if len(cart.coupons) >= policies.MAX_COUPONS:
        raise InvalidInput(f"A cart holds at most {policies.MAX_COUPONS} coupons.", field="code")
    lines = lines_of(uow, cart.id)
    cart.coupons = [*cart.coupons, code]
    _check_coupons(uow, cart, lines, [code], "code")
    return _changed(uow, cart, "coupon_added")


def remove_coupon(
    uow: UnitOfWork,
    cart_id: str,
    code: str,
    *,
    cart_token: str | None = None,
    expected_version: int | None = None,
) -> CartOut:
    cart = lock_for_change(uow, cart_id, cart_token, expected_version)
    norm = code.strip().upper()
    if norm not in cart.coupons:
        raise NotFound(f"Cart {cart.id} has no coupon {norm}.")
    cart.coupons = [c for c in cart.coupons if c != norm]
    return _changed(uow, cart, "coupon_removed")
