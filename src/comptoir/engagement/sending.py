"""engagement: sending what is due — consent, addresses, caps and quiet hours decided at send time.

One run (the ``engagement.send_due`` job, or ``comptoir engagement send``):

1. In one transaction, the due messages are taken (``FOR UPDATE SKIP LOCKED`` on PostgreSQL: several
   workers share the work), what they need read once for the whole batch, their customers locked
   (:mod:`comptoir.engagement.sending_reads`), and decided per customer: a message without consent for
   its purpose and channel, without an address or to a suppressed one is ``skipped``; the others go
   through the pressure rules (:func:`comptoir.engagement.policies.decide`) with the customer's recent
   sends — sent, delayed (still ``scheduled``, later, with the reason) or dropped. An e-mail to send is
   rendered and handed to the kernel's mail queue in the same transaction (``queued``), under a
   Message-ID fixed by the message: the queue sends it after the commit, at least once, the same
   Message-ID on a retry. An SMS or a push is leased (``sending``).
2. After the commit, each leased SMS and push is sent (the message's id as the gateway's idempotency key)
   and its outcome recorded in a transaction of its own. A worker killed between a send and its record
   leaves the lease to lapse: the next run sends it again, under the same key.

A step sent at once (the e-receipt) has its e-mail decided the same way and queued in the transaction of
the event's handler (:func:`send_now`), so that it leaves as that handler commits. A message that will not
go (skipped, dropped, given up) is published as ``engagement.message_not_sent``, one that went as
``engagement.message_sent`` — the receipts domain follows the e-receipt's this way.

Nothing is sent inside a database transaction.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr

from sqlalchemy import select, text

from comptoir.core import clock, outbound
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database
from comptoir.core.errors import NotFound
from comptoir.core.ids import new_id
from comptoir.core.mail import Attachment, Mail, bare_address
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.customers.schemas import CustomerOut
from comptoir.engagement import (
    audience,
    context,
    experiments,
    journeys,
    policies,
    pressure,
    rendering,
    sending_reads,
    textsend,
)
from comptoir.engagement.events import MailAccepted, MailGivenUp
from comptoir.engagement.models import Delivery, Instance, Message, Suppression
from comptoir.engagement.schemas import SendReport

LEASE = timedelta(minutes=5)
BATCH = 200
HISTORY_STATUSES = sending_reads.HISTORY_STATUSES


@dataclass
class Tally:
    """One run: the retailer's pressure rules as read at its start, what it did, and the SMS and pushes
    leased to be sent after its commit."""

    policy: policies.Policy = field(default_factory=policies.Policy)
    considered: int = 0
    queued: int = 0
    sent: int = 0
    held: int = 0
    dropped: int = 0
    skipped: int = 0
    failed: int = 0
    texts: list[textsend.Leased] = field(default_factory=list)

    def report(self) -> SendReport:
        return SendReport(
            considered=self.considered,
            queued=self.queued,
            sent=self.sent,
            held=self.held,
            dropped=self.dropped,
            skipped=self.skipped,
            failed=self.failed,
        )


def send_due(db: Database, settings: Settings, *, limit: int = BATCH) -> SendReport:
    """One run: decide what is due, queue the e-mails, then send the SMS and pushes after the commit."""
    tally = Tally()
    with UnitOfWork(db, SYSTEM) as uow:
        tally.policy = pressure.policy(uow)
        now = clock.now()
        due = _take(uow, now, limit)
        tally.considered = len(due)
        by_customer: dict[str, list[Message]] = defaultdict(list)
        for message in due:
            by_customer[message.customer_id].append(message)
        instances = _instances(uow, {m.instance_id for m in due})
        lock_customers(uow, by_customer)
        sending_reads.prefetch(uow, settings, due, instances, now, address_of)
        for customer_id, messages in by_customer.items():
            _for_customer(uow, settings, customer_id, messages, instances, now, tally)
        uow.commit()
    for leased in tally.texts:
        outcome = textsend.send(settings, leased)
        with UnitOfWork(db, SYSTEM) as uow:
            sent = textsend.record(uow, settings, leased, outcome)
            uow.commit()
        tally.sent += int(sent)
        tally.failed += int(not sent and outcome.final)
    return tally.report()


def send_now(uow: UnitOfWork, settings: Settings, messages: Sequence[Message]) -> None:
    """E-mails due now decided and queued in the caller's transaction, as a run would (consent, address,
    caps, quiet hours): a step sent at once (the e-receipt at the till) goes when the event's handler
    commits. One held stays scheduled for the next run; SMS and pushes are always left to the runs."""
    now = clock.now()
    chosen = [m for m in messages if m.channel == "email" and m.status == "scheduled" and m.due_at <= now]
    if not chosen:
        return
    tally = Tally(policy=pressure.policy(uow))
    by_customer: dict[str, list[Message]] = defaultdict(list)
    for message in chosen:
        by_customer[message.customer_id].append(message)
    instances = _instances(uow, {m.instance_id for m in chosen})
    lock_customers(uow, by_customer)
    for customer_id, group in by_customer.items():
        _for_customer(uow, settings, customer_id, group, instances, now, tally)


def _take(uow: UnitOfWork, now: datetime, limit: int) -> list[Message]:
    """Due messages, and leased ones whose worker went away (sent again under the same key)."""
    due = (Message.status == "scheduled") & (Message.due_at <= now)
    lapsed = (Message.status == "sending") & (Message.lease_until < now)
    query = select(Message).where(due | lapsed).order_by(Message.due_at).limit(limit)
    return list(uow.session.scalars(query.with_for_update(skip_locked=True)))


def lock_customers(uow: UnitOfWork, customer_ids: Iterable[str]) -> None:
    """Serialise the decisions about each customer until this transaction ends (PostgreSQL: advisory locks,
    in a fixed order): two runs at once never both read a customer's history before either sent — the
    caps would let both go. SQLite has one writer at a time."""
    if uow.dialect != "postgresql":
        return
    keys = {
        int.from_bytes(
            hashlib.blake2b(f"engagement:{c}".encode(), digest_size=8).digest(), "big", signed=True
        )
        for c in customer_ids
    }
    for key in sorted(keys):
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _instances(uow: UnitOfWork, ids: set[str]) -> dict[str, Instance]:
    if not ids:
        return {}
    return {i.id: i for i in uow.session.scalars(select(Instance).where(Instance.id.in_(ids)))}


def _customer(uow: UnitOfWork, customer_id: str) -> CustomerOut | None:
    reads = sending_reads.of(uow)
    if reads is not None and customer_id in reads.customer_ids:
        return reads.customers.get(customer_id)
    try:
        found = customers.get_customer(uow, customer_id)
    except NotFound:
        return None
    return found if found.status == "active" else None


def _for_customer(
    uow: UnitOfWork,
    settings: Settings,
    customer_id: str,
    messages: list[Message],
    instances: dict[str, Instance],
    now: datetime,
    tally: Tally,
) -> None:
    customer = _customer(uow, customer_id)
    eligible: list[tuple[Message, str]] = []
    for message in messages:
        if message.status == "sending":  # decided before a worker went away: send it again
            _lease_text(uow, message, customer, instances[message.instance_id], settings, now, tally)
            continue
        refusal = _refusal(uow, settings, customer, message)
        if refusal is not None:
            _finish(uow, message, "skipped", refusal, now)
            tally.skipped += 1
            continue
        assert customer is not None
        address = address_of(uow, customer, message)
        assert address is not None
        eligible.append((message, address))
    if not eligible or customer is None:
        return
    history = _history(uow, customer_id, now)
    by_zone: dict[str, list[tuple[Message, str]]] = defaultdict(list)
    for message, address in eligible:
        by_zone[audience.timezone_of(instances[message.instance_id].facts, settings, customer).key].append(
            (message, address)
        )
    for zone, group in by_zone.items():
        _decide(uow, settings, customer, group, zone, history, instances, now, tally)


def _refusal(
    uow: UnitOfWork, settings: Settings, customer: CustomerOut | None, message: Message
) -> tuple[str, str] | None:
    """Why a message may not go at all (a code and a sentence), or ``None``."""
    if customer is None:
        return "no_customer", "The customer's record is gone (erased)."
    reads = sending_reads.of(uow)
    if audience.needs_consent(message.purpose) and not _may_contact(uow, reads, customer, message):
        return "no_consent", f"No consent for {message.purpose} by {message.channel} when it was due."
    address = address_of(uow, customer, message)
    if address is None:
        return "no_address", f"No {message.channel} address on the customer's record."
    key = (audience.address_hash(settings, message.channel, address), message.channel)
    suppressed = key in reads.suppressed if reads is not None else uow.session.get(Suppression, key)
    if suppressed:
        return "suppressed", "This address bounced: nothing more is sent to it."
    return None


def _may_contact(
    uow: UnitOfWork, reads: sending_reads.Reads | None, customer: CustomerOut, message: Message
) -> bool:
    purpose = audience.consent_purpose(message.purpose)
    if reads is not None and (purpose, message.channel) in reads.allowed:
        return customer.id in reads.allowed[purpose, message.channel]
    return customers.may_contact(uow, customer.id, purpose, message.channel)


def address_of(uow: UnitOfWork, customer: CustomerOut, message: Message) -> str | None:
    """Where a message goes: for an e-mail of a journey naming its own address (the one typed at the till,
    kept in its facts), that one; else the customer's for the channel."""
    if message.channel == "email":
        instance = uow.session.get(Instance, message.instance_id)
        definition = (
            journeys.definition_at(uow, instance.journey_code, instance.version) if instance else None
        )
        if instance is not None and definition is not None and definition.address_field:
            typed = instance.facts.get(definition.address_field)
            return typed if isinstance(typed, str) and typed else None
    return audience.address_for(customer, message.channel, uow)


