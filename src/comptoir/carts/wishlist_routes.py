"""carts: the wishlist's HTTP API — the signed-in customer's own list (customer token), which staff
channels read for a customer they name. Included before the carts' routes (``/v1/carts/{cart_id}``)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from comptoir.carts import service
from comptoir.carts.schemas import SharedWishlistOut, WishlistOut, WishlistShareOut
from comptoir.core.api import PROBLEM_RESPONSES, RequestContext, allow
from comptoir.core.errors import InvalidInput

router = APIRouter(prefix="/v1/carts/wishlist", tags=["carts"], responses=PROBLEM_RESPONSES)
Reader = Annotated[RequestContext, Depends(allow("carts", "read", "customer", "staff", "shop", "secret"))]
Keeper = Annotated[RequestContext, Depends(allow("carts", "write", "customer"))]
Anyone = Annotated[
    RequestContext,
    Depends(allow("carts", "read", "public", "publishable", "customer", "staff", "shop", "secret")),
]
SkuPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^\S+$")]
Locale = Annotated[
    str | None, Query(pattern=r"^[a-z]{2}_[A-Z]{2}$", description="Product names in this locale (fr_FR…)")
]


def _customer(ctx: RequestContext, named: str | None) -> str:
    customer_id = ctx.customer_filter(named)
    if customer_id is None:
        raise InvalidInput(
            "Name the customer (customer_id) or send the customer token.",
            errors=[{"parameter": "customer_id", "in": "query", "detail": "required"}],
        )
    return customer_id


@router.get("", summary="The customer's wishlist, newest first")
def get_wishlist(
    ctx: Reader,
    customer_id: Annotated[str | None, Query(max_length=64, description="Staff channels")] = None,
    locale: Locale = None,
) -> WishlistOut:
    customer = _customer(ctx, customer_id)
    with ctx.reader() as uow:
        return service.wishlist(uow, customer, locale)


@router.put("/{sku}", summary="Keep a SKU on the signed-in customer's wishlist (already there: unchanged)")
def add_to_wishlist(sku: SkuPath, ctx: Keeper, locale: Locale = None) -> WishlistOut:
    customer = _customer(ctx, None)
    with ctx.uow() as uow:
        out = service.add_to_wishlist(uow, customer, sku, locale)
        uow.commit()
    return out


@router.delete("/{sku}", summary="Take a SKU off the signed-in customer's wishlist (not there: unchanged)")
def remove_from_wishlist(sku: SkuPath, ctx: Keeper, locale: Locale = None) -> WishlistOut:
    customer = _customer(ctx, None)
    with ctx.uow() as uow:
        out = service.remove_from_wishlist(uow, customer, sku, locale)
        uow.commit()
    return out


@router.post("/share", summary="A signed link showing the signed-in customer's wishlist (its products only)")
def share_wishlist(ctx: Keeper) -> WishlistShareOut:
    customer = _customer(ctx, None)
    return service.share_wishlist(ctx.settings.secret_key, ctx.settings.base_url, customer)


@router.get("/shared/{token}", summary="A shared wishlist's products, for whoever holds the link")
def shared_wishlist(
    token: Annotated[str, Path(min_length=10, max_length=400, pattern=r"^[A-Za-z0-9_.-]+$")],
    ctx: Anyone,
    locale: Locale = None,
) -> SharedWishlistOut:
    with ctx.reader() as uow:
        return service.shared_wishlist(uow, ctx.settings.secret_key, token, locale)
