"""engagement: the built-in journeys of the customer's life — welcome, new loyalty tier, birthday, the
e-receipt — and the events they follow.

* **welcome** (marketing): a customer who opened an account or joined at a till, with an opt-in, is
  welcomed half an hour later (after the e-mail proving their address) with what their account and the
  loyalty programme bring; a week later, at 10:00 on their clock, what else the brand offers (advice in
  the shops, their loyalty card, their preferences) — dropped rather than delayed when the caps are full.
  Once per customer.
* **new tier** (marketing): a loyalty promotion — never a demotion, nor a new member's first tier — is
  congratulated with the tier's benefits; once per customer and tier.
* **birthday** (marketing): the daily birthday job (:mod:`comptoir.engagement.birthdays`) tells, once a
  year, that a customer's birthday comes: the wishes go at 10:00 on the day on their clock, with the
  loyalty programme's voucher if it gives one.
* **e-receipt** (transactional): a receipt to e-mail — to the address typed at the till, or to a customer
  who asked for e-receipts — is written and queued as the event is handled, with its PDF; sent again, to
  another address, when staff ask (one message per sending).
"""

from __future__ import annotations

from comptoir.core.events import DomainEvent
from comptoir.customers.events import CustomerCreated
from comptoir.engagement.events import BirthdayReached
from comptoir.engagement.schemas import Entry, JourneyDefinition, Localised, Step, Timing
from comptoir.loyalty.events import TierChanged
from comptoir.receipts.events import ReceiptIssued

WELCOME = JourneyDefinition(
    code="welcome",
    name=Localised(fr="Bienvenue", en="Welcome"),
    trigger="customers.customer_created",
    subject_field="customer_id",
    purpose="marketing",
    # an account opened on the website or the app, a customer enrolled at a till: not a guest's order, an
    # appointment booked without an account or an e-mail typed for a receipt
    entry=Entry(consent_required=True, fields={"source": ["account", "pos"]}),
    steps=[
        Step(key="welcome", template="welcome", channels=["email"], timing=Timing(minutes=30), priority=60),
        Step(
            key="discover",
            template="welcome_discover",
            channels=["email"],
            timing=Timing(days=7, at="10:00"),
            priority=30,
            on_collision="drop",
        ),
    ],
)

NEW_TIER = JourneyDefinition(
    code="new_tier",
    name=Localised(fr="Nouveau palier de fidélité", en="New loyalty tier"),
    trigger="loyalty.tier_changed",
    subject_field="tier",
    purpose="marketing",
    entry=Entry(consent_required=True, fields={"direction": ["promotion"]}),
    steps=[Step(key="congratulations", template="new_tier", channels=["email"], priority=70)],
)

BIRTHDAY = JourneyDefinition(
    code="birthday",
    name=Localised(fr="Anniversaire", en="Birthday"),
    trigger="engagement.birthday_reached",
    subject_field="occasion",
    purpose="marketing",
    entry=Entry(consent_required=True),
    steps=[
        Step(
            key="wishes",
            template="birthday",
            channels=["email"],
            timing=Timing(anchor="birthday_at"),  # 10:00 on the day, on the customer's clock
            priority=70,
        )
    ],
)

E_RECEIPT = JourneyDefinition(
    code="e_receipt",
    name=Localised(fr="Ticket de caisse par e-mail", en="E-receipt"),
    trigger="receipts.receipt_issued",
    subject_field="receipt_id",
    address_field="email",
    purpose="transactional",
    steps=[
        Step(
            key="receipt",
            template="e_receipt",
            channels=["email"],
            repeat=True,
            at_once=True,
            priority=95,
        )
    ],
)

DEFINITIONS: tuple[JourneyDefinition, ...] = (WELCOME, NEW_TIER, BIRTHDAY, E_RECEIPT)
EVENT_CLASSES: tuple[type[DomainEvent], ...] = (CustomerCreated, TierChanged, BirthdayReached, ReceiptIssued)
