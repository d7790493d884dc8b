"""carts: reading a cart — the acting key's reach, its lines, priced for the channel that looks."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import select

from comptoir.carts import policies
from comptoir.carts.models import Cart, CartLine
from comptoir.carts.schemas import (
    CartLineOut,
    CartOut,
)
from comptoir.core.auth import hash_token as hash_token
from comptoir.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Problem
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


def lines_of(uow: UnitOfWork, cart_id: str) -> list[CartLine]:
    return list(
        uow.session.scalars(
            select(CartLine).where(CartLine.cart_id == cart_id).order_by(CartLine.position, CartLine.id)
        )
    )


def acting_channel(uow: UnitOfWork) -> str:
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


def price_lines(uow: UnitOfWork, cart: CartLike, lines: Sequence[LineLike]) -> PricedCart:
    """Price for the acting channel (a store key prices with its store); raises pricing's refusal."""
    channel = acting_channel(uow)
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


def try_price(
    uow: UnitOfWork, cart: CartLike, lines: Sequence[LineLike]
) -> tuple[PricedCart | None, str | None]:
    try:
        return price_lines(uow, cart, lines), None
    except Problem as problem:
        return None, problem.detail


def cart_out(
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


def view(uow: UnitOfWork, cart: Cart) -> CartOut:
    lines = lines_of(uow, cart.id)
    priced, problem = try_price(uow, cart, lines)
    return cart_out(cart, lines, priced, problem)


def load_cart(uow: UnitOfWork, cart_id: str) -> Cart:
    cart = uow.session.get(Cart, cart_id)
    if cart is None:
        raise NotFound(f"No cart {cart_id}.")
    return cart


def check_reach(uow: UnitOfWork, cart: CartLike, cart_token: str | None) -> None:
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
    return cart_out(cart, lines, price_lines(uow, cart, lines), None)


def reach_cart(uow: UnitOfWork, cart_id: str, cart_token: str | None = None) -> CartOut:
    """``get_cart`` for the acting key and customer token: 404 when they may not reach it."""
    cart, lines = _read(uow, cart_id)
    check_reach(uow, cart, cart_token)
    return cart_out(cart, lines, price_lines(uow, cart, lines), None)


def read_cart(uow: UnitOfWork, cart_id: str, cart_token: str | None = None) -> CartOut:
    """What the API shows: the cart even when it cannot be priced (``pricing_problem`` says why)."""
    cart, lines = _read(uow, cart_id)
    check_reach(uow, cart, cart_token)
    priced, problem = try_price(uow, cart, lines)
    return cart_out(cart, lines, priced, problem)


def open_cart_of(uow: UnitOfWork, customer_id: str, *, lock: bool = False) -> Cart | None:
    stmt = select(Cart).where(Cart.customer_id == customer_id, Cart.status.in_(policies.OPEN))
    if lock:
        stmt = stmt.with_for_update()
    return uow.session.scalars(stmt).first()


def current_cart(uow: UnitOfWork, customer_id: str | None = None) -> CartOut | None:
    """The customer's open cart (any channel started it): the signed-in customer's with a customer
    token; a staff channel names the customer."""
    target = customer_for(uow, customer_id, field="customer_id")
    if target is None:
        raise InvalidInput("Name the customer (customer_id) or send the customer token.", field="customer_id")
    cart = open_cart_of(uow, target)
    return None if cart is None else view(uow, cart)


def customer_for(uow: UnitOfWork, named: str | None, *, field: str) -> str | None:
    """Whose cart it is: the signed-in customer, or the customer a staff channel names, or nobody."""
    actor_customer = _actor_customer(uow)
    if actor_customer is not None:
        if named is not None and resolve_customer(uow, named, field) != actor_customer:
            raise Forbidden("A customer token reaches only that customer's cart.", slug="forbidden")
        return actor_customer
    if named is None:
        return None
    if not policies.may_name_customer(uow.actor.channel):
        raise Forbidden(
            "Web and app keys name the customer with the customer token (X-Customer-Token).",
            slug="forbidden",
        )
    return resolve_customer(uow, named, field)


def resolve_customer(uow: UnitOfWork, customer_id: str, field: str) -> str:
    try:
        return customers_service.resolve_id(uow, customer_id)
    except NotFound:
        raise InvalidInput(f"No customer {customer_id}.", field=field) from None
