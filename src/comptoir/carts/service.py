"""carts: the domain's operations (its public interface with schemas.py and events.py).

Other domains call ``get_cart(uow, cart_id) -> CartOut`` (priced now by the pricing domain; raises
pricing's refusal when a line cannot be priced) and ``mark_ordered(uow, cart_id, order_id)`` (the
cart is converted; later changes are refused with 409 ``cart-closed``).
"""

from __future__ import annotations

from typing import Any

from comptoir.carts.schemas import CartOut
from comptoir.core.uow import UnitOfWork


def get_cart(uow: UnitOfWork, cart_id: str) -> CartOut:
    raise NotImplementedError  # being written: see the commit that follows


def mark_ordered(uow: UnitOfWork, cart_id: str, order_id: str) -> None:
    raise NotImplementedError  # being written: see the commit that follows


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view."""
    return {}
