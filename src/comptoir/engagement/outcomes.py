"""engagement: what became of the journeys' e-mails, as the kernel's mail queue reports it after the mail
server answered — sent, or given up (a hard bounce suppresses the address)."""

from __future__ import annotations

from sqlalchemy import select

from comptoir.core import clock, outbound
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import textsend
from comptoir.engagement.events import MailAccepted, MailGivenUp
from comptoir.engagement.models import Message, Suppression
from comptoir.engagement.sending import log


def _queued(uow: UnitOfWork, message_id: str) -> Message | None:
    message = uow.session.scalars(select(Message).where(Message.id == message_id).with_for_update()).first()
    return message if message is not None and message.status == "queued" else None


def mail_accepted(uow: UnitOfWork, event: MailAccepted) -> None:
    message = _queued(uow, event.message_id)
    if message is None:
        return  # recorded already (the event delivered twice), or the person was erased since
    now = clock.now()
    message.status, message.sent_at, message.updated_at = "sent", event.occurred_at, now
    log(uow, message.id, "sent", "accepted by the mail server", now)
    uow.record(textsend.sent_event(message))


def mail_given_up(uow: UnitOfWork, event: MailGivenUp) -> None:
    message = _queued(uow, event.message_id)
    if message is None:
        return
    status, error = outbound.status_of(uow, event.reference) or (outbound.DEAD, None)
    now = clock.now()
    message.status = "bounced" if status == outbound.BOUNCED else "failed"
    message.hold_code, message.hold_reason = status, (error or "")[:500]
    message.updated_at = now
    log(uow, message.id, message.status, error or status, now)
    uow.record(textsend.not_sent_event(message))
    if status == outbound.BOUNCED and uow.session.get(Suppression, (event.address_hash, "email")) is None:
        uow.session.add(
            Suppression(
                address_hash=event.address_hash, channel="email", reason="hard_bounce", created_at=now
            )
        )
