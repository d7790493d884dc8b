"""pricing: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations

from comptoir.pricing.errors import CouponUnavailable, PromotionBudgetExhausted, SkuNotPriced

__all__ = ["CouponUnavailable", "PromotionBudgetExhausted", "SkuNotPriced"]
