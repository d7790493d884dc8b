"""engagement: sending a leased SMS or push through the gateway, after the commit, and recording the
outcome in a transaction of its own.

The message's id is the gateway's idempotency key: sent again after a worker went away between the send
and its record, the gateway answers for the first one. A hard refusal of the number suppresses it; a
transient one puts the message back, later (the gateway's ``Retry-After``, else a backoff), until
:data:`MAX_ATTEMPTS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.dispatcher import backoff_seconds
from comptoir.core.ids import new_id
from comptoir.core.messaging import (
    MessageRefused,
    PermanentFailure,
    PushMessage,
    SmsMessage,
    TransientFailure,
    push_sender_from_settings,
    sms_sender_from_settings,
)
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import audience
from comptoir.engagement.events import MessageSent
from comptoir.engagement.models import Delivery, Message, Suppression
from comptoir.engagement.rendering import Rendered

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Leased:
    message_id: str
    channel: str  # sms | push
    address: str  # the number (E.164) or the device's token
    rendered: Rendered
    attempt: int


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | bounced | failed | retry
    detail: str = ""
    provider_id: str = ""
    retry_after: float | None = None

    @property
    def final(self) -> bool:
        return self.status != "retry"


def sent_event(message: Message) -> MessageSent:
    """The fact that a message went (the gateway or the mail server took it)."""
    return MessageSent(
        message_id=message.id,
        journey_code=message.journey_code,
        step=message.step,
        channel=message.channel,
        customer_id=message.customer_id,
        purpose=message.purpose,
        reference=message.reference,
    )


def send(settings: Settings, leased: Leased) -> Outcome:
    """Hand one message to its gateway (no transaction is open)."""
    try:
        if leased.channel == "sms":
            delivery = sms_sender_from_settings(settings).send(
                SmsMessage(to=leased.address, text=leased.rendered.sms, reference=leased.message_id)
            )
        else:
            delivery = push_sender_from_settings(settings).send(
                PushMessage(
                    token=leased.address,
                    title=leased.rendered.push_title,
                    body=leased.rendered.push_body,
                    data={"message_id": leased.message_id},
                    reference=leased.message_id,
                )
            )
    except PermanentFailure as exc:
        return Outcome("bounced", str(exc)[:500])
    except MessageRefused as exc:
        return Outcome("failed", str(exc)[:500])
    except TransientFailure as exc:
        return Outcome("retry", str(exc)[:500], retry_after=exc.retry_after)
    except ValueError as exc:  # a number the gateway cannot take (not E.164): never retried
        return Outcome("failed", str(exc)[:500])
    return Outcome("sent", provider_id=delivery.provider_id or "")


def record(uow: UnitOfWork, settings: Settings, leased: Leased, outcome: Outcome) -> bool:
    """Record what the gateway said; True when the message went."""
    message = uow.session.scalars(
        select(Message).where(Message.id == leased.message_id).with_for_update()
    ).first()
    if message is None or message.status != "sending":
        return False  # erased, or recorded by a run that took the lapsed lease over
    now = clock.now()
    message.lease_until, message.updated_at = None, now
    if outcome.status == "sent":
        message.status, message.sent_at, message.reference = "sent", now, outcome.provider_id[:255]
        message.hold_code, message.hold_reason = "", ""
        uow.record(sent_event(message))
    elif outcome.status == "retry" and leased.attempt < MAX_ATTEMPTS:
        wait = outcome.retry_after or backoff_seconds(leased.attempt, 60.0, 3600.0)
        message.status, message.due_at = "scheduled", now + timedelta(seconds=wait)
        message.hold_code, message.hold_reason = "gateway_busy", outcome.detail[:500]
    else:
        message.status = "bounced" if outcome.status == "bounced" else "failed"
        message.hold_code, message.hold_reason = message.status, outcome.detail[:500]
        if outcome.status == "bounced":
            _suppress(uow, settings, leased, now)
    uow.session.add(
        Delivery(id=new_id("dlv"), message_id=message.id, kind=outcome.status, at=now, detail=outcome.detail)
    )
    return outcome.status == "sent"


def _suppress(uow: UnitOfWork, settings: Settings, leased: Leased, now: object) -> None:
    digest = audience.address_hash(settings, leased.channel, leased.address)
    if uow.session.get(Suppression, (digest, leased.channel)) is None:
        uow.session.add(
            Suppression(address_hash=digest, channel=leased.channel, reason="hard_bounce", created_at=now)
        )
