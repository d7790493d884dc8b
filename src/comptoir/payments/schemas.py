"""payments: pydantic types in and out — with service.py and events.py, the public interface.

A *payment* is one tender of an order (a card, a gift card or voucher, loyalty points, or money to
be taken at the till). Its ``state`` moves through the machine in :mod:`comptoir.payments.policies`:
``pending`` (pay in store / at pickup, or a card waiting for 3-D Secure), ``authorised`` (card held),
``captured`` (money taken; stored value is captured at once), ``partially_refunded``, ``refunded``,
``voided`` (released before capture) and ``failed`` (declined).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from comptoir.core.money import DecimalStr, iso_currency, no_float
from comptoir.core.types import AwareDatetime, Schema

Method = Literal["card", "pay_in_store", "pay_at_pickup", "gift_card", "loyalty_points"]
METHODS: tuple[Method, ...] = ("card", "pay_in_store", "pay_at_pickup", "gift_card", "loyalty_points")
PaymentState = Literal[
    "pending", "authorised", "captured", "partially_refunded", "refunded", "voided", "failed"
]
RefundTo = Literal["original", "voucher"]
GiftCardKind = Literal["gift_card", "voucher"]
GiftCardStatus = Literal["active", "disabled"]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200)]
GiftCardCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, min_length=6, max_length=32, pattern=r"^[A-Z0-9-]+$"
    ),
]
Pin = Annotated[str, StringConstraints(pattern=r"^\d{4,8}$")]


# -- operations other domains call ---------------------------------------------------------------------------


class TenderIn(Schema):
    """One way the customer pays part of the order.

    ``details``: ``{"card_token": "tok_…"}`` for a card; ``{"gift_card_code": "…", "gift_card_pin": "…"}``
    for a gift card or voucher (PIN only when the card has one); ``{}`` otherwise.
    """

    model_config = ConfigDict(extra="forbid")

    method: Method
    amount: DecimalStr = Field(gt=0, max_digits=14, decimal_places=3)
    details: dict[str, str] = Field(default_factory=dict)

    _amount_not_float = field_validator("amount", mode="before")(no_float)

    @model_validator(mode="after")
    def _details_fit_method(self) -> TenderIn:
        allowed = {
            "card": {"card_token", "return_url"},
            "gift_card": {"gift_card_code", "gift_card_pin"},
        }.get(self.method, set())
        unknown = sorted(set(self.details) - allowed)
        if unknown:
            raise ValueError(f"details {unknown} do not apply to method {self.method}")
        if self.method == "card" and not self.details.get("card_token"):
            raise ValueError("a card tender needs details.card_token")
        if self.method == "gift_card" and not self.details.get("gift_card_code"):
            raise ValueError("a gift card tender needs details.gift_card_code")
        return self


class AuthoriseIn(Schema):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, max_length=64)
    tenders: list[TenderIn] = Field(min_length=1, max_length=10)
    currency: str = Field(min_length=3, max_length=3)
    channel: str = Field(min_length=1, max_length=64, description="web, app, store:<id>, call-centre, live")

    _iso = field_validator("currency")(iso_currency)


class PaymentOut(Schema):
    id: str
    order_id: str
    customer_id: str | None
    method: Method
    state: PaymentState
    currency: str
    amount: DecimalStr = Field(description="Amount asked for this tender")
    captured_amount: DecimalStr
    refunded_amount: DecimalStr
    refundable_amount: DecimalStr = Field(description="captured − refunded")
    provider: str | None = Field(description="Card provider name (e.g. sandbox); null for other methods")
    provider_reference: str | None = Field(description="The provider's id of the payment, or gift card code")
    next_action: dict[str, str] | None = Field(
        default=None,
        description='A card waiting for the customer (3-D Secure): {"type": "redirect", "url": …}',
    )
    failure_reason: str | None = None
    channel: str
    created_at: datetime
    updated_at: datetime


class RefundIn(Schema):
    model_config = ConfigDict(extra="forbid")

    order_id: str = Field(min_length=1, max_length=64)
    amount: DecimalStr = Field(gt=0, max_digits=14, decimal_places=3)
    currency: str = Field(min_length=3, max_length=3)
    to: RefundTo = "original"
    reference: Reference = Field(
        description="Caller-chosen (e.g. the return id); replaying returns the first refund"
    )
    reason: str = Field(default="", max_length=200)
    customer_id: str | None = Field(default=None, max_length=64, description="Owner of a refund voucher")

    _amount_not_float = field_validator("amount", mode="before")(no_float)
    _iso = field_validator("currency")(iso_currency)


class RefundPartOut(Schema):
    payment_id: str
    method: Method
    amount: DecimalStr
    provider_reference: str | None


class GiftCardOut(Schema):
    id: str
    code: str
    kind: GiftCardKind
    currency: str
    initial_amount: DecimalStr
    balance: DecimalStr
    expires_at: datetime | None
    status: GiftCardStatus
    has_pin: bool
    customer_id: str | None
    created_at: datetime


class GiftCardIssuedOut(GiftCardOut):
    pin: str | None = Field(description="Shown once, at issue; null when the card has no PIN")


class RefundOut(Schema):
    id: str
    order_id: str
    reference: str
    to: RefundTo
    currency: str
    amount: DecimalStr
    parts: list[RefundPartOut] = Field(description="How the amount was split over the order's payments")
    voucher: GiftCardIssuedOut | None = Field(description="The voucher issued when to = voucher")
    created_at: datetime


# -- gift cards and vouchers (API) -------------------------------------------------------------------------


class GiftCardIssueIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: DecimalStr = Field(gt=0, max_digits=14, decimal_places=3)
    currency: str = Field(min_length=3, max_length=3)
    kind: GiftCardKind = "gift_card"
    code: GiftCardCode | None = Field(
        default=None, description="Printed on a physical card; generated when absent"
    )
    with_pin: bool = Field(default=True, description="Generate a PIN the holder must give to pay")
    expires_at: AwareDatetime | None = Field(
        default=None, description="Null: the retailer's default validity"
    )
    customer_id: str | None = Field(default=None, max_length=64)
    reference: Reference = Field(
        description="Caller-chosen; replaying returns the first card (without its PIN)"
    )

    _amount_not_float = field_validator("amount", mode="before")(no_float)
    _iso = field_validator("currency")(iso_currency)


class GiftCardRedeemIn(Schema):
    """Take value from a card outside an order's checkout (e.g. a till sale recorded elsewhere)."""

    model_config = ConfigDict(extra="forbid")

    amount: DecimalStr = Field(gt=0, max_digits=14, decimal_places=3)
    currency: str = Field(min_length=3, max_length=3)
    pin: Pin | None = None
    reference: Reference

    _amount_not_float = field_validator("amount", mode="before")(no_float)
    _iso = field_validator("currency")(iso_currency)


