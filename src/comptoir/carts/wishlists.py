"""carts: wishlists — the SKUs a signed-in customer keeps for later, on any channel.

A customer may share their list at a signed link (:func:`share`): whoever holds it sees the products —
never the customer's name or id — until it expires (:data:`SHARE_DAYS`); an erased customer's link shows
nothing, their list being gone.

One row per customer and SKU (adding a SKU twice keeps the first). The list is the customer's own:
routes reach it with the customer token (or name the customer from a staff channel); it is part of the
customer's 360° view and GDPR export, follows a customer merge, and is erased with the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select

from comptoir.carts import policies
from comptoir.carts.models import WishlistItem
from comptoir.carts.reading import acting_channel
from comptoir.carts.schemas import SharedWishlistOut, WishlistItemOut, WishlistOut, WishlistShareOut
from comptoir.catalog import service as catalog_service
from comptoir.core import clock, tokens
from comptoir.core.db import insert_ignore
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service


def _items(uow: UnitOfWork, customer_id: str) -> list[WishlistItem]:
    return list(
        uow.session.scalars(
            select(WishlistItem)
            .where(WishlistItem.customer_id == customer_id)
            .order_by(WishlistItem.added_at.desc(), WishlistItem.sku)
        )
    )


def wishlist(uow: UnitOfWork, customer_id: str, locale: str | None = None) -> WishlistOut:
    """The customer's wishlist, newest first, with each SKU's name, size, colour and image."""
    return _out(uow, customers_service.resolve_id(uow, customer_id), locale)


def _out(uow: UnitOfWork, customer_id: str, locale: str | None) -> WishlistOut:
    rows = _items(uow, customer_id)
    variants = catalog_service.get_variants(uow, [row.sku for row in rows], locale)
    items = []
    for row in rows:
        v = variants.get(row.sku)
        items.append(
            WishlistItemOut(
                sku=row.sku,
                product_id=v.product_id if v else None,
                product_code=v.product_code if v else None,
                name=v.name if v else None,
                brand=v.brand if v else None,
                size=v.size if v else None,
                colour=v.colour if v else None,
                image_url=v.image_url if v else None,
                sellable=bool(v and v.sellable),
                channel_added=row.channel_added,
                added_at=row.added_at,
            )
        )
    return WishlistOut(customer_id=customer_id, items=items)


def add_to_wishlist(uow: UnitOfWork, customer_id: str, sku: str, locale: str | None = None) -> WishlistOut:
    """Keep ``sku`` (a SKU of the catalogue) on the customer's wishlist; already there: unchanged."""
    customer_id = customers_service.resolve_id(uow, customer_id)
    if sku not in catalog_service.get_variants(uow, [sku]):
        raise InvalidInput(f"No product has the SKU {sku}.", field="sku")
    count = uow.session.scalar(
        select(func.count()).select_from(WishlistItem).where(WishlistItem.customer_id == customer_id)
    )
    present = uow.session.get(WishlistItem, (customer_id, sku)) is not None
    if not present and int(count or 0) >= policies.MAX_WISHLIST_ITEMS:
        raise InvalidInput(
            f"A wishlist keeps at most {policies.MAX_WISHLIST_ITEMS} products: remove one first.",
            field="sku",
            slug="wishlist-full",
        )
    insert_ignore(
        uow.session,
        WishlistItem,
        [
            {
                "customer_id": customer_id,
                "sku": sku,
                "channel_added": acting_channel(uow),
                "added_at": clock.now(),
            }
        ],
    )
    return _out(uow, customer_id, locale)


def remove_from_wishlist(
    uow: UnitOfWork, customer_id: str, sku: str, locale: str | None = None
) -> WishlistOut:
    """Take ``sku`` off the customer's wishlist (not there: unchanged)."""
    customer_id = customers_service.resolve_id(uow, customer_id)
    uow.session.execute(
        delete(WishlistItem).where(WishlistItem.customer_id == customer_id, WishlistItem.sku == sku)
    )
    return _out(uow, customer_id, locale)


def wishlisted(uow: UnitOfWork, customer_id: str, skus: Sequence[str]) -> set[str]:
    """Which of ``skus`` the customer keeps on their wishlist (one query)."""
    if not skus:
        return set()
    return set(
        uow.session.scalars(
            select(WishlistItem.sku).where(
                WishlistItem.customer_id == customer_id, WishlistItem.sku.in_(list(skus))
            )
        )
    )


def erase_wishlists(uow: UnitOfWork, customer_ids: Sequence[str]) -> int:
    """GDPR erasure: the wishlists of these customers go."""
    result = uow.session.execute(delete(WishlistItem).where(WishlistItem.customer_id.in_(list(customer_ids))))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def follow_wishlist_merge(uow: UnitOfWork, surviving_id: str, merged_ids: Sequence[str]) -> int:
    """``customers.customers_merged``: the merged customers' wishlisted SKUs join the survivor's (a SKU
    both kept stays once, with the survivor's date)."""
    merged = [m for m in merged_ids if m != surviving_id]
    if not merged:
        return 0
    rows = uow.session.execute(
        select(WishlistItem.sku, WishlistItem.channel_added, WishlistItem.added_at).where(
            WishlistItem.customer_id.in_(merged)
        )
    ).all()
    moved = insert_ignore(
        uow.session,
        WishlistItem,
        [
            {
                "customer_id": surviving_id,
                "sku": r.sku,
                "channel_added": r.channel_added,
                "added_at": r.added_at,
            }
            for r in rows
        ],
    )
    uow.session.execute(delete(WishlistItem).where(WishlistItem.customer_id.in_(merged)))
    return moved


def wishlist_section(uow: UnitOfWork, customer_id: str) -> list[dict[str, Any]]:
    """The wishlist as the 360° view and the GDPR export show it (JSON-ready)."""
    return [item.model_dump(mode="json") for item in _out(uow, customer_id, None).items]


__all__ = [
    "add_to_wishlist",
    "erase_wishlists",
    "follow_wishlist_merge",
    "remove_from_wishlist",
    "wishlist",
    "wishlist_section",
    "wishlisted",
]


SHARE_PURPOSE = "wishlist-share"
SHARE_DAYS = 90


def share(secret: str, base_url: str, customer_id: str) -> WishlistShareOut:
    """A signed link to the customer's wishlist, good for :data:`SHARE_DAYS` days."""
    token = tokens.sign(secret, SHARE_PURPOSE, {"sub": customer_id}, SHARE_DAYS * 86400)
    expires = clock.now() + timedelta(days=SHARE_DAYS)
    return WishlistShareOut(
        token=token, url=f"{base_url.rstrip('/')}/shop/wishlists/{token}", expires_at=expires
    )


def shared(uow: UnitOfWork, secret: str, token: str, locale: str | None = None) -> SharedWishlistOut:
    """The products of a shared wishlist (those still sold); 404 for a forged or expired link, or one
    whose list is gone."""
    claims = tokens.verify(secret, SHARE_PURPOSE, token)
    if claims is None or not isinstance(claims.get("sub"), str):
        raise NotFound("This shared wishlist does not exist or the link has expired.")
    customer_id = customers_service.resolve_id(uow, str(claims["sub"]))  # a merge: the survivor's list
    items = [i for i in _out(uow, customer_id, locale).items if i.sellable]
    return SharedWishlistOut(items=items)
