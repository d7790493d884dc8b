"""pricing: pydantic types in and out — with service.py and events.py, the public interface.

Amounts are ``Decimal`` (JSON strings), VAT included unless a field name says ``excl_tax``.
The contract with the other domains (docs/domain-contracts.md) is ``PriceCartIn`` → ``PricedCart``,
``IssueCouponIn`` → ``CouponOut``; the rest are the API's own types.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal, get_args

from pydantic import ConfigDict, Field, field_validator, model_validator

from comptoir.core.money import DecimalStr, Percent, iso_currency, no_float
from comptoir.core.types import AwareDatetime, Omittable, Schema

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

# The delivery vocabulary, one for carts, pricing and orders (orders' ``OrderMode`` is this type). The
# **mode** is how the customer gets the goods; the **method** is the speed of a home delivery. A
# free-shipping promotion targets modes (``params.modes``) and methods (``params.methods``) by these names.
DeliveryMode = Literal["home_delivery", "click_and_collect", "reserve_and_collect", "store_sale"]
DeliveryMethod = Literal["standard", "express"]
DELIVERY_MODES: tuple[DeliveryMode, ...] = get_args(DeliveryMode)
DELIVERY_METHODS: tuple[DeliveryMethod, ...] = get_args(DeliveryMethod)


# ---------------------------------------------------------------------------------------------
# price_cart: the contract
# ---------------------------------------------------------------------------------------------
class CartLineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1, max_length=64)
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=10_000)


class ShippingIn(Schema):
    """What the customer pays to get the goods: the delivery mode, its method, and the fee."""

    model_config = ConfigDict(extra="forbid")
    mode: DeliveryMode = "home_delivery"
    method: DeliveryMethod = "standard"
    amount: DecimalStr = Field(ge=0, description="Shipping cost, VAT included")

    _float = field_validator("amount", mode="before")(no_float)


class PriceCartIn(Schema):
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
    at: AwareDatetime | None = Field(default=None, description="Price as of this instant (default: now)")

    _cur = field_validator("currency")(iso_currency)

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


class Adjustment(Schema):
    """One promotion's effect on a line (or on the cart): ``amount`` is negative for a discount."""

    promotion_id: str
    code: str | None = None
    kind: PromotionKind
    label: str
    amount: DecimalStr


class PricedLine(Schema):
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
    vat_rate: Percent
    adjustments: list[Adjustment] = Field(default_factory=list)
    total: DecimalStr = Field(description="unit_price × quantity + line adjustments (never below 0)")
    cart_discount_share: DecimalStr = Field(
        default=Decimal("0"),
        description="This line's share of the cart-level discounts (negative), for refunds and accounting",
    )
    amount_payable: DecimalStr = Field(description="total + cart_discount_share: what the line is paid")
    tax_amount: DecimalStr = Field(description="VAT contained in amount_payable")
    gift: bool = False


class RejectedCoupon(Schema):
    code: str
    reason: str = Field(
        description="unknown, expired, not_started, exhausted, used_by_customer, customer_required, "
        "not_for_customer, not_for_channel, not_for_segment, not_for_tier, conditions_not_met, "
        "currency, superseded"
    )


class PricedCart(Schema):
    currency: str
    channel: str
    store_id: str | None = None
    customer_id: str | None = None
    lines: list[PricedLine]
    cart_adjustments: list[Adjustment] = Field(default_factory=list)
    gift_lines: list[PricedLine] = Field(default_factory=list)
    subtotal: DecimalStr = Field(description="Sum of unit_price × quantity, before any discount")
    discount_total: DecimalStr = Field(
        description="Sum of every item and cart discount (≤ 0); shipping offers are in shipping_total, "
        "so total = subtotal + discount_total + shipping_total"
    )
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
class IssueCouponIn(Schema):
    model_config = ConfigDict(extra="forbid")
    customer_id: str = Field(min_length=1)
    amount: DecimalStr = Field(gt=0)
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    label: str = Field(min_length=1, max_length=200)
    valid_until: datetime | None = None
    reference: str = Field(
        min_length=1, max_length=120, description="Idempotency: same reference, same coupon"
    )

    _float = field_validator("amount", mode="before")(no_float)
    _cur = field_validator("currency")(iso_currency)


class CouponOut(Schema):
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


# ---------------------------------------------------------------------------------------------
# price resolution, explained
# ---------------------------------------------------------------------------------------------
class CandidatePrice(Schema):
    price_list_id: str
    price_list_code: str
    amount: DecimalStr
    applies: bool = Field(description="The list (and this price's own window) applies to this context")
    chosen: bool
    specificity: int = Field(description="4 customer group + 2 store + 1 channel")
    priority: int
    explanation: str