class GiftCardMovementOut(Schema):
    id: int
    kind: Literal["issue", "redeem", "refund", "reverse"]
    amount: DecimalStr = Field(description="Signed: positive credits the card, negative debits it")
    balance_after: DecimalStr
    reference: str
    payment_id: str | None
    order_id: str | None
    occurred_at: datetime


class PaymentEventOut(Schema):
    """One transition of a payment (append-only journal)."""

    id: int
    payment_id: str
    from_state: PaymentState | None
    to_state: PaymentState
    amount: DecimalStr
    provider_reference: str | None
    provider_event_id: str | None
    reason: str | None
    occurred_at: datetime


class CaptureIn(Schema):
    model_config = ConfigDict(extra="forbid")

    order_id: str | None = Field(default=None, description="Capture every capturable payment of this order")
    payment_id: str | None = None

    @model_validator(mode="after")
    def _one(self) -> CaptureIn:
        if (self.order_id is None) == (self.payment_id is None):
            raise ValueError("give exactly one of order_id and payment_id")
        return self


class OrderPaymentsOut(Schema):
    order_id: str
    currency: str | None
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    total_captured: DecimalStr
    total_refunded: DecimalStr


class ProviderEventAck(Schema):
    received: bool
    duplicate: bool
    payment_id: str | None
    state: PaymentState | None


class GiftCardStatusIn(Schema):
    model_config = ConfigDict(extra="forbid")

    status: GiftCardStatus = Field(
        description="disabled blocks a lost card; active unblocks it and clears wrong PINs"
    )
