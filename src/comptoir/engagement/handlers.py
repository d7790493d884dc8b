"""engagement: reactions to other domains' events — the journeys' events start, move on and end
instances; the mail queue's outcomes are recorded on the messages; a person's erasure removes their
journeys and messages."""

from __future__ import annotations

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.engagement import engine, erasure, journeys, outcomes
from comptoir.engagement.events import MailAccepted, MailGivenUp


def register_handlers(bus: Bus) -> None:
    settings = bus.settings or get_settings()

    def follow(uow: UnitOfWork, event: DomainEvent) -> None:
        engine.react(uow, event, settings)

    def accepted(uow: UnitOfWork, event: MailAccepted) -> None:
        outcomes.mail_accepted(uow, event)

    def given_up(uow: UnitOfWork, event: MailGivenUp) -> None:
        outcomes.mail_given_up(uow, event)

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, event.erased_ids or [event.customer_id])

    for event_type in journeys.EVENTS:
        bus.subscribe(event_type, follow, name="engagement.journeys")
    bus.subscribe(MailAccepted, accepted, name="engagement.mail_accepted")
    bus.subscribe(MailGivenUp, given_up, name="engagement.mail_given_up")
    bus.subscribe(CustomerErased, erase_customer, name="engagement.erase_customer")