class ShelfPrice(Schema):
    """The price a SKU sells at in a context (channel, store, customer), as a shelf label shows it."""

    sku: str
    currency: str
    price: DecimalStr
    compare_at_price: DecimalStr | None = Field(description="The regular price a discount is taken from")
    discounted: bool
    reference_price: DecimalStr | None = Field(
        description="Omnibus: the lowest price of the 30 days before the discount"
    )


class PriceResolution(Schema):
    sku: str
    currency: str
    channel: str
    store_id: str | None
    price: DecimalStr = Field(description="VAT included")
    price_excl_tax: DecimalStr
    vat_rate: Percent
    price_list_id: str
    price_list_code: str
    explanation: str
    compare_at_price: DecimalStr | None
    discounted: bool
    discount_started_at: datetime | None
    reference_price: DecimalStr | None = Field(
        description="Omnibus: the lowest price of the 30 days before the discount started"
    )
    candidates: list[CandidatePrice]
    at: datetime


# ---------------------------------------------------------------------------------------------
# price lists and prices
# ---------------------------------------------------------------------------------------------
ChannelName = str


def _channels(value: list[str]) -> list[str]:
    for entry in value:
        if entry not in ("web", "app", "call-centre", "live", "store") and not (
            entry.startswith("store:") and len(entry) > 6
        ):
            raise ValueError(f"unknown channel {entry!r}: web, app, store, store:<id>, call-centre, live")
    return sorted(set(value))


class PriceListIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str = Field(min_length=1, max_length=200)
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    channels: list[str] = Field(default_factory=list, description="Empty: every channel")
    store_ids: list[str] = Field(default_factory=list, description="Empty: every store")
    customer_groups: list[str] = Field(default_factory=list, description="Customer segments; empty: all")
    priority: int = Field(default=0, ge=-1000, le=1000)
    prices_include_tax: bool = True
    is_sale: bool = Field(default=False, description="Its prices are reductions (Omnibus reference shown)")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    active: bool = True

    _cur = field_validator("currency")(iso_currency)
    _ch = field_validator("channels")(classmethod(lambda cls, v: _channels(v)))

    @model_validator(mode="after")
    def _window(self) -> PriceListIn:
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            raise ValueError("valid_until must come after valid_from")
        return self


