"""returns: pydantic types in and out — with service.py and events.py, the public interface.

Vocabulary:

- a **return** takes back lines of one order, from any channel: ``in_store`` (the goods are handed over
  at a store's counter, which is the return place) or ``by_post`` (the customer sends a parcel to the
  retailer's returns warehouse, the return place);
- it is ``requested`` (by post: waiting for the parcel), then ``received`` (the goods are inspected,
  each line's condition decides restock, write-off or refusal), then ``refunded`` (to the original
  payment or as a voucher); it may end ``rejected`` (nothing accepted) or ``cancelled`` (never sent);
- the **policy** (per retailer) sets the windows, the exclusions and what each condition means.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Protocol, TypeVar

from pydantic import ConfigDict, Field, field_validator, model_validator

from comptoir.core.money import DecimalStr
from comptoir.core.types import Schema

ReturnMethod = Literal["in_store", "by_post"]
ReturnStatus = Literal["requested", "received", "refunded", "rejected", "cancelled"]
RefundTo = Literal["original", "voucher"]
Condition = Literal["resaleable", "damaged", "faulty", "used", "missing"]
ConditionAction = Literal["restock", "write_off", "no_restock", "refuse"]
ReturnReason = Literal[
    "changed_mind", "wrong_size", "not_as_described", "faulty", "damaged_in_transit", "late", "other"
]
Origin = Literal["online", "store"]
RETURN_STATUSES: tuple[ReturnStatus, ...] = ("requested", "received", "refunded", "rejected", "cancelled")


# --- create ----------------------------------------------------------------------------------------
class ReturnLineIn(Schema):
    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1, max_length=64, description="The order line given back")
    quantity: int = Field(gt=0, le=10_000)
    reason: ReturnReason = "changed_mind"
    comment: str = Field(default="", max_length=500)


class ReturnIn(Schema):
    """Take back lines of an order, from any channel (the till, the website, the call centre)."""

    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=64)
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=200)
    method: ReturnMethod
    place_id: str | None = Field(
        default=None,
        description="The return place: the store taking the goods (default: the key's store) or, by "
        "post, the warehouse receiving the parcel (default: the policy's returns warehouse)",
    )
    refund_to: RefundTo = "original"
    note: str = Field(default="", max_length=500)

    @field_validator("lines")
    @classmethod
    def _distinct_lines(cls, value: list[ReturnLineIn]) -> list[ReturnLineIn]:
        return _distinct_lines(value)


class _OrderLineRef(Protocol):
    @property
    def line_id(self) -> str: ...


_Line = TypeVar("_Line", bound=_OrderLineRef)


def _distinct_lines(lines: list[_Line]) -> list[_Line]:
    seen: set[str] = set()
    for line in lines:
        if line.line_id in seen:
            raise ValueError(f"line {line.line_id} is given twice; give each line once with its quantity")
        seen.add(line.line_id)
    return lines


# --- receive and inspect -----------------------------------------------------------------------------
class InspectionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1, max_length=64)
    condition: Condition
    quantity: int | None = Field(
        default=None, ge=0, description="Units actually received (default: the quantity announced)"
    )
    comment: str = Field(default="", max_length=500)


class ReceiveIn(Schema):
    """The goods are in the return place's hands: inspect each line (default: all resaleable)."""

    model_config = ConfigDict(extra="forbid")
    inspections: list[InspectionIn] = Field(default_factory=list, max_length=200)
    refund_to: RefundTo | None = Field(
        default=None, description="Change the refund method chosen at creation"
    )


class RefundReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")
    refund_to: RefundTo | None = Field(default=None, description="Default: the method chosen earlier")


class RejectIn(Schema):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=200)


# --- at a store's counter ---------------------------------------------------------------------------------
class CounterLineIn(Schema):
    """One line handed back at the counter, as the seller found it."""

    model_config = ConfigDict(extra="forbid")
    line_id: str = Field(min_length=1, max_length=64, description="The order line given back")
    quantity: int = Field(gt=0, le=10_000)
    reason: ReturnReason = "changed_mind"
    condition: Condition = "resaleable"


class TakeBackIn(Schema):
    """The customer is at a store's counter with the goods: returned, received there and refunded at once."""

    model_config = ConfigDict(extra="forbid")
    order_id: str = Field(min_length=1, max_length=64)
    lines: list[CounterLineIn] = Field(min_length=1, max_length=200)
    place_id: str | None = Field(default=None, description="The store (default: the key's store)")
    refund_to: RefundTo = "original"

    @field_validator("lines")
    @classmethod
    def _distinct_lines(cls, value: list[CounterLineIn]) -> list[CounterLineIn]:
        return _distinct_lines(value)


