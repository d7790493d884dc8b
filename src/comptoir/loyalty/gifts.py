"""loyalty: the programme's gifts — the birthday voucher, issued through pricing as a personal single-use
coupon, once per customer and year."""

from __future__ import annotations

from datetime import datetime, timedelta

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty import ledger
from comptoir.loyalty.programme import programme_rules
from comptoir.pricing import service as pricing_service
from comptoir.pricing.schemas import CouponOut, IssueCouponIn


def birthday_gift(
    uow: UnitOfWork, customer_id: str, year: int, *, at: datetime | None = None
) -> CouponOut | None:
    """The programme's birthday voucher for the customer's birthday of ``year``, valid the programme's
    ``valid_days`` from ``at`` (now); asked again for the same customer and year, the same coupon. None when
    the programme gives none."""
    rules = programme_rules(uow)
    gift = rules.birthday_gift
    if gift is None:
        return None
    customer_id = ledger.resolve(uow, customer_id)
    return pricing_service.issue_coupon(
        uow,
        IssueCouponIn(
            customer_id=customer_id,
            amount=gift.amount,
            currency=rules.currency,
            label=gift.label,
            valid_until=(at or clock.now()) + timedelta(days=gift.valid_days),
            reference=f"birthday:{year}:{customer_id}",
        ),
    )
