"""pricing: pydantic types in and out — with service.py and events.py, the public interface.

Amounts are ``Decimal`` (JSON strings), VAT included unless a field name says ``excl_tax``.
The contract with the other domains (docs/domain-contracts.md) is ``PriceCartIn`` → ``PricedCart``,
``IssueCouponIn`` → ``CouponOut``; the rest are the API's own types.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from comptoir.core.money import DecimalStr, is_currency

# What an adjustment (or a promotion) does.
PromotionKind = Literal[
    "percent_off",  # a percentage off the targeted items (product/category) or the cart
    "fixed_off",  # a fixed amount off each targeted item, or off the cart
    "buy_x_get_y",  # buy X of the targeted items, get Y of them free (or at a percentage off)
    "bundle",  # a set of SKUs for one price
    "gift",  # spend a threshold, get a gift SKU added to the cart
    "free_shipping",  # shipping costs nothing (optionally above a threshold)
    "voucher",  # a personal fixed-amount coupon (loyalty reward, return voucher)
]
Stacking = Literal["stackable", "exclusive"]
VatRate = Decimal


def _currency(value: str) -> str:
    code = value.upper()
    if not is_currency(code):
        raise ValueError(f"unknown ISO 4217 currency {value!r}")
    return code


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError("amounts must be strings or integers, not floats")
    return value


# ---------------------------------------------------------------------------------------------
# price_cart: the contract
# ---------------------------------------------------------------------------------------------
class CartLineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class ShippingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(min_length=1, max_length=40, examples=["home_delivery"])
    amount: DecimalStr = Field(ge=0, description="Shipping cost, VAT included")

    _float = field_validator("amount", mode="before")(classmethod(lambda cls, v: _no_float(v)))


class PriceCartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    channel: str = Field(
        min_length=1, max_length=80, description="web, app, store:<place id>, call-centre, live"
    )
    store_id: str | None = Field(default=None, description="The store whose prices apply, if any")
    customer_id: str | None = None
    lines: list[CartLineIn] = Field(default_factory=list, max_length=500)
    coupons: list[str] = Field(default_factory=list, max_length=10)
    shipping: ShippingIn | None = None
    at: datetime | None = Field(default=None, description="Price as of this instant (default: now)")

    _cur = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))

    @field_validator("coupons")
    @classmethod
    def _normalise_codes(cls, value: list[str]) -> list[str]:
        seen: list[str] = []
        for code in value:
            norm = code.strip().upper()
            if norm and norm not in seen:
                seen.append(norm)
        return seen

    @model_validator(mode="after")
    def _unique_lines(self) -> PriceCartIn:
        ids = [line.line_id for line in self.lines]
        if len(ids) != len(set(ids)):
            raise ValueError("line_id must be unique within a cart")
        if self.store_id is None and self.channel.startswith("store:"):
            self.store_id = self.channel.split(":", 1)[1]
        return self


class Adjustment(BaseModel):
    """One promotion's effect on a line (or on the cart): ``amount`` is negative for a discount."""

    promotion_id: str
    code: str | None = None
    kind: PromotionKind
    label: str
    amount: DecimalStr


class PricedLine(BaseModel):
    line_id: str
    sku: str
    quantity: int
    unit_price: DecimalStr = Field(description="Price of one unit from the price list, VAT included")
    unit_price_excl_tax: DecimalStr
    price_list_id: str = Field(description="The price list the unit price came from")
    price_list_name: str = ""
    reference_price: DecimalStr | None = Field(
        default=None,
        description="Omnibus: lowest price of the 30 days before the current discount started "
        "(set when the line is discounted, by its price list or by a promotion)",
    )
    compare_at_price: DecimalStr | None = Field(
        default=None, description="The regular price when the price list itself carries a discount"
    )
    vat_rate: DecimalStr = Field(description="Percent, e.g. 20, 10, 5.5, 2.1")
    adjustments: list[Adjustment] = Field(default_factory=list)
    total: DecimalStr = Field(description="unit_price × quantity + line adjustments (never below 0)")
    cart_discount_share: DecimalStr = Field(
        default=Decimal("0"),
        description="This line's share of the cart-level discounts (negative), for refunds and accounting",
    )
    amount_payable: DecimalStr = Field(description="total + cart_discount_share: what the line is paid")
    tax_amount: DecimalStr = Field(description="VAT contained in amount_payable")
    gift: bool = False


class RejectedCoupon(BaseModel):
    code: str
    reason: str = Field(
        description="unknown, expired, not_started, exhausted, used_by_customer, customer_required, "
        "not_for_customer, not_for_channel, not_for_segment, not_for_tier, conditions_not_met, "
        "currency, superseded"
    )


class PricedCart(BaseModel):
    currency: str
    channel: str
    store_id: str | None = None
    customer_id: str | None = None
    lines: list[PricedLine]
    cart_adjustments: list[Adjustment] = Field(default_factory=list)
    gift_lines: list[PricedLine] = Field(default_factory=list)
    subtotal: DecimalStr = Field(description="Sum of unit_price × quantity, before any discount")
    discount_total: DecimalStr = Field(description="Sum of every item and cart discount (≤ 0)")
    shipping_total: DecimalStr = Field(description="Shipping after shipping promotions")
    tax_total: DecimalStr = Field(description="VAT contained in total")
    total: DecimalStr = Field(description="What the customer pays, VAT included")
    applied_coupons: list[str] = Field(default_factory=list)
    rejected_coupons: list[RejectedCoupon] = Field(default_factory=list)
    priced_at: datetime
    promotions_version: int = Field(default=0, description="Which promotion set priced this cart")


# ---------------------------------------------------------------------------------------------
# coupons issued by other domains (loyalty rewards, return vouchers)
# ---------------------------------------------------------------------------------------------
class IssueCouponIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1)
    amount: DecimalStr = Field(gt=0)
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    label: str = Field(min_length=1, max_length=200)
    valid_until: datetime | None = None
    reference: str = Field(
        min_length=1, max_length=120, description="Idempotency: same reference, same coupon"
    )

    _float = field_validator("amount", mode="before")(classmethod(lambda cls, v: _no_float(v)))
    _cur = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))


class CouponOut(BaseModel):
    code: str
    promotion_id: str
    customer_id: str | None = None
    label: str = ""
    amount: DecimalStr | None = Field(default=None, description="Fixed amount, for vouchers")
    currency: str | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = Field(default=None, description="None: unlimited")
    max_uses_per_customer: int | None = None
    uses: int = 0
    status: Literal["active", "used", "expired", "disabled"] = "active"
    reference: str | None = None
