"""The appointments domain's operations — and its public interface for other domains and the apps.

Setup (``setup``): ``create_service``, ``update_service``, ``get_service``, ``list_services``;
``put_advisor``, ``get_advisor``, ``list_advisors``, ``add_leave``, ``leaves_of``, ``delete_leave``;
``create_resource``, ``list_resources``.

The booking engine, the same for every channel (web, app, shop tablet, call centre, live):

* ``search_slots(uow, SlotQuery, channel_kind, now) -> SlotSearchOut`` — free start times of a service
  over days, at places or nearest a postcode/position, by language, for a named advisor or any;
* ``hold(uow, SlotIn)`` keeps a slot for 10 minutes; ``book(uow, BookIn)`` confirms a hold or books at
  once, for a known customer or a new person (kept by customers with the consents given);
* ``reschedule``, ``cancel`` (the customer before the cut-off, staff any time), ``check_in``,
  ``complete`` (with the advisor's notes), ``no_show``; ``join_waitlist``;
* ``on_duty(uow, service_id, at, language)`` — the advisors working and free at an instant (live calls);
  ``service_by_code``;
* ``get_appointment``, ``get_appointments`` (many at once), ``list_appointments``, ``invitation`` (the .ics;
  ``invitations_of`` many at once), ``invitation_url``.

Appointments are written through :mod:`comptoir.appointments.booking` only: the claims there make
double booking impossible in the database.
"""

from __future__ import annotations

from comptoir.appointments import invitations
from comptoir.appointments.availability import SlotQuery
from comptoir.appointments.availability import search as search_slots
from comptoir.appointments.duty import OnDuty, on_duty, service_by_code
from comptoir.appointments.erasure import export
from comptoir.appointments.operations import (
    book,
    cancel,
    check_in,
    complete,
    expire_holds,
    hold,
    invitation,
    invitations_of,
    no_show,
    reschedule,
)
from comptoir.appointments.policies import channel_kind
from comptoir.appointments.reading import (
    customer_section,
    get_appointment,
    get_appointments,
    list_appointments,
)
from comptoir.appointments.setup import (
    add_leave,
    create_resource,
    create_service,
    delete_leave,
    get_advisor,
    get_service,
    leaves_of,
    list_advisors,
    list_resources,
    list_services,
    put_advisor,
    update_service,
)
from comptoir.appointments.waitlist import entries_of as waitlist_of
from comptoir.appointments.waitlist import join as join_waitlist

invitation_url = invitations.url
appointment_of_token = invitations.appointment_of

__all__ = [
    "OnDuty",
    "SlotQuery",
    "add_leave",
    "appointment_of_token",
    "book",
    "cancel",
    "channel_kind",
    "check_in",
    "complete",
    "create_resource",
    "create_service",
    "customer_section",
    "delete_leave",
    "expire_holds",
    "export",
    "get_advisor",
    "get_appointment",
    "get_appointments",
    "get_service",
    "hold",
    "invitation",
    "invitation_url",
    "invitations_of",
    "join_waitlist",
    "leaves_of",
    "list_advisors",
    "list_appointments",
    "list_resources",
    "list_services",
    "no_show",
    "on_duty",
    "put_advisor",
    "reschedule",
    "search_slots",
    "service_by_code",
    "update_service",
    "waitlist_of",
]
