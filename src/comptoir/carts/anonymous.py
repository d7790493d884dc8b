"""carts: an anonymous cart found by its token (a storefront keeps only the token in a cookie)."""

from __future__ import annotations

from sqlalchemy import select

from comptoir.carts import policies
from comptoir.carts.models import Cart
from comptoir.carts.reading import hash_token, read_cart
from comptoir.carts.schemas import CartOut
from comptoir.core.uow import UnitOfWork


def cart_of_token(uow: UnitOfWork, cart_token: str) -> CartOut | None:
    """The open anonymous cart this token holds, priced for the acting channel; ``None`` when the token
    holds none (unknown, claimed by a customer, merged or ordered)."""
    found = uow.session.scalar(
        select(Cart.id).where(
            Cart.token_hash == hash_token(cart_token),
            Cart.customer_id.is_(None),
            Cart.status.in_(policies.OPEN),
        )
    )
    return None if found is None else read_cart(uow, found, cart_token)
