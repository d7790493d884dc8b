"""carts: the domain's operations (its public interface with schemas.py and events.py).

Other domains call ``get_cart(uow, cart_id) -> CartOut`` (priced now by the pricing domain; raises
pricing's refusal when a line cannot be priced) and ``mark_ordered(uow, cart_id, order_id)`` (the
cart is converted; later changes are refused with 409 ``cart-closed``). ``reach_cart`` is ``get_cart``
with the calling actor's access rules applied (see ``policies``); ``order_cart`` is ``mark_ordered`` and
``reach_cart`` at once, unpriced, for a checkout a customer starts.

Every change locks the cart row first (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite writers are
serialised by ``BEGIN IMMEDIATE``), checks the status and the expected version (If-Match), applies
itself and bumps the version: two channels changing one cart at once are serialised, neither update is
lost, and a client holding an old version gets 412.

A cart is priced with the channel (and store) of whoever looks at it: a seller's tablet shows the
store's prices, the website its own. Events carry the total priced for the channel that acted.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol, cast

from sqlalchemy import Table, and_, bindparam, delete, or_, select, update

from comptoir.carts import policies
from comptoir.carts.events import CartAbandoned, CartChanged, CartCreated, CartMerged, CartOrdered
from comptoir.carts.models import Cart, CartLine
from comptoir.carts.schemas import (
    CartCreatedOut,
    CartIn,
    CartLineOut,
    CartOut,
    LineIn,
    MergeOut,
)
from comptoir.catalog import service as catalog_service
from comptoir.core import clock
from comptoir.core.auth import hash_token
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, Problem
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service
from comptoir.pricing import service as pricing_service
from comptoir.pricing.schemas import CartLineIn, PriceCartIn, PricedCart

TOKEN_HEADER = "X-Cart-Token"


class CartClosed(Conflict):
    slug = "cart-closed"
    title = "The cart can no longer be changed"

    def __init__(self, cart_id: str, status: str, **kwargs: Any) -> None:
        super().__init__(
            f"Cart {cart_id} is {status}; it can no longer be changed.",
            cart_id=cart_id,
            state=status,
            **kwargs,
        )


# -- reading -----------------------------------------------------------------------------------------------


def _lines(uow: UnitOfWork, cart_id: str) -> list[CartLine]:
    return list(
        uow.session.scalars(
            select(CartLine).where(CartLine.cart_id == cart_id).order_by(CartLine.position, CartLine.id)
        )
    )


def _channel(uow: UnitOfWork) -> str:
    return policies.channel_of(uow.actor.channel)


class CartLike(Protocol):
    """A cart as an ORM object (changes) or a Core row (reads)."""

    id: str
    customer_id: str | None
    token_hash: str | None
    currency: str
    channel_started: str
    key_started: str | None
    store_id: str | None
    status: str
    coupons: list[Any]
    version: int
    merged_into: str | None
    order_id: str | None
    created_at: datetime
    updated_at: datetime


class LineLike(Protocol):
    id: str
    sku: str
    quantity: int
    channel_added: str
    key_added: str | None
    channel_updated: str
    added_at: datetime
    updated_at: datetime


def _read(uow: UnitOfWork, cart_id: str) -> tuple[CartLike, list[LineLike]]:
    """The cart and its lines in two Core queries (the read path every channel hits)."""
    carts, lines = Cart.__table__, CartLine.__table__
    if uow.session.new or uow.session.dirty or uow.session.deleted:
        uow.session.flush()  # a caller's pending change in this unit of work is part of the cart
    row = uow.session.execute(select(carts).where(carts.c.id == cart_id)).first()
    if row is None:
        raise NotFound(f"No cart {cart_id}.")
    rows = uow.session.execute(
        select(lines).where(lines.c.cart_id == cart_id).order_by(lines.c.position, lines.c.id)
    ).all()
    return cast(CartLike, row), [cast(LineLike, r) for r in rows]


def _price(uow: UnitOfWork, cart: CartLike, lines: Sequence[LineLike]) -> PricedCart:
    """Price for the acting channel (a store key prices with its store); raises pricing's refusal."""
    channel = _channel(uow)
    if channel in ("back-office", "system"):  # staff looking from the back office: the cart's own channel
        channel = cart.channel_started
    return pricing_service.price_cart(
        uow,
        PriceCartIn(
            currency=cart.currency,
            channel=channel,
            customer_id=cart.customer_id,
            lines=[CartLineIn(line_id=line.id, sku=line.sku, quantity=line.quantity) for line in lines],
            coupons=list(cart.coupons),
        ),
    )