# --- read model ----------------------------------------------------------------------------------------
class ReturnLineOut(Schema):
    line_id: str
    sku: str
    quantity: int = Field(description="Units announced")
    reason: str
    comment: str
    unit_price: DecimalStr
    condition: Condition | None = Field(description="Set at inspection")
    action: ConditionAction | None = Field(description="What the condition meant: restock, write_off, …")
    received_quantity: int
    accepted_quantity: int = Field(description="Units taken back and refunded")
    restocked_quantity: int
    refund_amount: DecimalStr = Field(description="Refunded (or to refund) for the accepted units")


class ReturnOut(Schema):
    id: str
    number: str
    order_id: str
    order_number: str
    customer_id: str | None
    channel: str = Field(description="Where the return was started")
    origin: Origin = Field(description="online: a web/app/tablet order; store: a till sale")
    method: ReturnMethod
    place_id: str = Field(description="The return place, where accepted goods are restocked")
    status: ReturnStatus
    refund_to: RefundTo
    currency: str
    lines: list[ReturnLineOut]
    shipping_refund: DecimalStr = Field(
        description="Delivery costs refunded with the last units of an online order"
    )
    total_refund: DecimalStr = Field(description="Lines and delivery refunded (or to refund)")
    refund_id: str | None
    voucher_code: str | None = Field(description="The voucher issued when refunded to a voucher")
    note: str
    rejection_reason: str | None
    created_at: datetime
    received_at: datetime | None
    refunded_at: datetime | None
    version: int


class ReturnListOut(Schema):
    items: list[ReturnOut]


# --- policy (configurable per retailer) -----------------------------------------------------------------
class CategoryWindowIn(Schema):
    model_config = ConfigDict(extra="forbid")
    category_id: str = Field(min_length=1, max_length=64)
    days: int = Field(ge=0, le=3650)


class ReturnPolicyIn(Schema):
    """The retailer's return rules. A window counts days from delivery, collection or the till sale."""

    model_config = ConfigDict(extra="forbid")
    online_window_days: int = Field(default=30, ge=0, le=3650)
    store_window_days: int = Field(default=30, ge=0, le=3650)
    category_windows: list[CategoryWindowIn] = Field(
        default_factory=list, description="Longer or shorter windows for some categories"
    )
    excluded_category_ids: list[str] = Field(
        default_factory=list, description="Never returnable (hygiene, personalised, …)"
    )
    excluded_skus: list[str] = Field(default_factory=list)
    store_sales_by_post: bool = Field(
        default=False, description="May a till sale be returned by post (to the returns warehouse)?"
    )
    returns_warehouse_id: str | None = Field(default=None, description="Where parcels are sent")
    unsent_post_return_days: int = Field(
        default=30, ge=1, le=365, description="A return by post never sent is cancelled after these days"
    )
    voucher_allowed: bool = True
    refund_shipping_on_full_return: bool = Field(
        default=True,
        description="Withdrawal from a distance sale: the delivery paid is refunded once every unit came back",
    )
    condition_actions: dict[Condition, ConditionAction] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]
            "resaleable": "restock",
            "damaged": "write_off",
            "faulty": "no_restock",
            "used": "refuse",
            "missing": "refuse",
        }
    )

    @model_validator(mode="after")
    def _all_conditions(self) -> ReturnPolicyIn:
        defaults: dict[Condition, ConditionAction] = {
            "resaleable": "restock",
            "damaged": "write_off",
            "faulty": "no_restock",
            "used": "refuse",
            "missing": "refuse",
        }
        for condition, action in defaults.items():
            self.condition_actions.setdefault(condition, action)
        return self


class ReturnPolicyOut(ReturnPolicyIn):
    version: int
    updated_at: datetime | None


class ReturnabilityLineOut(Schema):
    line_id: str
    sku: str
    bought: int
    already_returned: int = Field(description="Units claimed by other returns (not refused or cancelled)")
    returnable: int
    unit_price: DecimalStr
    refusal: str | None = Field(description="Why the line cannot come back, if so")


class ReturnabilityOut(Schema):
    """What of an order may come back today, and how (the staff page shows it before the return)."""

    order_id: str
    order_number: str
    origin: Origin
    window_ends_at: datetime | None
    methods: list[ReturnMethod]
    lines: list[ReturnabilityLineOut]
