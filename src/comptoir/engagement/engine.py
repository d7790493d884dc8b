"""engagement: the journeys' engine — events start, move on and end instances, and schedule their
messages.

Each event a journey follows is handled in its own transaction, after the publisher's commit (the bus).
Delivery is at least once, so every step is idempotent: an instance is unique per journey, customer and
subject, a message per instance, step, occurrence and channel — an event seen twice schedules nothing
twice. A message is only scheduled here; the sender decides at its time whether it goes (consent, caps,
quiet hours), see :mod:`comptoir.engagement.sending` — except an e-mail of a step sent ``at_once`` (the
e-receipt at the till), which the sender decides and queues in this transaction
(:func:`~comptoir.engagement.sending.send_now`). The trigger seen again for an instance already started
makes its repeating steps due again (a receipt e-mailed again: one message per occurrence, the event's
``sequence``). A journey naming an ``address_field`` writes to the address its events give (the e-mail
typed at a till); an event without one starts nothing.

An event that ends a journey but names no subject of its kind (an order placed, for the abandoned-cart
journey that follows a cart) ends every instance of that journey the customer is in. An event about many
customers (a product back in stock: everyone who wished for it) is fanned out by its own handler, which
starts each customer's instance with :func:`start_for`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.errors import NotFound
from comptoir.core.events import DomainEvent
from comptoir.core.ids import new_id
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import audience, experiments, journeys, sending, timing
from comptoir.engagement.models import Instance, Message
from comptoir.engagement.schemas import JourneyDefinition, Step
from comptoir.loyalty import service as loyalty


def react(uow: UnitOfWork, event: DomainEvent, settings: Settings) -> None:
    """Start, move on or end every journey this event concerns."""
    customer_id = getattr(event, "customer_id", None)
    if not customer_id:
        return  # about nobody we may write to
    for version, definition in journeys.following(uow, event.event_type):
        subject = getattr(event, definition.subject_field, None)
        if not isinstance(subject, str) or not subject:
            if (
                event.event_type in definition.exit_on
                and definition.subject_field not in type(event).model_fields
            ):
                _end_all(uow, definition.code, customer_id, event.event_type)
            continue
        if event.event_type == definition.trigger:
            _start(uow, definition, version, customer_id, subject, event, settings)
            continue
        instance = _active(uow, definition.code, subject)
        if instance is None:
            continue
        if event.event_type in definition.exit_on:
            end(uow, instance, f"{event.event_type}", state="exited")
        else:
            _move_on(uow, instance, event, settings)


def _active(uow: UnitOfWork, code: str, subject: str) -> Instance | None:
    return uow.session.scalars(
        select(Instance)
        .where(Instance.journey_code == code, Instance.subject == subject, Instance.state == "active")
        .with_for_update()
    ).first()


def _end_all(uow: UnitOfWork, code: str, customer_id: str, reason: str) -> None:
    """End every instance of journey ``code`` the customer is in (an exit event naming no subject)."""
    try:
        customer_id = customers.resolve_id(uow, customer_id)
    except NotFound:
        return
    for instance in uow.session.scalars(
        select(Instance)
        .where(Instance.journey_code == code, Instance.customer_id == customer_id, Instance.state == "active")
        .with_for_update()
    ).all():
        end(uow, instance, reason, state="exited")


@dataclass(frozen=True)
class _Occasion:
    """What a start without an event about the customer counts from: the trigger's type and instant."""

    event_type: str
    occurred_at: datetime
    sequence: int = 0


def start_for(
    uow: UnitOfWork,
    definition: JourneyDefinition,
    version: int,
    customer_id: str,
    subject: str,
    facts: dict[str, Any],
    settings: Settings,
    *,
    at: datetime | None = None,
) -> bool:
    """Start ``definition`` (at ``version``) for one customer about ``subject``, from ``facts`` rather than
    an event about them: an event about many customers, fanned out by its handler. The trigger's steps
    count from ``at`` (now by default); the entry conditions read ``facts`` as an event's fields. As for an
    event: a customer erased or already in it (same journey, same subject) is not started. True when the
    customer entered."""
    occasion = _Occasion(definition.trigger, at or clock.now())
    return _open(uow, definition, version, customer_id, subject, facts, occasion, settings)