def _try_price(
    uow: UnitOfWork, cart: CartLike, lines: Sequence[LineLike]
) -> tuple[PricedCart | None, str | None]:
    try:
        return _price(uow, cart, lines), None
    except Problem as problem:
        return None, problem.detail


def _out(
    cart: CartLike, lines: Sequence[LineLike], priced: PricedCart | None, problem: str | None
) -> CartOut:
    return CartOut(
        id=cart.id,
        customer_id=cart.customer_id,
        anonymous=cart.customer_id is None,
        currency=cart.currency,
        channel_started=cart.channel_started,
        store_id=cart.store_id,
        key_started=cart.key_started,
        lines=[
            CartLineOut(
                line_id=line.id,
                sku=line.sku,
                quantity=line.quantity,
                channel_added=line.channel_added,
                key_added=line.key_added,
                channel_updated=line.channel_updated,
                added_at=line.added_at,
                updated_at=line.updated_at,
            )
            for line in lines
        ],
        coupons=list(cart.coupons),
        status=cart.status,
        version=cart.version,
        merged_into=cart.merged_into,
        order_id=cart.order_id,
        created_at=cart.created_at,
        updated_at=cart.updated_at,
        priced=priced,
        pricing_problem=problem,
    )


def _view(uow: UnitOfWork, cart: Cart) -> CartOut:
    lines = _lines(uow, cart.id)
    priced, problem = _try_price(uow, cart, lines)
    return _out(cart, lines, priced, problem)


def _get(uow: UnitOfWork, cart_id: str) -> Cart:
    cart = uow.session.get(Cart, cart_id)
    if cart is None:
        raise NotFound(f"No cart {cart_id}.")
    return cart


def _check_reach(uow: UnitOfWork, cart: CartLike, cart_token: str | None) -> None:
    actor_customer = uow.actor.customer_id
    if actor_customer is not None and actor_customer != cart.customer_id:
        # The token may carry an id merged away since sign-in: compare with the surviving one.
        actor_customer = _actor_customer(uow)
    matches = (
        cart_token is not None
        and cart.token_hash is not None
        and secrets.compare_digest(cart.token_hash, hash_token(cart_token))
    )
    if not policies.may_reach(
        actor_channel=uow.actor.channel,
        actor_customer_id=actor_customer,
        cart_customer_id=cart.customer_id,
        token_matches=matches,
    ):
        raise NotFound(f"No cart {cart.id}.")


def _actor_customer(uow: UnitOfWork) -> str | None:
    if uow.actor.customer_id is None:
        return None
    return customers_service.resolve_id(uow, uow.actor.customer_id)


def get_cart(uow: UnitOfWork, cart_id: str) -> CartOut:
    """The cart priced now (contract). Raises pricing's refusal (e.g. ``sku-not-priced``) when a line
    cannot be priced, so a checkout never goes ahead on an unpriced cart. No access rule is applied."""
    cart, lines = _read(uow, cart_id)
    return _out(cart, lines, _price(uow, cart, lines), None)


def reach_cart(uow: UnitOfWork, cart_id: str, cart_token: str | None = None) -> CartOut:
    """``get_cart`` for the acting key and customer token: 404 when they may not reach it."""
    cart, lines = _read(uow, cart_id)
    _check_reach(uow, cart, cart_token)
    return _out(cart, lines, _price(uow, cart, lines), None)