def _history(uow: UnitOfWork, customer_id: str, now: datetime) -> list[policies.Sent]:
    reads = sending_reads.of(uow)
    if reads is not None and customer_id in reads.customer_ids:
        return reads.history[customer_id]  # the run's own decisions are added to it
    since = now - timedelta(days=sending_reads.HISTORY_DAYS)
    rows = uow.session.execute(
        select(Message.channel, Message.purpose, Message.sent_at, Message.due_at).where(
            Message.customer_id == customer_id,
            Message.status.in_(HISTORY_STATUSES),
            Message.due_at >= since,
        )
    ).all()
    return [policies.Sent(channel, purpose, sent_at or due_at) for channel, purpose, sent_at, due_at in rows]


def _decide(
    uow: UnitOfWork,
    settings: Settings,
    customer: CustomerOut,
    group: Sequence[tuple[Message, str]],
    zone: str,
    history: list[policies.Sent],
    instances: dict[str, Instance],
    now: datetime,
    tally: Tally,
) -> None:
    pending = [
        policies.Pending(
            message_id=m.id,
            customer_id=m.customer_id,
            channel=m.channel,
            purpose=m.purpose,
            priority=m.priority,
            due_at=m.due_at,
            timezone=zone,
            on_collision="drop" if m.on_collision == "drop" else "delay",
        )
        for m, _ in group
    ]
    decisions = {d.message_id: d for d in policies.decide(pending, history, tally.policy, now)}
    for message, address in group:
        decision = decisions[message.id]
        if decision.action == "send":
            instance = instances[message.instance_id]
            if message.channel == "email":
                queued = _queue_email(uow, settings, customer, message, address, instance, now)
                tally.queued += int(queued)
                tally.skipped += int(not queued)
            else:
                _lease_text(uow, message, customer, instance, settings, now, tally)
            history.append(policies.Sent(message.channel, message.purpose, now))
        elif decision.action == "delay":
            assert decision.not_before is not None
            message.due_at, message.updated_at = decision.not_before, now
            message.hold_code, message.hold_reason = decision.reason_code or "", (decision.reason or "")[:500]
            tally.held += 1
        else:
            _finish(uow, message, "dropped", (decision.reason_code or "", decision.reason or ""), now)
            tally.dropped += 1


