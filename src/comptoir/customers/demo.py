"""Demo customers: a few thousand French people spread over the touchpoints, with realistic duplicates.

Loaded once (skipped when customers exist) through the product's own paths: an initial load of the
legacy records (batch dedupe, review tasks for doubtful pairs), then a few records ingested one by
one as the website and the e-receipt service would send them, consents, segments, loyalty cards,
and a demo account to sign in with on the website (``camille.martin@example.com`` /
``comptoir-demo-2025``).
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import accounts, bulk, consents, ingestion, profiles
from comptoir.customers.models import Account, Customer
from comptoir.customers.schemas import ConsentIn, CustomerRecord, SignUpIn
from comptoir.customers.synthetic import FIELDS, Population

DEMO_RECORDS = 4000
DEMO_EMAIL = "camille.martin@example.com"
DEMO_PASSWORD = "comptoir-demo-2025"


def load_demo(uow: UnitOfWork, settings: Settings) -> None:
    if uow.session.scalar(select(Customer.id).limit(1)) is not None:
        return
    population = Population(seed=2024, localities=800)
    legacy = list(population.records(DEMO_RECORDS, prefix="LEG-"))
    batch = bulk.Batch(
        sources=[r.source for r in legacy],
        refs=[r.record_id for r in legacy],
        raw={f: [r.fields[f] or None for r in legacy] for f in FIELDS},
        mapping={f: f for f in FIELDS},
    )
    result = bulk.load_initial(uow, batch, region=settings.default_region)
    rng = random.Random(2024)
    customer_ids = sorted(set(result.customer_ids))

    # Later records from the touchpoints, matched one by one: some find their customer, some are new.
    for index in rng.sample(range(len(legacy)), 40):
        fields = population.duplicate(legacy[index].fields)
        ingestion.ingest(
            uow,
            rng.choice(("web", "eticket", "app")),
            CustomerRecord(**fields),
            region=settings.default_region,
        )
    for _ in range(20):
        ingestion.ingest(
            uow, "eticket", CustomerRecord(**population.person()), region=settings.default_region
        )

    now = clock.now()
    for customer_id in rng.sample(customer_ids, len(customer_ids) // 3):
        statements = [
            ConsentIn(
                purpose=purpose,
                channel=channel,
                granted=rng.random() < 0.7,
                stated_at=now - timedelta(days=rng.randint(1, 900)),
                proof={"form": rng.choice(("checkout", "store-tablet", "newsletter-footer"))},
            )
            for purpose, channel in (("marketing", "email"), ("marketing", "sms"), ("e-receipt", "email"))
            if rng.random() < 0.6
        ]
        consents.record(uow, customer_id, statements, rng.choice(("web", "pos", "app")))
    for customer_id in rng.sample(customer_ids, 120):
        profiles.set_segments(uow, customer_id, [rng.choice(("vip", "vip", "pro", "staff"))])
    cards = uow.session.execute(
        select(Customer.id, Customer.loyalty_card).where(Customer.loyalty_card.is_not(None)).limit(500)
    ).all()
    for customer_id, card in cards:
        if card:
            profiles.add_identifier(uow, customer_id, ingestion.LOYALTY_KIND, card)
    accounts.sign_up(
        uow,
        SignUpIn(
            email=DEMO_EMAIL,
            password=DEMO_PASSWORD,
            given_name="Camille",
            family_name="Martin",
            phone="06 11 22 33 44",
            locale="fr",
            consents=[
                ConsentIn(purpose="marketing", channel="email", granted=True, proof={"form": "sign-up"})
            ],
        ),
        settings,
    )
    # The demo's own address counts as verified (as if its link had been followed): it joins the
    # shop customer it matches, as a real customer's account would.
    demo_account = uow.session.scalar(select(Account).where(Account.email == DEMO_EMAIL))
    assert demo_account is not None
    accounts.verify_address(uow, demo_account)