class PriceListPatch(Schema):
    """Only the fields given change; ``null`` clears the validity dates and nothing else."""

    model_config = ConfigDict(extra="forbid")
    name: Omittable[str] = Field(default=None, min_length=1, max_length=200)
    channels: Omittable[list[str]] = None
    store_ids: Omittable[list[str]] = None
    customer_groups: Omittable[list[str]] = None
    priority: Omittable[int] = Field(default=None, ge=-1000, le=1000)
    is_sale: Omittable[bool] = None
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    active: Omittable[bool] = None

    @field_validator("channels")
    @classmethod
    def _ch(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _channels(v)


class PriceListOut(Schema):
    id: str
    code: str
    name: str
    currency: str
    channels: list[str]
    store_ids: list[str]
    customer_groups: list[str]
    priority: int
    prices_include_tax: bool
    is_sale: bool
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool
    version: int
    price_count: int = 0


class PriceIn(Schema):
    model_config = ConfigDict(extra="forbid")
    sku: str = Field(min_length=1, max_length=64)
    amount: DecimalStr | None = Field(ge=0, description="null removes the SKU from the list")
    compare_at: DecimalStr | None = Field(default=None, ge=0, description="The crossed-out regular price")
    vat_rate: Percent | None = Field(default=None, description="Overrides the product's tax class")
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None

    _float = field_validator("amount", "compare_at", "vat_rate", mode="before")(no_float)

    @field_validator("vat_rate")
    @classmethod
    def _french_rate(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and v not in (
            Decimal("20"),
            Decimal("10"),
            Decimal("5.5"),
            Decimal("2.1"),
            Decimal(0),
        ):
            raise ValueError("vat_rate must be a French TVA rate: 20, 10, 5.5, 2.1 (or 0)")
        return v


class PricesIn(Schema):
    model_config = ConfigDict(extra="forbid")
    prices: list[PriceIn] = Field(min_length=1, max_length=10_000)

    @model_validator(mode="after")
    def _unique(self) -> PricesIn:
        skus = [p.sku for p in self.prices]
        if len(skus) != len(set(skus)):
            raise ValueError("each SKU may appear once")
        return self


class PriceOut(Schema):
    price_list_id: str
    sku: str
    amount: DecimalStr
    compare_at: DecimalStr | None
    vat_rate: Percent | None
    valid_from: datetime | None
    valid_until: datetime | None
    updated_at: datetime


class PricesSetOut(Schema):
    price_list_id: str
    changed: int
    unchanged: int
    removed: int


class PriceHistoryOut(Schema):
    price_list_id: str
    sku: str
    amount: DecimalStr
    compare_at: DecimalStr | None
    effective_from: datetime
    effective_until: datetime | None


# ---------------------------------------------------------------------------------------------
# promotions and coupons
# ---------------------------------------------------------------------------------------------
class PromotionIn(Schema):
    """``params`` by kind (amounts as strings):

    * percent_off: ``{"percent": "15", "scope": "item" | "cart", "skus": [...], "category_ids": [...]}``
    * fixed_off: ``{"amount": "5.00", "scope": "item" | "cart", ...targets}``
    * buy_x_get_y: ``{"buy": 2, "get": 1, "percent": "100", ...targets}`` (cheapest units free)
    * bundle: ``{"items": {"SKU-A": 1, "SKU-B": 1}, "price": "49.90"}``
    * gift: ``{"gift_sku": "SKU-G", "min_subtotal": "80.00"}``
    * free_shipping: ``{"min_subtotal": "50.00", "modes": ["home_delivery"], "methods": ["standard"]}``
      (``modes`` among ``DELIVERY_MODES``, ``methods`` among ``DELIVERY_METHODS``; empty or left out: any)

    Every kind accepts ``min_subtotal`` (merchandise after earlier discounts) and ``min_quantity``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    label: str | None = Field(
        default=None, max_length=200, description="Shown to the customer; default: name"
    )
    kind: Literal["percent_off", "fixed_off", "buy_x_get_y", "bundle", "gift", "free_shipping"]
    currency: str = Field(default="EUR", min_length=3, max_length=3)
    params: dict[str, Any] = Field(default_factory=dict)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    priority: int = Field(default=0, ge=-1000, le=1000)
    stacking: Stacking = "stackable"
    channels: list[str] = Field(default_factory=list, description="Empty: every channel")
    segments: list[str] = Field(default_factory=list)
    tiers: list[str] = Field(default_factory=list)
    requires_coupon: bool = False
    budget: DecimalStr | None = Field(default=None, gt=0, description="Total discount the promotion may give")
    max_uses: int | None = Field(default=None, ge=1, description="Orders the promotion may be used on")
    status: Literal["draft", "active"] = "active"

    _cur = field_validator("currency")(iso_currency)
    _ch = field_validator("channels")(classmethod(lambda cls, v: _channels(v)))
    _float = field_validator("budget", mode="before")(no_float)

    @model_validator(mode="after")
    def _window(self) -> PromotionIn:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("ends_at must come after starts_at")
        return self


class PromotionPatch(Schema):
    """Only the fields given change; ``null`` clears the dates, the budget and the use cap only."""

    model_config = ConfigDict(extra="forbid")
    name: Omittable[str] = Field(default=None, min_length=1, max_length=200)
    label: Omittable[str] = Field(default=None, max_length=200)
    params: Omittable[dict[str, Any]] = None
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None
    priority: Omittable[int] = Field(default=None, ge=-1000, le=1000)
    stacking: Omittable[Stacking] = None
    channels: Omittable[list[str]] = None
    segments: Omittable[list[str]] = None
    tiers: Omittable[list[str]] = None
    budget: DecimalStr | None = Field(default=None, gt=0)
    max_uses: int | None = Field(default=None, ge=1)
    status: Omittable[Literal["draft", "active", "stopped"]] = None

    _float = field_validator("budget", mode="before")(no_float)

    @field_validator("channels")
    @classmethod
    def _ch(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _channels(v)


class PromotionOut(Schema):
    id: str
    name: str
    label: str
    kind: PromotionKind
    status: str
    running: bool = Field(description="Active, within its dates and with budget left")
    currency: str
    params: dict[str, Any]
    starts_at: datetime | None
    ends_at: datetime | None
    priority: int
    stacking: Stacking
    channels: list[str]
    segments: list[str]
    tiers: list[str]
    requires_coupon: bool
    budget: DecimalStr | None
    budget_used: DecimalStr
    max_uses: int | None
    uses: int
    exhausted: bool
    version: int


class CouponIn(Schema):
    model_config = ConfigDict(extra="forbid")
    code: str | None = Field(
        default=None,
        min_length=3,
        max_length=40,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="Default: generated",
    )
    customer_id: str | None = Field(default=None, description="A personal coupon")
    max_uses: int | None = Field(default=None, ge=1, description="None: unlimited (multi-use)")
    max_uses_per_customer: int | None = Field(default=None, ge=1)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class CouponBatchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    count: int = Field(ge=1, le=10_000)
    prefix: str = Field(default="", max_length=12, pattern=r"^[A-Z0-9-]*$")
    max_uses: int | None = Field(default=1, ge=1)
    max_uses_per_customer: int | None = Field(default=None, ge=1)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None


class CouponBatchOut(Schema):
    batch_id: str
    promotion_id: str
    codes: list[str]
