"""pricing: the refusals other domains may let propagate (re-exported by service.py)."""

from __future__ import annotations

from typing import Any

from comptoir.core.errors import Conflict, InvalidInput


class CouponUnavailable(Conflict):
    """A coupon's last use (overall or for this customer) was taken by a racing order."""

    slug = "coupon-unavailable"
    title = "The coupon can no longer be used"

    def __init__(self, code: str, reason: str, **kwargs: Any) -> None:
        super().__init__(
            f"Coupon {code} can no longer be used ({reason}).", code=code, reason=reason, **kwargs
        )


class PromotionBudgetExhausted(Conflict):
    slug = "promotion-budget-exhausted"
    title = "The promotion's budget is spent"

    def __init__(self, promotion_id: str, **kwargs: Any) -> None:
        super().__init__(
            f"Promotion {promotion_id} has no budget left for this order.",
            promotion_id=promotion_id,
            **kwargs,
        )


class SkuNotPriced(InvalidInput):
    slug = "sku-not-priced"
    title = "No price for this product"

    def __init__(self, sku: str, field: str) -> None:
        super().__init__(f"No price applies to SKU {sku} for this channel, store and currency.", field=field)
        self.extensions["sku"] = sku