def _start(
    uow: UnitOfWork,
    definition: JourneyDefinition,
    version: int,
    customer_id: str,
    subject: str,
    event: DomainEvent,
    settings: Settings,
) -> None:
    if not _open(uow, definition, version, customer_id, subject, _facts(event), event, settings):
        _again(uow, definition, subject, event, settings)


def _again(
    uow: UnitOfWork, definition: JourneyDefinition, subject: str, event: DomainEvent, settings: Settings
) -> None:
    """The trigger again, for an instance already started: its steps that repeat are due again (a receipt
    e-mailed again, to another address); a twin delivery of the same event schedules nothing twice."""
    if not any(s.repeat for s in _steps_for(definition, event.event_type)):
        return
    if definition.address_field and not getattr(event, definition.address_field, None):
        return
    instance = _active(uow, definition.code, subject)
    if instance is not None:
        _move_on(uow, instance, event, settings)


def _open(
    uow: UnitOfWork,
    definition: JourneyDefinition,
    version: int,
    customer_id: str,
    subject: str,
    facts: dict[str, Any],
    occasion: DomainEvent | _Occasion,
    settings: Settings,
) -> bool:
    try:
        person = customers.get_customer(uow, customer_id)
    except NotFound:
        return False  # a customer no record knows
    if person.status != "active":
        return False  # erased since the event: nothing is kept, nothing will be sent
    customer_id = person.id  # the survivor, when merged away
    exists = uow.session.scalar(
        select(Instance.id).where(
            Instance.journey_code == definition.code,
            Instance.customer_id == customer_id,
            Instance.subject == subject,
        )
    )
    if exists is not None or not _enters(uow, definition, customer_id, facts):
        return False
    now = clock.now()
    instance = Instance(
        id=new_id("jin"),
        journey_code=definition.code,
        version=version,
        customer_id=customer_id,
        subject=subject,
        state="active",
        facts=facts,
        started_at=now,
        ended_at=None,
        exit_reason="",
    )
    uow.session.add(instance)
    uow.session.flush()  # a twin delivery of the event collides here, on the unique key, and is retried
    _schedule(uow, instance, definition, occasion, settings)
    return True


def _enters(
    uow: UnitOfWork, definition: JourneyDefinition, customer_id: str, fields: Mapping[str, Any]
) -> bool:
    entry = definition.entry
    if definition.address_field and not fields.get(definition.address_field):
        return False  # no address to write to (a receipt nobody asked to e-mail)
    if entry.channels and fields.get("channel") not in entry.channels:
        return False
    if any(str(fields.get(name)) not in values for name, values in entry.fields.items()):
        return False
    if entry.segments_any and set(entry.segments_any).isdisjoint(customers.segments_of(uow, customer_id)):
        return False
    if entry.loyalty_tiers and loyalty.tier_of(uow, customer_id) not in entry.loyalty_tiers:
        return False
    if entry.consent_required and definition.purpose != "transactional":
        return any(
            customers.may_contact(uow, customer_id, audience.consent_purpose(definition.purpose), channel)
            for channel in ("email", "sms", "push")
        )
    return True


def _facts(event: DomainEvent) -> dict[str, Any]:
    """What the messages are made of: the event's own fields, JSON-ready (the latest event's win)."""
    return event.data()


def _move_on(uow: UnitOfWork, instance: Instance, event: DomainEvent, settings: Settings) -> None:
    definition = journeys.definition_at(uow, instance.journey_code, instance.version)
    if definition is None:
        return
    instance.facts = {**instance.facts, **_facts(event)}
    _replan(uow, instance, definition, settings)
    _schedule(uow, instance, definition, event, settings)


def _steps_for(definition: JourneyDefinition, event_type: str) -> list[Step]:
    return [s for s in definition.steps if (s.on or definition.trigger) == event_type]


