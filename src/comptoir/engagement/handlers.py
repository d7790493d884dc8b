"""engagement: reactions to other domains' events — the journeys' events start, move on and end
instances; the mail queue's outcomes are recorded on the messages; a person's erasure removes their
journeys, messages and devices; a merge gives the merged customers' devices to the survivor. A product's
stock or price change is fanned out to everyone who wishes for it (:mod:`comptoir.engagement.wishes`)."""

from __future__ import annotations

from comptoir.core.events import Bus, DomainEvent
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased, CustomersMerged
from comptoir.engagement import devices, engine, erasure, experiments_stats, journeys, outcomes, wishes
from comptoir.engagement.events import MailAccepted, MailGivenUp
from comptoir.orders.events import OrderPlaced


def register_handlers(bus: Bus) -> None:
    settings = bus.settings or get_settings()

    def follow(uow: UnitOfWork, event: DomainEvent) -> None:
        engine.react(uow, event, settings)

    def fan_out(uow: UnitOfWork, event: DomainEvent) -> None:
        wishes.fan_out(uow, event, settings)

    def accepted(uow: UnitOfWork, event: MailAccepted) -> None:
        outcomes.mail_accepted(uow, event)

    def given_up(uow: UnitOfWork, event: MailGivenUp) -> None:
        outcomes.mail_given_up(uow, event)

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, event.erased_ids or [event.customer_id])

    def merge_devices(uow: UnitOfWork, event: CustomersMerged) -> None:
        devices.follow_merge(uow, event.surviving_id, event.merged_ids)

    def attribute_order(uow: UnitOfWork, event: OrderPlaced) -> None:
        if event.customer_id:  # an A/B experiment's message the customer had within its window
            experiments_stats.attribute_order(uow, event.customer_id, event.order_id, event.occurred_at)

    for event_type in journeys.EVENTS:
        if event_type in wishes.FANNED_OUT:  # about a product: its wishers, not one customer
            bus.subscribe(event_type, fan_out, name="engagement.wishes")
        else:
            bus.subscribe(event_type, follow, name="engagement.journeys")
    bus.subscribe(MailAccepted, accepted, name="engagement.mail_accepted")
    bus.subscribe(MailGivenUp, given_up, name="engagement.mail_given_up")
    bus.subscribe(CustomerErased, erase_customer, name="engagement.erase_customer")
    bus.subscribe(OrderPlaced, attribute_order, name="engagement.experiments_orders")
    bus.subscribe(CustomersMerged, merge_devices, name="engagement.merge_devices")