def read_cart(uow: UnitOfWork, cart_id: str, cart_token: str | None = None) -> CartOut:
    """What the API shows: the cart even when it cannot be priced (``pricing_problem`` says why)."""
    cart, lines = _read(uow, cart_id)
    _check_reach(uow, cart, cart_token)
    priced, problem = _try_price(uow, cart, lines)
    return _out(cart, lines, priced, problem)


def _open_cart_of(uow: UnitOfWork, customer_id: str, *, lock: bool = False) -> Cart | None:
    stmt = select(Cart).where(Cart.customer_id == customer_id, Cart.status.in_(policies.OPEN))
    if lock:
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).first()


def current_cart(uow: UnitOfWork, customer_id: str | None = None) -> CartOut | None:
    """The customer's open cart (any channel started it): the signed-in customer's with a customer
    token; a staff channel names the customer."""
    target = _customer_for(uow, customer_id, field="customer_id")
    if target is None:
        raise InvalidInput("Name the customer (customer_id) or send the customer token.", field="customer_id")
    cart = _open_cart_of(uow, target)
    return None if cart is None else _view(uow, cart)


def _customer_for(uow: UnitOfWork, named: str | None, *, field: str) -> str | None:
    """Whose cart it is: the signed-in customer, or the customer a staff channel names, or nobody."""
    actor_customer = _actor_customer(uow)
    if actor_customer is not None:
        if named is not None and _resolve(uow, named, field) != actor_customer:
            raise Forbidden("A customer token reaches only that customer's cart.", slug="forbidden")
        return actor_customer
    if named is None:
        return None
    if not policies.may_name_customer(uow.actor.channel):
        raise Forbidden(
            "Web and app keys name the customer with the customer token (X-Customer-Token).",
            slug="forbidden",
        )
    return _resolve(uow, named, field)


def _resolve(uow: UnitOfWork, customer_id: str, field: str) -> str:
    try:
        return customers_service.resolve_id(uow, customer_id)
    except NotFound:
        raise InvalidInput(f"No customer {customer_id}.", field=field) from None


# -- changing ----------------------------------------------------------------------------------------------


def _lock(uow: UnitOfWork, cart_id: str) -> Cart:
    """The one place that locks a cart (row lock on PostgreSQL; SQLite writers are serialised)."""
    cart = uow.session.scalars(
        select(Cart).where(Cart.id == cart_id).with_for_update().execution_options(populate_existing=True)
    ).first()
    if cart is None:
        raise NotFound(f"No cart {cart_id}.")
    return cart


def _lock_for_change(
    uow: UnitOfWork, cart_id: str, cart_token: str | None, expected_version: int | None
) -> Cart:
    cart = _lock(uow, cart_id)
    _check_reach(uow, cart, cart_token)
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
    cart.updated_channel = _channel(uow)
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
    channel = _channel(uow)
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