def _finish(uow: UnitOfWork, message: Message, status: str, why: tuple[str, str], now: datetime) -> None:
    message.status, message.hold_code, message.hold_reason = status, why[0], why[1][:500]
    message.lease_until, message.updated_at = None, now
    log(uow, message.id, status, why[1], now)
    uow.record(textsend.not_sent_event(message))


def log(uow: UnitOfWork, message_id: str, kind: str, detail: str, at: datetime) -> None:
    uow.session.add(Delivery(id=new_id("dlv"), message_id=message_id, kind=kind, at=at, detail=detail[:500]))


def message_id_of(settings: Settings, message: Message) -> str:
    """The e-mail's Message-ID, fixed by the message: a retry or a second run sends the same one."""
    domain = bare_address(settings.mail_from).rpartition("@")[2] or "comptoir.localhost"
    return f"<{message.id}@{domain}>"


def _queue_email(
    uow: UnitOfWork,
    settings: Settings,
    customer: CustomerOut,
    message: Message,
    address: str,
    instance: Instance,
    now: datetime,
) -> bool:
    """Render the e-mail and hand it to the mail queue (False: nothing left to say, skipped)."""
    lang = audience.language_for(instance.facts, customer)
    ctx = context.message_context(
        uow,
        settings,
        customer,
        message.template,
        message.purpose,
        "email",
        written_from(instance, message),
        lang,
    )
    rendered = _rendered(uow, message, lang, ctx, now, settings)
    if rendered is None:
        return False
    attachments = []
    if _attaches_invitation(uow, instance, message.step):
        ics = context.invitation(uow, settings, instance.facts)
        if ics is not None:
            attachments.append(
                Attachment("rendez-vous.ics" if lang == "fr" else "appointment.ics", ics, "text/calendar")
            )
    family = rendering.FAMILIES.get(message.template)
    if family is not None:  # a family's own (the e-receipt's PDF)
        attachments += family.attachments(ctx.extra.get(family.key), lang)
    reference = message_id_of(settings, message)
    digest = audience.address_hash(settings, "email", address)
    mail = Mail(
        to=address,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        attachments=attachments,
        headers=context.one_click_headers(settings, customer.id, message.purpose),
        message_id=reference,
    )
    outbound.queue_mail(
        uow,
        settings,
        mail,
        on_sent=lambda mid: MailAccepted(message_id=message.id, reference=mid),
        on_failed=lambda mid: MailGivenUp(message_id=message.id, reference=mid, address_hash=digest),
    )
    message.status, message.reference, message.attempts = "queued", reference, message.attempts + 1
    message.hold_code, message.hold_reason, message.updated_at = "", "", now
    log(uow, message.id, "queued", parseaddr(reference)[1], now)
    return True


