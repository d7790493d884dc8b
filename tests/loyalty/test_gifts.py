"""The programme's birthday gift: a personal single-use voucher issued through pricing, once per customer
and year, valid the programme's days; none when the programme gives none. A new member's first tier is
told as joining, not as a promotion."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from comptoir.loyalty import service
from comptoir.loyalty.schemas import BirthdayGift
from comptoir.pricing import service as pricing
from tests.loyalty.conftest import T0, Clock, rules_without_operations


def test_the_birthday_voucher_is_issued_once_per_customer_and_year(
    step: Any, now: Clock, programme: Any
) -> None:
    # Given the demo programme: a 10 € voucher for 30 days on each birthday
    assert programme.birthday_gift == BirthdayGift(
        label="Cadeau d'anniversaire", amount=Decimal(10), valid_days=30
    )
    # When the birthday job asks for cus_a's gift of 2026, twice (a second run)
    wishes_at = T0 + timedelta(hours=20)
    with step() as uow:
        first = service.birthday_gift(uow, "cus_a", 2026, at=wishes_at)
    with step() as uow:
        again = service.birthday_gift(uow, "cus_a", 2026, at=wishes_at + timedelta(hours=1))
        coupons = pricing.coupons_of(uow, "cus_a")
    # Then one coupon: hers, single use, 10 €, valid 30 days from the wishes
    assert first is not None and again is not None and again.code == first.code
    (coupon,) = coupons
    assert (coupon.customer_id, coupon.amount, coupon.currency, coupon.max_uses) == (
        "cus_a",
        Decimal("10.00"),
        "EUR",
        1,
    )
    assert coupon.valid_until == wishes_at + timedelta(days=30) and coupon.status == "active"
    # And next year's is another one
    with step() as uow:
        next_year = service.birthday_gift(uow, "cus_a", 2027)
    assert next_year is not None and next_year.code != first.code


def test_no_voucher_when_the_programme_gives_none(step: Any, now: Clock) -> None:
    with step() as uow:
        service.set_programme(uow, rules_without_operations(birthday_gift=None))
    with step() as uow:
        assert service.birthday_gift(uow, "cus_b", 2026) is None
        assert pricing.coupons_of(uow, "cus_b") == []


def test_a_new_member_joins_at_the_first_tier_and_is_promoted_later(
    step: Any, now: Clock, programme: Any, pay: Any
) -> None:
    pay("ord_1", "cus_c", "40.00")
    pay("ord_2", "cus_c", "1000.00")
    from tests.catalog.conftest import recorded

    with step() as uow:
        db = uow.db
    changes = [(e["previous_tier"], e["tier"], e["direction"]) for e in recorded(db, "loyalty.tier_changed")]
    assert changes == [(None, "essentiel", "joined"), ("essentiel", "privilege", "promotion")]
