"""engagement: what a sending run reads about its batch — in a few queries for the whole batch, not a few
per message: the customers' records, their consents, the suppressed addresses, their recent sends (the
caps), and what the messages are about (the appointments, their shops, the invitations attached).

The run reads them once it holds its customers' locks (:func:`comptoir.engagement.sending.lock_customers`),
in its transaction, as the per-message reads did: the caps see every send another run committed before,
consent is the ledger's at send time. They are kept with the run's session (:func:`of`): the sender and
:mod:`comptoir.engagement.context` look there first, and read by themselves what is not there (a message
decided outside a run, :func:`~comptoir.engagement.sending.send_now`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, tuple_

from comptoir.appointments import service as appointments
from comptoir.appointments.schemas import AppointmentOut
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import audience, journeys, policies
from comptoir.engagement.models import Instance, Message, Suppression
from comptoir.stores import service as stores
from comptoir.stores.schemas import PlaceOut

# What counts in a customer's pressure history: what went, or is going.
HISTORY_STATUSES = ("queued", "sending", "sent")
# The longest period a cap counts over (a month), and its edges in any time zone.
HISTORY_DAYS = 32
_KEY = "engagement.sending_reads"


@dataclass
class Reads:
    """One run's reads. ``customers``: the active customers' records by the id the messages name (an id
    merged away gives the survivor's); ``allowed``: by (ledger purpose, channel), the customers who
    consented; ``suppressed``: (address hash, channel) pairs; ``history``: each customer's recent sends,
    which the run adds its own decisions to; the appointments and shops by id; ``invitations``: the .ics
    of each appointment whose message attaches it."""

    customer_ids: frozenset[str]
    customers: dict[str, CustomerOut]
    allowed: dict[tuple[str, str], set[str]]
    suppressed: set[tuple[str, str]]
    history: dict[str, list[policies.Sent]]
    appointments: dict[str, AppointmentOut] = field(default_factory=dict)
    places: dict[str, PlaceOut] = field(default_factory=dict)
    invitations: dict[str, bytes] = field(default_factory=dict)


def of(uow: UnitOfWork) -> Reads | None:
    """The reads of the run ``uow`` belongs to, if it made them."""
    found = uow.session.info.get(_KEY)
    return found if isinstance(found, Reads) else None


def one_line(place: PlaceOut) -> str:
    """A shop's address on one line: its street lines, then postcode and town."""
    lines = [*place.address.lines, f"{place.address.postal_code} {place.address.locality}".strip()]
    return ", ".join(line for line in lines if line)


def prefetch(
    uow: UnitOfWork,
    settings: Settings,
    messages: Iterable[Message],
    instances: Mapping[str, Instance],
    now: datetime,
    address_of: Callable[[UnitOfWork, CustomerOut, Message], str | None],
) -> Reads:
    """Read what the run needs about ``messages`` (their customers locked already), kept for :func:`of`."""
    batch = list(messages)
    found = customers.get_customers(uow, {m.customer_id for m in batch})
    active = {asked: c for asked, c in found.items() if c.status == "active"}
    survivors = {c.id for c in active.values()}
    allowed = {
        (purpose, channel): customers.contactable(uow, survivors, purpose, channel, now)
        for purpose, channel in {
            (audience.consent_purpose(m.purpose), m.channel)
            for m in batch
            if audience.needs_consent(m.purpose)
        }
    }
    reads = Reads(
        customer_ids=frozenset(m.customer_id for m in batch),
        customers=active,
        allowed=allowed,
        suppressed=_suppressed(uow, settings, batch, active, address_of),
        history=_history(uow, {m.customer_id for m in batch}, now),
    )
    _about(uow, settings, reads, batch, instances)
    uow.session.info[_KEY] = reads
    return reads


def _suppressed(
    uow: UnitOfWork,
    settings: Settings,
    batch: list[Message],
    active: Mapping[str, CustomerOut],
    address_of: Callable[[UnitOfWork, CustomerOut, Message], str | None],
) -> set[tuple[str, str]]:
    keys: set[tuple[str, str]] = set()
    for message in batch:
        customer = active.get(message.customer_id)
        address = address_of(uow, customer, message) if customer is not None else None
        if address is not None:
            keys.add((audience.address_hash(settings, message.channel, address), message.channel))
    if not keys:
        return set()
    query = select(Suppression.address_hash, Suppression.channel).where(
        tuple_(Suppression.address_hash, Suppression.channel).in_(sorted(keys))
    )
    return {(digest, channel) for digest, channel in uow.session.execute(query)}


def _history(uow: UnitOfWork, customer_ids: set[str], now: datetime) -> dict[str, list[policies.Sent]]:
    history: dict[str, list[policies.Sent]] = defaultdict(list)
    if not customer_ids:
        return history
    rows = uow.session.execute(
        select(Message.customer_id, Message.channel, Message.purpose, Message.sent_at, Message.due_at).where(
            Message.customer_id.in_(sorted(customer_ids)),
            Message.status.in_(HISTORY_STATUSES),
            Message.due_at >= now - timedelta(days=HISTORY_DAYS),
        )
    )
    for customer_id, channel, purpose, sent_at, due_at in rows:
        history[customer_id].append(policies.Sent(channel, purpose, sent_at or due_at))
    return history


def _about(
    uow: UnitOfWork, settings: Settings, reads: Reads, batch: list[Message], instances: Mapping[str, Instance]
) -> None:
    """The appointments the messages are about, their shops, and the invitations the e-mails attach."""
    about: dict[str, str] = {}  # message id: appointment id
    for message in batch:
        instance = instances.get(message.instance_id)
        appointment_id = instance.facts.get("appointment_id") if instance is not None else None
        if isinstance(appointment_id, str) and message.customer_id in reads.customers:
            about[message.id] = appointment_id
    if not about:
        return
    reads.appointments = appointments.get_appointments(uow, set(about.values()), settings)
    reads.places = stores.get_places(uow, {a.place_id for a in reads.appointments.values()})
    invited = {
        about[m.id]
        for m in batch
        if m.id in about and m.channel == "email" and _attaches(uow, instances[m.instance_id], m.step)
    }
    places = {place_id: (p.name, one_line(p)) for place_id, p in reads.places.items()}
    reads.invitations = appointments.invitations_of(uow, invited, settings, places)


def _attaches(uow: UnitOfWork, instance: Instance, step_key: str) -> bool:
    definition = journeys.definition_at(uow, instance.journey_code, instance.version)
    step = next((s for s in definition.steps if s.key == step_key), None) if definition else None
    return bool(step and step.attach_invitation)