def written_from(instance: Instance, message: Message) -> dict[str, object]:
    """What a message is written from: its journey's facts, and the message's own id (a survey's links
    are signed for the message they are in)."""
    return {**instance.facts, "message_id": message.id}


def _rendered(
    uow: UnitOfWork,
    message: Message,
    lang: str,
    ctx: rendering.MessageContext,
    now: datetime,
    settings: Settings,
) -> rendering.Rendered | None:
    """The message rendered, or ``None`` (skipped) when what it is about is gone (an appointment erased
    since it was scheduled); then as it goes (:func:`experiments.apply`: an A/B variant's subject, or
    ``None`` when held out or waiting for the winner; a marketing e-mail's open pixel and tracked links)."""
    try:
        rendered = rendering.render(message.template, lang, ctx)
    except ValueError as exc:
        _finish(uow, message, "skipped", ("nothing_to_say", str(exc)), now)
        return None
    return experiments.apply(uow, settings, message, rendered, lang, now)


def _attaches_invitation(uow: UnitOfWork, instance: Instance, step_key: str) -> bool:
    definition = journeys.definition_at(uow, instance.journey_code, instance.version)
    step = next((s for s in definition.steps if s.key == step_key), None) if definition else None
    return bool(step and step.attach_invitation)


def _lease_text(
    uow: UnitOfWork,
    message: Message,
    customer: CustomerOut | None,
    instance: Instance,
    settings: Settings,
    now: datetime,
    tally: Tally,
) -> None:
    """Lease an SMS or a push to be sent after the commit, rendered now from what the customer is now."""
    address = audience.address_for(customer, message.channel, uow) if customer is not None else None
    if customer is None or address is None:
        _finish(uow, message, "skipped", ("no_address", "No address when it was to be sent again."), now)
        tally.skipped += 1
        return
    lang = audience.language_for(instance.facts, customer)
    ctx = context.message_context(
        uow,
        settings,
        customer,
        message.template,
        message.purpose,
        message.channel,
        written_from(instance, message),
        lang,
    )
    rendered = _rendered(uow, message, lang, ctx, now, settings)
    if rendered is None:
        tally.skipped += 1
        return
    message.status, message.lease_until, message.updated_at = "sending", now + LEASE, now
    message.hold_code, message.hold_reason = "", ""  # no longer held: it goes
    message.attempts += 1
    tally.texts.append(textsend.Leased(message.id, message.channel, address, rendered, message.attempts))
