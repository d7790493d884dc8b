"""orders: pydantic types in and out — with service.py and events.py, the public interface.

Vocabulary:

- an **order** has one ``mode`` chosen by the customer (how they get the goods; pricing's
  ``DeliveryMode``, with the ``shipping_method`` of a home delivery its ``DeliveryMethod``): ``home_delivery``,
  ``click_and_collect``, ``reserve_and_collect`` or ``store_sale`` (a till basket carried out at once);
- the sourcing engine splits it into **fulfilments**, one per place that serves lines. A fulfilment's
  ``kind`` says how it reaches the customer: ``ship_from_warehouse``, ``ship_from_store``,
  ``pickup_from_store_stock``, ``pickup_after_transfer``, ``reserve_and_collect`` or ``carry_out``;
- "order-in-store" (endless aisle) is not a mode: it is a ``home_delivery`` or ``click_and_collect``
  order placed on a ``store:<id>`` channel, with ``seller_id`` set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import ConfigDict, EmailStr, Field, field_validator, model_validator

from comptoir.core.money import DecimalStr, Percent
from comptoir.core.types import Schema
from comptoir.pricing.schemas import DELIVERY_MODES, DeliveryMethod, DeliveryMode

# The delivery vocabulary is pricing's (its free-shipping promotions name the same modes and methods).
OrderMode = DeliveryMode
ORDER_MODES: tuple[OrderMode, ...] = DELIVERY_MODES
FulfilmentKind = Literal[
    "ship_from_warehouse",
    "ship_from_store",
    "pickup_from_store_stock",
    "pickup_after_transfer",
    "reserve_and_collect",
    "carry_out",
]
FulfilmentStatus = Literal[
    "placed",
    "awaiting_payment",
    "in_transit",
    "allocated",
    "picking",
    "ready_for_pickup",
    "collected",
    "shipped",
    "delivered",
    "cancelled",
    "expired",
]
OrderStatus = Literal["placed", "in_progress", "ready_for_pickup", "completed", "cancelled"]
PaymentStatus = Literal["pending", "authorised", "paid", "partially_refunded", "refunded", "voided"]
TenderMethod = Literal["card", "pay_in_store", "pay_at_pickup", "gift_card", "loyalty_points"]


# --- checkout ------------------------------------------------------------------------------------
class AddressIn(Schema):
    """A delivery address; latitude/longitude are optional (the postcode is geocoded otherwise)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    line1: str = Field(min_length=1, max_length=200)
    line2: str = Field(default="", max_length=200)
    postcode: str = Field(min_length=2, max_length=16)
    city: str = Field(min_length=1, max_length=120)
    country: str = Field(default="FR", min_length=2, max_length=2)
    phone: str | None = Field(default=None, max_length=40)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("country")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class TenderIn(Schema):
    """How (part of) the order is paid. ``amount`` omitted on the last tender = what remains to pay."""

    model_config = ConfigDict(extra="forbid")
    method: TenderMethod
    amount: DecimalStr | None = Field(default=None, gt=0)
    details: dict[str, str] = Field(
        default_factory=dict, description='{"card_token": …} or {"gift_card_code": …}'
    )


class CheckoutIn(Schema):
    """Turn a cart into an order in one transaction: re-price, validate, source, reserve, pay, create."""

    model_config = ConfigDict(extra="forbid")
    cart_id: str = Field(min_length=1, max_length=64)
    cart_version: int | None = Field(
        default=None, ge=0, description="Refused (409) when the cart has changed since"
    )
    mode: OrderMode
    address: AddressIn | None = Field(default=None, description="Required for home_delivery")
    pickup_place_id: str | None = Field(default=None, description="Required for click/reserve and collect")
    place_id: str | None = Field(
        default=None, description="The till's store for a store_sale (default: the key's store)"
    )
    shipping_method: DeliveryMethod = Field(default="standard", description="How fast a home delivery goes")
    tenders: list[TenderIn] = Field(default_factory=list, max_length=8)
    customer_id: str | None = Field(
        default=None, description="Link a till sale or a tablet order to a known customer"
    )
    email: EmailStr | None = Field(
        default=None, description="Where to send the order confirmation or e-receipt"
    )
    receipt_by_email: bool = False
    seller_id: str | None = Field(
        default=None, max_length=64, description="The seller who took an order in store"
    )
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _mode_fields(self) -> CheckoutIn:
        if self.mode == "home_delivery" and self.address is None:
            raise ValueError("address is required for home_delivery")
        if self.mode in ("click_and_collect", "reserve_and_collect") and not self.pickup_place_id:
            raise ValueError(f"pickup_place_id is required for {self.mode}")
        return self


