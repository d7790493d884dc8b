"""carts: pydantic types in and out — with service.py and events.py, the public interface.

The contract with the other domains (docs/domain-contracts.md) is ``get_cart(uow, cart_id) -> CartOut``
and ``mark_ordered(uow, cart_id, order_id)``; the rest are the API's own types.
"""

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from comptoir.carts import policies
from comptoir.core.money import iso_currency
from comptoir.core.types import Schema
from comptoir.pricing.schemas import PricedCart

# open: being filled; abandoned: untouched for the configured delay (any change re-opens it);
# merged: its lines went into another cart (``merged_into``); ordered: converted into an order.
CartStatus = Literal["open", "abandoned", "merged", "ordered"]
OPEN_STATUSES: tuple[CartStatus, ...] = ("open", "abandoned")

Sku = Field(min_length=1, max_length=64, pattern=r"^\S+$", examples=["TSH-BLU-M"])
Quantity = Field(ge=1, le=policies.MAX_QUANTITY_PER_LINE, examples=[2])


def _coupon(code: str) -> str:
    norm = code.strip().upper()
    if not norm:
        raise ValueError("a coupon code cannot be blank")
    return norm


class CartLineOut(Schema):
    line_id: str
    sku: str
    quantity: int
    channel_added: str = Field(description="Channel of the key that added the line: web, app, store:<id>…")
    key_added: str | None = Field(default=None, description="Id of the API key that added the line")
    channel_updated: str = Field(description="Channel that last changed the quantity")
    added_at: datetime
    updated_at: datetime


class CartOut(Schema):
    id: str
    customer_id: str | None
    anonymous: bool = Field(description="Reached with its cart token until a customer claims it")
    currency: str
    channel_started: str
    store_id: str | None = Field(description="The store it was started in (store keys), else null")
    key_started: str | None = None
    lines: list[CartLineOut]
    coupons: list[str]
    status: CartStatus
    version: int = Field(description="Bumped by every change; the ETag; send it as If-Match")
    merged_into: str | None = None
    order_id: str | None = None
    created_at: datetime
    updated_at: datetime
    priced: PricedCart | None = Field(
        default=None,
        description="The cart priced by the pricing domain now; null only when it cannot be priced "
        "(pricing_problem says why). get_cart() raises instead of returning null.",
    )
    pricing_problem: str | None = None


class CartCreatedOut(CartOut):
    cart_token: str | None = Field(
        default=None,
        description="Anonymous carts only, returned once: send it back as X-Cart-Token to reach the cart",
    )


class LineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    sku: str = Sku
    quantity: int = Quantity


class LinePatch(Schema):
    model_config = ConfigDict(extra="forbid")
    quantity: int = Quantity


class CouponIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, examples=["WELCOME10"])

    _norm = field_validator("code")(classmethod(lambda cls, v: _coupon(v)))


class CartIn(Schema):
    """Start a cart. With a customer token it is that customer's; staff channels may name the
    customer (a seller starting a cart on the tablet); otherwise it is anonymous."""

    model_config = ConfigDict(extra="forbid")
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    lines: list[LineIn] = Field(default_factory=list, max_length=policies.MAX_LINES)
    coupons: list[str] = Field(default_factory=list, max_length=policies.MAX_COUPONS)

    _currency = field_validator("currency")(iso_currency)

    @field_validator("coupons")
    @classmethod
    def _coupons(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for code in value:
            norm = _coupon(code)
            if norm not in out:
                out.append(norm)
        return out


class AttachCustomerIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1, max_length=64)


class MergeOut(Schema):
    cart: CartOut
    merged_cart_id: str | None = Field(description="The anonymous cart closed as merged, if one was")
    lines_added: int
    lines_summed: int
    capped_skus: list[str] = Field(description="SKUs whose summed quantity was capped")


# -- wishlists -------------------------------------------------------------------------------------------


class WishlistItemOut(Schema):
    sku: str
    product_id: str | None = Field(description="null when the SKU has left the catalogue")
    product_code: str | None
    name: str | None = Field(description="In the requested locale (falling back to another)")
    brand: str | None
    size: str | None
    colour: str | None
    image_url: str | None
    sellable: bool = Field(description="False once the product is no longer sold")
    channel_added: str
    added_at: datetime


class WishlistOut(Schema):
    customer_id: str
    items: list[WishlistItemOut] = Field(description="Newest first")


class WishlistShareOut(Schema):
    token: str = Field(description="Signed: shows the list (its products only) to whoever holds it")
    url: str = Field(description="The storefront's page of the shared list")
    expires_at: datetime


class SharedWishlistOut(Schema):
    """A wishlist as a shared link shows it: its products, nothing of whose list it is."""

    items: list[WishlistItemOut] = Field(description="Newest first; products no longer sold left out")
