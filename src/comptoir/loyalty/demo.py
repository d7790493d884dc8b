"""loyalty: the demo retailer's programme, "Carte Comptoir", and balances for some demo customers.

1 point per euro paid; tiers Essentiel (0), Privilège (1,000 qualifying points over 12 months, ×1.25)
and Prestige (3,000, ×1.5); a 10 € voucher for 500 points (so a point is worth 2 cents when paying);
points expire after 24 months. Home linen earns double; a "double points fortnight" runs now; a 10 €
voucher for each member's birthday, valid 30 days.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from comptoir.catalog import service as catalog_service
from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers_service
from comptoir.loyalty import service
from comptoir.loyalty.models import Programme
from comptoir.loyalty.policies import PaidLine
from comptoir.loyalty.schemas import (
    AdjustmentIn,
    BirthdayGift,
    CategoryMultiplier,
    OperationRule,
    ProgrammeRules,
    RewardRule,
    TierRule,
)

DEMO_NAMES = ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand")
DOUBLE_POINTS_CATEGORIES = ("maison",)


def carte_comptoir(
    *, now: datetime | None = None, double_points_category_ids: list[str] | None = None
) -> ProgrammeRules:
    """The demo programme (also the shape a retailer starts from)."""
    now = now or clock.now()
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=3)
    return ProgrammeRules(
        name="Carte Comptoir",
        currency="EUR",
        points_per_unit=Decimal(1),
        point_value=Decimal("0.02"),
        min_redemption=50,
        expiry_months=24,
        qualification_months=12,
        tiers=[
            TierRule(code="essentiel", name="Essentiel", threshold=0, multiplier=Decimal(1)),
            TierRule(code="privilege", name="Privilège", threshold=1000, multiplier=Decimal("1.25")),
            TierRule(code="prestige", name="Prestige", threshold=3000, multiplier=Decimal("1.5")),
        ],
        category_multipliers=[
            CategoryMultiplier(category_id=c, multiplier=Decimal(2)) for c in double_points_category_ids or []
        ],
        operations=[
            OperationRule(
                code="quinzaine-double-points",
                label="Quinzaine double points",
                multiplier=Decimal(2),
                starts_at=start,
                ends_at=start + timedelta(days=14),
            )
        ],
        rewards=[
            RewardRule(
                code="bon-10", label="Bon d'achat 10 €", points=500, amount=Decimal(10), valid_days=90
            ),
            RewardRule(
                code="bon-25", label="Bon d'achat 25 €", points=1200, amount=Decimal(25), valid_days=90
            ),
        ],
        birthday_gift=BirthdayGift(label="Cadeau d'anniversaire", amount=Decimal(10), valid_days=30),
    )


def _category_ids(uow: UnitOfWork) -> list[str]:
    """The home-linen categories and their children, when the catalogue's demo is loaded."""
    categories = catalog_service.list_categories(uow)
    roots = {c.id for c in categories if c.code in DOUBLE_POINTS_CATEGORIES}
    return sorted(c.id for c in categories if c.id in roots or roots.intersection(c.ancestor_ids))


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Programme.id).limit(1)) is not None:
        return
    service.set_programme(uow, carte_comptoir(double_points_category_ids=_category_ids(uow)))
    rng = random.Random(2026)
    customers: list[str] = []
    for name in DEMO_NAMES:
        for hit in customers_service.search(uow, name, limit=3):
            if hit.customer.id not in customers:
                customers.append(hit.customer.id)
    for index, customer_id in enumerate(customers):
        # A few past purchases each, paid in store and on the web; some reach Privilège or Prestige.
        for n in range(rng.randint(1, 6)):
            amount = Decimal(rng.choice((29, 45, 79, 120, 189, 260, 540, 1200)))
            service.earn_for_order(
                uow,
                order_id=f"demo-{index}-{n}",
                customer_id=customer_id,
                channel=rng.choice(("web", "store:st_paris_rivoli", "app")),
                currency="EUR",
                lines=[PaidLine(line_id="1", sku="DEMO", quantity=1, amount=amount)],
            )
        if index % 5 == 0:
            service.adjust(
                uow,
                customer_id,
                AdjustmentIn(
                    points=150, reason="Geste commercial : colis arrivé en retard", reference=f"demo-{index}"
                ),
            )