def _fact(
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
    lines = _lines(uow, cart.id)
    priced, problem = _try_price(uow, cart, lines)
    uow.record(
        CartChanged(
            **_fact(cart, lines, priced, _channel(uow)),
            change=change,
            sku=sku,
            quantity=quantity,
            version=cart.version,
        )
    )
    return _out(cart, lines, priced, problem)


def _check_coupons(
    uow: UnitOfWork, cart: Cart, lines: Sequence[CartLine], codes: list[str], field: str
) -> None:
    """Refuse coupons pricing rejects for good (unknown, expired…); keep those that may apply later."""
    if not codes:
        return
    priced = _price(uow, cart, lines)
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
    customer_id = _customer_for(uow, body.customer_id, field="customer_id")
    lines_in = _summed(body.lines)
    _check_skus(uow, lines_in, "lines/")
    if customer_id is not None:
        existing = _open_cart_of(uow, customer_id, lock=True)
        if existing is not None:
            return _resume(uow, existing, lines_in, body.coupons), False
    channel = _channel(uow)
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
        existing = _open_cart_of(uow, customer_id, lock=True)
        if existing is None:  # the racing transaction rolled back and freed the slot: start again
            return create_cart(uow, body)
        return _resume(uow, existing, lines_in, body.coupons), False
    cart = _get(uow, cart_id)
    lines: list[CartLine] = []
    for i, line in enumerate(lines_in):
        _add(uow, cart, lines, line, f"lines/{i}/quantity")
    uow.session.flush()
    cart.coupons = list(body.coupons)
    _check_coupons(uow, cart, lines, body.coupons, "coupons")
    uow.session.flush()
    priced, problem = _try_price(uow, cart, lines)
    uow.record(
        CartCreated(
            **_fact(cart, lines, priced, channel),
            store_id=cart.store_id,
            started_for_customer=body.customer_id is not None and uow.actor.customer_id is None,
        )
    )
    out = _out(cart, lines, priced, problem)
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
        return CartCreatedOut(**_view(uow, cart).model_dump())
    lines = _lines(uow, cart.id)
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
    cart = _lock_for_change(uow, cart_id, cart_token, expected_version)
    lines = _lines(uow, cart.id)
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
    cart = _lock_for_change(uow, cart_id, cart_token, expected_version)
    line = _line(uow, cart, line_id)
    line.quantity = quantity
    line.channel_updated = _channel(uow)
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
    cart = _lock_for_change(uow, cart_id, cart_token, expected_version)
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
    cart = _lock_for_change(uow, cart_id, cart_token, expected_version)
    if code in cart.coupons:
        return _view(uow, cart)
    if len(cart.coupons) >= policies.MAX_COUPONS:
        raise InvalidInput(f"A cart holds at most {policies.MAX_COUPONS} coupons.", field="code")
    lines = _lines(uow, cart.id)
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
    cart = _lock_for_change(uow, cart_id, cart_token, expected_version)
    norm = code.strip().upper()
    if norm not in cart.coupons:
        raise NotFound(f"Cart {cart.id} has no coupon {norm}.")
    cart.coupons = [c for c in cart.coupons if c != norm]
    return _changed(uow, cart, "coupon_removed")


def mark_ordered(uow: UnitOfWork, cart_id: str, order_id: str, *, total: Decimal | None = None) -> None:
    """The cart became order ``order_id`` (contract): later changes are refused (409 ``cart-closed``).
    Idempotent for the same order; another order for the same cart is refused. ``total`` (what the
    order charges) goes into ``carts.cart_ordered``; the cart is not priced again here."""
    _mark_ordered(uow, cart_id, order_id, total)


def order_cart(uow: UnitOfWork, cart_id: str, order_id: str, cart_token: str | None = None) -> CartOut:
    """``mark_ordered`` then ``reach_cart`` (the acting key's access rules, 404 when it may not reach the
    cart), for a checkout: the cart as it is now ordered (its version bumped), **unpriced** (``priced``
    null) — the checkout prices it for its delivery mode."""
    cart, lines = _mark_ordered(uow, cart_id, order_id, None)
    _check_reach(uow, cart, cart_token)
    return _out(cart, lines, None, None)


_CARTS = cast(Table, Cart.__table__)
_LINES = cast(Table, CartLine.__table__)
# Built once: checkout runs these on every order, and building a statement costs as much as running it.
_ORDER_CART = (
    update(_CARTS)
    .where(_CARTS.c.id == bindparam("cart_id"), _CARTS.c.status.in_(policies.OPEN))
    .values(
        status="ordered",
        order_id=bindparam("new_order_id"),
        closed_at=bindparam("now"),
        version=_CARTS.c.version + 1,
        updated_at=bindparam("now"),
        updated_channel=bindparam("channel"),
    )
    .returning(*_CARTS.c)
)
_CART = select(_CARTS).where(_CARTS.c.id == bindparam("cart_id"))
_CART_LINES = (
    select(_LINES).where(_LINES.c.cart_id == bindparam("cart_id")).order_by(_LINES.c.position, _LINES.c.id)
)


def _mark_ordered(
    uow: UnitOfWork, cart_id: str, order_id: str, total: Decimal | None
) -> tuple[CartLike, list[LineLike]]:
    session = uow.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    channel = _channel(uow)
    # One guarded UPDATE locks, checks and converts the cart (a racing checkout of the same cart waits
    # on the row, then finds it no longer open); RETURNING gives the cart without another read.
    conn = session.connection()
    row = conn.execute(
        _ORDER_CART, {"cart_id": cart_id, "new_order_id": order_id, "now": clock.now(), "channel": channel}
    ).first()
    converted = row is not None
    if row is None:
        row = conn.execute(_CART, {"cart_id": cart_id}).first()
        if row is None:
            raise NotFound(f"No cart {cart_id}.")
        if row.status != "ordered":
            raise CartClosed(row.id, row.status, merged_into=row.merged_into)
        if row.order_id != order_id:
            raise CartClosed(row.id, row.status, order_id=row.order_id)
    if session.identity_map:
        loaded = session.identity_map.get(session.identity_key(Cart, cart_id))
        if loaded is not None:
            session.expire(loaded)  # an ORM copy loaded earlier in this unit of work is now stale
    cart = cast(CartLike, row)
    lines = [cast(LineLike, r) for r in conn.execute(_CART_LINES, {"cart_id": cart_id}).all()]
    if converted:
        fact = _fact(cart, lines, None, channel)
        fact["total"] = str(total) if total is not None else None
        uow.record(CartOrdered(**fact, order_id=order_id))
    return cart, lines


# -- merging -----------------------------------------------------------------------------------------------


@dataclass
class _Merged:
    lines_added: int
    lines_summed: int
    capped: list[str]


def _merge_into(uow: UnitOfWork, target: Cart, source: Cart, reason: str, channel: str) -> _Merged:
    """Move ``source``'s lines and coupons into ``target`` (both locked) following the policy."""
    target_lines = _lines(uow, target.id)
    source_lines = _lines(uow, source.id)
    plan = policies.plan_merge(
        [policies.LineState(x.sku, x.quantity) for x in target_lines],
        [policies.LineState(x.sku, x.quantity) for x in source_lines],
    )
    now = clock.now()
    for line in target_lines:
        if line.sku in plan.new_quantities:
            line.quantity = plan.new_quantities[line.sku]
            line.channel_updated, line.updated_at = channel, now
    position = max((x.position for x in target_lines), default=0)
    added = set(plan.added)
    moving = [x for x in source_lines if x.sku in added]
    # The moved lines keep their id, channel and key: delete them from the source, add them to the target.
    for line in source_lines:
        uow.session.delete(line)
    uow.session.flush()
    for line in moving:
        position += 1
        uow.session.add(
            CartLine(
                id=line.id,
                cart_id=target.id,
                sku=line.sku,
                quantity=min(line.quantity, policies.MAX_QUANTITY_PER_LINE),
                position=position,
                channel_added=line.channel_added,
                key_added=line.key_added,
                channel_updated=line.channel_updated,
                added_at=line.added_at,
                updated_at=now,
            )
        )
    target.coupons = policies.unite_coupons(list(target.coupons), list(source.coupons))
    source.status, source.merged_into, source.closed_at = "merged", target.id, now
    source.version += 1
    source.updated_at, source.updated_channel = now, channel
    uow.session.flush()
    target.version += 1
    target.updated_at, target.updated_channel = now, channel
    target.status, target.abandoned_at = "open", None
    uow.session.flush()
    lines = _lines(uow, target.id)
    priced, _ = _try_price(uow, target, lines)
    uow.record(
        CartMerged(
            **_fact(target, lines, priced, channel),
            merged_cart_id=source.id,
            reason=reason,
            lines_added=len(plan.added),
            lines_summed=len(plan.new_quantities),
        )
    )
    return _Merged(len(plan.added), len(plan.new_quantities), plan.capped)


def merge_anonymous(
    uow: UnitOfWork, customer_id: str, cart_token: str, *, channel: str | None = None
) -> MergeOut | None:
    """At sign-in: the anonymous cart held with ``cart_token`` joins the customer's cart (policy in
    ``policies``). ``None`` when the token holds no open anonymous cart (unknown, or already merged)."""
    found = uow.session.scalar(select(Cart.id).where(Cart.token_hash == hash_token(cart_token)))
    if found is None:
        return None
    survivor = customers_service.resolve_id(uow, customer_id)
    return _claim(uow, found, survivor, channel or _channel(uow), "sign_in")


def attach_customer(
    uow: UnitOfWork, cart_id: str, customer_id: str, *, expected_version: int | None = None
) -> MergeOut:
    """A seller identifies the customer of an anonymous cart (on the tablet, at the call centre): it
    becomes theirs, or joins the cart they already have, by the sign-in rules."""
    if not policies.may_name_customer(uow.actor.channel) or uow.actor.customer_id is not None:
        raise Forbidden("Only staff channels name the customer of a cart.", slug="forbidden")
    cart = _lock_for_change(uow, cart_id, None, expected_version)
    survivor = _resolve(uow, customer_id, "customer_id")
    if cart.customer_id == survivor:
        return MergeOut(
            cart=_view(uow, cart), merged_cart_id=None, lines_added=0, lines_summed=0, capped_skus=[]
        )
    if cart.customer_id is not None:
        raise Conflict(
            f"Cart {cart.id} already belongs to another customer.", slug="cart-has-customer", cart_id=cart.id
        )
    out = _claim(uow, cart.id, survivor, _channel(uow), "customer_identified")
    assert out is not None  # the cart is locked, open and anonymous
    return out


def _claim(uow: UnitOfWork, anonymous_id: str, survivor: str, acting: str, reason: str) -> MergeOut | None:
    current = _open_cart_of(uow, survivor)
    ids = sorted({anonymous_id} | ({current.id} if current is not None else set()))
    locked = {cart_id: _lock(uow, cart_id) for cart_id in ids}  # primary-key order
    anonymous = locked[anonymous_id]
    if anonymous.customer_id is not None or anonymous.status not in policies.OPEN:
        return None
    target = _open_cart_of(uow, survivor)
    if target is None:
        # No cart yet: the anonymous cart becomes the customer's; its token no longer reaches it.
        anonymous.customer_id, anonymous.token_hash = survivor, None
        lines = _lines(uow, anonymous.id)
        anonymous.version += 1
        anonymous.updated_at, anonymous.updated_channel = clock.now(), acting
        anonymous.status, anonymous.abandoned_at = "open", None
        uow.session.flush()
        priced, problem = _try_price(uow, anonymous, lines)
        uow.record(
            CartChanged(
                **_fact(anonymous, lines, priced, acting),
                change="customer_attached",
                version=anonymous.version,
            )
        )
        return MergeOut(
            cart=_out(anonymous, lines, priced, problem),
            merged_cart_id=None,
            lines_added=0,
            lines_summed=0,
            capped_skus=[],
        )
    if target.id not in locked:  # started between the two reads: lock it too
        _lock(uow, target.id)
    merged = _merge_into(uow, target, anonymous, reason, acting)
    return MergeOut(
        cart=_view(uow, target),
        merged_cart_id=anonymous.id,
        lines_added=merged.lines_added,
        lines_summed=merged.lines_summed,
        capped_skus=merged.capped,
    )


def follow_customer_merge(uow: UnitOfWork, surviving_id: str, merged_ids: Sequence[str]) -> int:
    """``customers.customers_merged``: the merged customers' carts become the survivor's, and the
    survivor keeps one open cart (its own if it had one, else the most recently changed), the others
    merged into it. Returns how many carts were merged."""
    owners = [surviving_id, *merged_ids]
    open_ids = sorted(
        uow.session.scalars(
            select(Cart.id).where(Cart.customer_id.in_(owners), Cart.status.in_(policies.OPEN))
        )
    )
    locked = [_lock(uow, cart_id) for cart_id in open_ids]
    own = next((c for c in locked if c.customer_id == surviving_id), None)
    target_id = policies.surviving_cart(
        (own.id, own.updated_at) if own is not None else None,
        [(c.id, c.updated_at) for c in locked if c is not own],
    )
    merged = 0
    if target_id is not None:
        target = next(c for c in locked if c.id == target_id)
        target.customer_id = surviving_id  # the only open cart of the survivor (its own, or none before)
        uow.session.flush()
        for cart in locked:
            if cart.id != target_id:
                _merge_into(uow, target, cart, "customers_merged", "system")
                merged += 1
    uow.session.execute(
        update(Cart).where(Cart.customer_id.in_(list(merged_ids))).values(customer_id=surviving_id)
    )
    uow.session.expire_all()
    return merged


def erase_customers(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    """GDPR erasure: the carts of these customers go (orders keep what they need on their own)."""
    ids = list(uow.session.scalars(select(Cart.id).where(Cart.customer_id.in_(list(customer_ids)))))
    if not ids:
        return 0
    uow.session.execute(delete(CartLine).where(CartLine.cart_id.in_(ids)))
    uow.session.execute(delete(Cart).where(Cart.id.in_(ids)))
    return len(ids)


# -- abandonment -------------------------------------------------------------------------------------------


def abandon_idle(uow: UnitOfWork, idle_after: timedelta, *, limit: int = 500) -> int:
    """Mark open carts with lines, unchanged for ``idle_after``, as abandoned (a later change re-opens
    them); one ``carts.cart_abandoned`` each. Skips carts being changed right now."""
    now = clock.now()
    has_lines = select(CartLine.id).where(CartLine.cart_id == Cart.id).exists()
    stmt = (
        select(Cart)
        .where(Cart.status == "open", Cart.updated_at <= now - idle_after, has_lines)
        .order_by(Cart.updated_at, Cart.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    carts = list(uow.session.scalars(stmt))
    for cart in carts:
        lines = _lines(uow, cart.id)
        priced, _ = _try_price(uow, cart, lines)
        cart.status, cart.abandoned_at = "abandoned", now
        uow.record(
            CartAbandoned(
                **_fact(cart, lines, priced, cart.updated_channel),
                channel_started=cart.channel_started,
                skus=[line.sku for line in lines],
                idle_seconds=int((now - cart.updated_at).total_seconds()),
            )
        )
    uow.session.flush()
    return len(carts)


def purge_stale(uow: UnitOfWork, older_than: timedelta, *, limit: int = 500) -> int:
    """Delete anonymous carts nobody claimed (not ordered) and carts closed as merged, unchanged for
    ``older_than``: their lines are elsewhere or were never anyone's."""
    cutoff = clock.now() - older_than
    ids = list(
        uow.session.scalars(
            select(Cart.id)
            .where(
                Cart.updated_at < cutoff,
                or_(
                    Cart.status == "merged",
                    and_(Cart.customer_id.is_(None), Cart.status.in_(policies.OPEN)),
                ),
            )
            .order_by(Cart.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        uow.session.execute(delete(CartLine).where(CartLine.cart_id.in_(ids)))
        uow.session.execute(delete(Cart).where(Cart.id.in_(ids)))
    return len(ids)


# -- 360° --------------------------------------------------------------------------------------------------


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view: the open cart, its lines and total."""
    cart = _open_cart_of(uow, customer_id)
    if cart is None:
        return {"open_cart": None}
    lines = _lines(uow, cart.id)
    priced, problem = _try_price(uow, cart, lines)
    names = {sku: v.name for sku, v in catalog_service.get_variants(uow, [x.sku for x in lines]).items()}
    totals = {p.line_id: p.total for p in priced.lines} if priced is not None else {}
    return {
        "open_cart": {
            "id": cart.id,
            "status": cart.status,
            "channel_started": cart.channel_started,
            "store_id": cart.store_id,
            "updated_at": cart.updated_at.isoformat(),
            "updated_channel": cart.updated_channel,
            "currency": cart.currency,
            "items_count": sum(x.quantity for x in lines),
            "lines": [
                {
                    "line_id": x.id,
                    "sku": x.sku,
                    "name": names.get(x.sku, x.sku),
                    "quantity": x.quantity,
                    "channel_added": x.channel_added,
                    "total": str(totals[x.id]) if x.id in totals else None,
                }
                for x in lines
            ],
            "coupons": list(cart.coupons),
            "total": str(priced.total) if priced is not None else None,
            "pricing_problem": problem,
        }
    }
