"""engagement: what the messages of the customer's life — welcome, new loyalty tier, birthday, the
e-receipt — are written from, read when they are sent (see :mod:`comptoir.engagement.mail_customers`).

* welcome: the loyalty programme (how points are earned, the first reward, the birthday gift) and the
  customer's account as they are then; none when the retailer runs no programme;
* new tier: the tier's benefits (its points multiplier, the running promotions reserved for it), the
  balance and the next tier — ``None`` when the customer is no longer at the tier the journey congratulates;
* birthday: the voucher the birthday job issued, while it can still be used;
* the e-receipt: the receipt as the receipts domain prints it, in the e-mail's language, and its PDF.
"""

from __future__ import annotations

from typing import Any

from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement.mail_customers import (
    BirthdayFacts,
    Links,
    Programme,
    TierFacts,
    Voucher,
    WelcomeFacts,
)
from comptoir.engagement.mail_receipts import ReceiptFacts
from comptoir.engagement.mail_types import Loader
from comptoir.loyalty import service as loyalty
from comptoir.pricing import service as pricing
from comptoir.receipts import service as receipts


def links(settings: Settings) -> Links:
    base = settings.base_url.rstrip("/")
    return Links(
        shop_url=f"{base}/shop",
        account_url=f"{base}/shop/account",
        appointments_url=f"{base}/shop/appointments",
        loyalty_url=f"{base}/shop/account/loyalty",
    )


def welcome(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> WelcomeFacts:
    programme = loyalty.get_programme(uow)
    if programme.version == 0:  # no programme set up
        return WelcomeFacts(links(settings), None)
    account = loyalty.account(uow, customer.id)
    rewards = sorted(loyalty.rewards(uow), key=lambda r: r.points)
    gift = programme.birthday_gift
    return WelcomeFacts(
        links(settings),
        Programme(
            name=programme.name,
            points_per_unit=programme.points_per_unit,
            currency=programme.currency,
            tier_name=account.tier_name,
            balance=account.balance,
            reward_points=rewards[0].points if rewards else None,
            reward_amount=rewards[0].amount if rewards else None,
            birthday_amount=gift.amount if gift else None,
        ),
    )


def new_tier(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> TierFacts | None:
    account = loyalty.account(uow, customer.id)
    tier = facts.get("tier")
    if not isinstance(tier, str) or account.tier != tier or not account.tier_name:
        return None  # at another tier since: nothing to congratulate
    rules = loyalty.programme_rules(uow)
    rule = next((r for r in rules.tiers if r.code == tier), None)
    following = next((r for r in rules.tiers if r.code == account.next_tier), None)
    offers = tuple(
        p.label or p.name
        for p in pricing.list_promotions(uow, status="active", running_only=True)
        if tier in p.tiers and not p.requires_coupon
    )
    return TierFacts(
        links=links(settings),
        programme=rules.name,
        tier_name=account.tier_name,
        multiplier=rule.multiplier if rule else rules.tiers[0].multiplier,
        balance=account.balance,
        next_tier_name=following.name if following else None,
        points_to_next=account.points_to_next_tier,
        currency=rules.currency,
        offers=offers,
    )


def birthday(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> BirthdayFacts:
    zone = facts.get("timezone") if isinstance(facts.get("timezone"), str) else settings.timezone
    code = facts.get("voucher_code")
    voucher = None
    if isinstance(code, str) and code:
        try:
            coupon = pricing.get_coupon(uow, code)
        except NotFound:
            coupon = None
        if coupon is not None and coupon.status == "active" and coupon.amount is not None:
            voucher = Voucher(
                code=coupon.code,
                label=coupon.label,
                amount=coupon.amount,
                currency=coupon.currency or settings.default_currency,
                valid_until=coupon.valid_until,
            )
    return BirthdayFacts(links=links(settings), timezone=str(zone), voucher=voucher)


def receipt(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut, facts: dict[str, Any], lang: str
) -> ReceiptFacts | None:
    receipt_id = facts.get("receipt_id")
    if not isinstance(receipt_id, str):
        return None
    found = receipts.e_receipt(uow, settings, receipt_id, lang)
    pdf = receipts.receipt_pdf(uow, receipt_id, lang)
    if found is None or pdf is None:
        return None  # the receipt is gone
    return ReceiptFacts(found, pdf)


LOADERS: dict[str, Loader] = {
    "welcome": welcome,
    "new_tier": new_tier,
    "birthday": birthday,
    "receipt": receipt,
}
