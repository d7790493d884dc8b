"""pricing: the facts this domain publishes.

Amounts travel as strings. ``pricing.price_changed`` is one event per (price list, SKU) change;
``pricing.promotion_started`` / ``pricing.promotion_ended`` are recorded when a promotion is
activated or stopped by staff and by the periodic job when a validity window opens or closes.
"""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class PriceChanged(DomainEvent):
    event_type: ClassVar[str] = "pricing.price_changed"
    price_list_id: str
    sku: str
    currency: str
    old_amount: str | None
    new_amount: str | None  # None: the price was removed from the list
    compare_at: str | None
    reference_price: str | None  # Omnibus reference when the new price is a discount
    valid_from: str | None
    valid_until: str | None


class PromotionStarted(DomainEvent):
    event_type: ClassVar[str] = "pricing.promotion_started"
    promotion_id: str
    name: str
    kind: str
    channels: list[str]
    starts_at: str | None
    ends_at: str | None


class PromotionEnded(DomainEvent):
    event_type: ClassVar[str] = "pricing.promotion_ended"
    promotion_id: str
    name: str
    kind: str
    reason: str  # "expired", "stopped", "budget_exhausted"


class PromotionsCommitted(DomainEvent):
    event_type: ClassVar[str] = "pricing.promotions_committed"
    order_id: str
    customer_id: str | None
    promotion_ids: list[str]
    coupons: list[str]
    discount_total: str
    currency: str


class PromotionsReleased(DomainEvent):
    event_type: ClassVar[str] = "pricing.promotions_released"
    order_id: str
    promotion_ids: list[str]
    coupons: list[str]


class CouponIssued(DomainEvent):
    event_type: ClassVar[str] = "pricing.coupon_issued"
    code: str
    promotion_id: str
    customer_id: str | None
    amount: str | None
    currency: str | None
    reference: str | None
