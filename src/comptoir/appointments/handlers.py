"""appointments: reactions to other domains' events — a person's erasure, and a place closing over
booked appointments (stores' bulk closures, strike days, new hours)."""

from __future__ import annotations

from comptoir.appointments import disruption, erasure
from comptoir.core.events import Bus
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers.events import CustomerErased
from comptoir.stores.events import PlaceChanged

_HOURS_FIELDS = {
    "status",
    "hours",
    "weekly",
    "reserved",
    "special_days",
    "weekly_hours",
    "reserved_hours",
    "timezone",
}


def register_handlers(bus: Bus) -> None:
    settings = bus.settings or get_settings()

    def erase_customer(uow: UnitOfWork, event: CustomerErased) -> None:
        erasure.erase_customers(uow, settings, event.erased_ids or [event.customer_id])

    def place_changed(uow: UnitOfWork, event: PlaceChanged) -> None:
        if _HOURS_FIELDS & set(event.changed):
            disruption.check_place(uow, settings, event.place_id, event.status_reason)

    bus.subscribe(CustomerErased, erase_customer, name="appointments.erase_customer")
    bus.subscribe(PlaceChanged, place_changed, name="appointments.place_changed")
