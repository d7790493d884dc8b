"""pricing: the domain's operations (its public interface with schemas.py and events.py).

Other domains call (docs/domain-contracts.md):

* ``price_cart(uow, PriceCartIn) -> PricedCart`` — a whole cart priced and every adjustment explained;
* ``commit_promotions(uow, order_id, customer_id, priced)`` / ``release_promotions(uow, order_id)`` —
  coupon uses and budgets consumed by a placed order (guarded, idempotent by order), and given back;
* ``issue_coupon(uow, IssueCouponIn) -> CouponOut`` — a personal single-use voucher.

The rest is the pricing API's own use (price lists and prices, resolution explained, promotions,
coupons). No function commits: the caller's unit of work does.
"""

from __future__ import annotations

from typing import Any

from comptoir.core.uow import UnitOfWork
from comptoir.pricing.engine import price_cart
from comptoir.pricing.errors import CouponUnavailable, PromotionBudgetExhausted, SkuNotPriced
from comptoir.pricing.lists import (
    create_price_list,
    get_price_list,
    list_price_lists,
    price_history,
    prices_of,
    prices_page,
    set_prices,
    update_price_list,
)
from comptoir.pricing.locking import commit_promotions, release_promotions
from comptoir.pricing.promotions import (
    announce_windows,
    coupons_of,
    create_coupon,
    create_coupon_batch,
    create_promotion,
    disable_coupon,
    get_coupon,
    get_promotion,
    issue_coupon,
    list_promotions,
    promotions_page,
    stop_promotion,
    update_promotion,
)
from comptoir.pricing.schemas import CouponOut
from comptoir.pricing.shelf import explain_price, shelf_prices


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """The customer's personal coupons and vouchers (their part of the 360° view), JSON-ready."""
    coupons: list[CouponOut] = coupons_of(uow, customer_id)
    return {
        "coupons": [c.model_dump(mode="json") for c in coupons],
        "usable": sum(1 for c in coupons if c.status == "active"),
    }


__all__ = [
    "CouponUnavailable",
    "PromotionBudgetExhausted",
    "SkuNotPriced",
    "announce_windows",
    "commit_promotions",
    "coupons_of",
    "create_coupon",
    "create_coupon_batch",
    "create_price_list",
    "create_promotion",
    "customer_section",
    "disable_coupon",
    "explain_price",
    "get_coupon",
    "get_price_list",
    "get_promotion",
    "issue_coupon",
    "list_price_lists",
    "list_promotions",
    "price_cart",
    "price_history",
    "prices_of",
    "prices_page",
    "promotions_page",
    "release_promotions",
    "set_prices",
    "shelf_prices",
    "stop_promotion",
    "update_price_list",
    "update_promotion",
]