# --- order read model ----------------------------------------------------------------------------
class OrderLineOut(Schema):
    line_id: str
    sku: str
    quantity: int
    unit_price: DecimalStr
    discount: DecimalStr = Field(description="Total discount on the line (positive amount)")
    total: DecimalStr = Field(description="What the customer pays for the line, VAT included")
    vat_rate: Percent
    category_ids: list[str] = Field(default_factory=list)
    returned_quantity: int = 0


class FulfilmentLineOut(Schema):
    line_id: str
    sku: str
    quantity: int
    location: str | None = None


class SourcingCandidateOut(Schema):
    place_id: str
    kind: str = "store"
    score: float | None
    distance_km: float | None
    covers: int = Field(description="Units of the order this place could serve")
    chosen: bool
    reason: str


class SourcingDecisionOut(Schema):
    strategy: str
    parcels: int
    cost: float
    candidates: list[SourcingCandidateOut]
    summary: str


class FulfilmentOut(Schema):
    id: str
    kind: FulfilmentKind
    place_id: str = Field(
        description="Where the customer gets the goods from (shipping place or pickup store)"
    )
    source_place_id: str = Field(description="Where the stock is taken (differs for pickup_after_transfer)")
    status: FulfilmentStatus
    lines: list[FulfilmentLineOut]
    reservation_reference: str
    pickup_expires_at: datetime | None = None
    tracking_number: str | None = None
    updated_at: datetime


class OrderTotalsOut(Schema):
    subtotal: DecimalStr
    discount_total: DecimalStr
    shipping_total: DecimalStr
    tax_total: DecimalStr
    total: DecimalStr


class OrderPaymentOut(Schema):
    payment_id: str
    method: str
    amount: DecimalStr
    state: str
    next_action: dict[str, str] | None = Field(
        default=None, description="What the customer must do to finish paying (3-D Secure: a redirect URL)"
    )


class OrderOut(Schema):
    id: str
    number: str
    customer_id: str | None
    channel: str
    currency: str
    status: OrderStatus
    mode: OrderMode
    payment_status: PaymentStatus
    lines: list[OrderLineOut]
    fulfilments: list[FulfilmentOut]
    totals: OrderTotalsOut
    payments: list[OrderPaymentOut]
    cart_id: str | None
    seller_id: str | None
    email: str | None
    address: dict[str, Any] | None
    pickup_place_id: str | None
    sourcing: SourcingDecisionOut | None
    created_at: datetime
    paid_at: datetime | None
    version: int


class OrderSummaryOut(Schema):
    id: str
    number: str
    channel: str
    mode: OrderMode
    status: OrderStatus
    payment_status: PaymentStatus
    currency: str
    total: DecimalStr
    items: int
    created_at: datetime


class ReturnedLine(Schema):
    line_id: str
    quantity: int = Field(gt=0)


# --- lifecycle -------------------------------------------------------------------------------------
Transition = Literal[
    "allocate", "receive_transfer", "dispatch_transfer", "pick", "ready", "collect", "ship", "deliver"
]


class FulfilmentTransitionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    action: Transition
    tracking_number: str | None = Field(default=None, max_length=80)


class CancelIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200)


class PickListLineOut(Schema):
    order_id: str
    order_number: str
    fulfilment_id: str
    kind: FulfilmentKind
    status: FulfilmentStatus
    sku: str
    quantity: int
    location: str | None


class PickListOut(Schema):
    place_id: str
    fulfilments: list[FulfilmentOut]
    lines: list[PickListLineOut]


class OrderListOut(Schema):
    items: list[OrderSummaryOut]
    next_cursor: str | None = None
