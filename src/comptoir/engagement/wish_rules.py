"""engagement: when a wished-for product is worth a message — pure rules, no I/O.

* **Back in stock**: a SKU that could not be ordered online (no unit promised for delivery by a warehouse or
  a shop that ships) and now can. Online, because the message sends the customer to the product page to
  order it; a shop's shelf alone is not "back in stock" for a wishlist kept on the website or the app. A
  SKU seen for the first time has no "before": it only sets what is known (no message).
* **Price drop**: the public web price (the one the product page shows to a visitor) lower than the one
  last known by at least :data:`PRICE_DROP_AT_LEAST` of it, in the same currency. Each message shows the
  customer their own price, checked again when it is sent: it goes only while that price is still below
  the one before the drop.
* **At most one of a kind per customer and SKU in** :data:`NOTICE_EVERY`: a stock that flaps (sold out,
  back, sold out, back within the day) or a price that drops twice in a week writes once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

BACK_IN_STOCK = "back_in_stock"
PRICE_DROP = "price_drop"
KINDS = (BACK_IN_STOCK, PRICE_DROP)

NOTICE_EVERY: dict[str, timedelta] = {BACK_IN_STOCK: timedelta(days=7), PRICE_DROP: timedelta(days=7)}
PRICE_DROP_AT_LEAST = Decimal("0.05")  # 5 % of the price before


def came_back(in_stock_before: bool | None, available_now: int) -> bool:
    """Out of stock online before (known), orderable now."""
    return in_stock_before is False and available_now > 0


def dropped(
    before: Decimal | None, after: Decimal | None, *, at_least: Decimal = PRICE_DROP_AT_LEAST
) -> bool:
    """``after`` is lower than ``before`` by at least ``at_least`` of ``before`` (both known, positive)."""
    if before is None or after is None or before <= 0 or after < 0:
        return False
    return before - after >= before * at_least and after < before


def still_cheaper(before: Decimal, now: Decimal) -> bool:
    """What the customer would pay now is still below the price before the drop."""
    return now < before


def may_notify(last: datetime | None, now: datetime, kind: str) -> bool:
    """No message of this kind about this SKU to this customer in the last :data:`NOTICE_EVERY` days."""
    return last is None or now - last >= NOTICE_EVERY[kind]


def recent_since(now: datetime, kind: str) -> datetime:
    """Notices of ``kind`` after this instant are too recent for another one."""
    return now - NOTICE_EVERY[kind]