def _schedule(
    uow: UnitOfWork,
    instance: Instance,
    definition: JourneyDefinition,
    event: DomainEvent | _Occasion,
    settings: Settings,
) -> None:
    """The messages of the steps this event makes due (each at most once per occurrence)."""
    tz = audience.timezone_of(instance.facts, settings)
    now = clock.now()
    at_once: list[Message] = []
    for step in _steps_for(definition, event.event_type):
        occurrence = int(getattr(event, "sequence", 0) or 0) if step.repeat else 0
        anchor = timing.anchor_of(step.timing, instance.facts, event.occurred_at)
        if anchor is None:
            continue
        planned_at = timing.planned(step.timing, anchor, tz)
        late = timing.too_late(planned_at, event.occurred_at)
        for channel in step.channels:
            added = _add_message(uow, instance, definition, step, channel, occurrence, planned_at, late, now)
            if added is not None and step.at_once and channel == "email" and planned_at <= now:
                at_once.append(added)
    if at_once:  # decided and queued in this transaction: mailed once it commits
        sending.send_now(uow, settings, at_once)


def _add_message(
    uow: UnitOfWork,
    instance: Instance,
    definition: JourneyDefinition,
    step: Step,
    channel: str,
    occurrence: int,
    planned_at: datetime,
    late: bool,
    now: datetime,
) -> Message | None:
    """The step's message on ``channel`` (``None``: scheduled already, by a twin delivery)."""
    exists = uow.session.scalar(
        select(Message.id).where(
            Message.instance_id == instance.id,
            Message.step == step.key,
            Message.occurrence == occurrence,
            Message.channel == channel,
        )
    )
    if exists is not None:
        return None
    message = Message(
        id=new_id("msg"),
        instance_id=instance.id,
        journey_code=definition.code,
        step=step.key,
        occurrence=occurrence,
        channel=channel,
        customer_id=instance.customer_id,
        template=step.template,
        purpose=step.purpose or definition.purpose,
        priority=step.priority,
        on_collision=step.on_collision,
        status="skipped" if late else "scheduled",
        planned_at=planned_at,
        due_at=planned_at,
        hold_code="too_late" if late else "",
        hold_reason="Meant for before the event that made it due: not sent late." if late else "",
        lease_until=None,
        attempts=0,
        reference="",
        sent_at=None,
        created_at=now,
        updated_at=now,
    )
    if step.experiment is not None:  # an A/B step: the customer's group, its variant's template
        experiments.place(uow, message, step, instance.version)
    uow.session.add(message)
    return message


def _replan(uow: UnitOfWork, instance: Instance, definition: JourneyDefinition, settings: Settings) -> None:
    """Messages still to go whose time is read from the facts (a reminder before an appointment that
    moved) follow the new facts."""
    tz = audience.timezone_of(instance.facts, settings)
    steps = {s.key: s for s in definition.steps if s.timing.anchor != "event"}
    pending = uow.session.scalars(
        select(Message).where(Message.instance_id == instance.id, Message.status == "scheduled")
    ).all()
    now = clock.now()
    for message in pending:
        step = steps.get(message.step)
        anchor = timing.anchor_of(step.timing, instance.facts, now) if step else None
        if step is None or anchor is None:
            continue
        planned_at = timing.planned(step.timing, anchor, tz)
        message.planned_at = message.due_at = planned_at
        message.hold_code, message.hold_reason, message.updated_at = "", "", now
        if timing.too_late(planned_at, now):
            message.status, message.hold_code = "skipped", "too_late"
            message.hold_reason = "Meant for before the event that made it due: not sent late."


def end(uow: UnitOfWork, instance: Instance, reason: str, *, state: str = "exited") -> None:
    """End an instance: what it had still to send is cancelled."""
    now = clock.now()
    instance.state, instance.ended_at, instance.exit_reason = state, now, reason[:120]
    uow.session.execute(
        update(Message)
        .where(Message.instance_id == instance.id, Message.status == "scheduled")
        .values(
            status="cancelled",
            hold_code="journey_ended",
            hold_reason=f"The journey ended: {reason}.",
            updated_at=now,
        )
    )
