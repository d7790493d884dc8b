"""payments: the demo retailer's gift cards and vouchers (codes printed on the demo cards, no PIN)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.payments import giftcards
from comptoir.payments.schemas import GiftCardIssueIn, GiftCardRedeemIn

# (code, kind, amount, spent, days valid)
DEMO_CARDS: list[tuple[str, str, str, str, int]] = [
    ("GC-DEMO-0050-PARIS", "gift_card", "50.00", "0", 365),
    ("GC-DEMO-0100-LYON", "gift_card", "100.00", "37.40", 300),
    ("GC-DEMO-0025-NOEL", "gift_card", "25.00", "0", 20),
    ("GC-DEMO-0200-MARIAGE", "gift_card", "200.00", "120.00", 200),
    ("AV-DEMO-0015-RETOUR", "voucher", "15.90", "0", 365),
]


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    now = clock.now()
    for code, kind, amount, spent, days in DEMO_CARDS:
        card = giftcards.issue(
            uow,
            GiftCardIssueIn(
                amount=Decimal(amount),
                currency=settings.default_currency,
                kind=kind,
                code=code,
                with_pin=False,
                expires_at=now + timedelta(days=days),
                reference=f"demo:{code}",
            ),
        )
        if Decimal(spent) > 0:
            giftcards.redeem(
                uow,
                card.code,
                GiftCardRedeemIn(
                    amount=Decimal(spent), currency=card.currency, reference=f"demo:{code}:spent"
                ),
            )
