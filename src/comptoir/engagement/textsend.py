"""engagement: sending a leased SMS or push through the gateway, after the commit, and recording the
outcome in a transaction of its own.

The message's id is the gateway's idempotency key: sent again after a worker went away between the send
and its record, the gateway answers for the first one. A hard refusal of the number suppresses it; a
transient one puts the message back, later (the gateway's ``Retry-After``, else a backoff), until
:data:`MAX_ATTEMPTS`.

A push goes to each of the customer's active devices (:mod:`comptoir.engagement.devices`), each under a
key of its own (the message's id and the token's digest). It is sent when one device took it (the others'
transient failures are not retried: a notification is not worth a duplicate); a device whose token the
provider refuses is revoked, the others still receive; it goes back for later only when no device took it
and one may later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import object_session

from comptoir.core import clock
from comptoir.core.auth import hash_token
from comptoir.core.dispatcher import backoff_seconds
from comptoir.core.ids import new_id
from comptoir.core.messaging import (
    MessageRefused,
    PermanentFailure,
    PushMessage,
    PushSender,
    SmsMessage,
    TransientFailure,
    push_sender_from_settings,
    sms_sender_from_settings,
)
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.engagement import audience, devices
from comptoir.engagement.events import MessageNotSent, MessageSent
from comptoir.engagement.models import Delivery, Instance, Message, Suppression
from comptoir.engagement.rendering import Rendered

MAX_ATTEMPTS = 6


@dataclass(frozen=True)
class Leased:
    message_id: str
    channel: str  # sms | push
    address: str  # the number (E.164) or the devices' tokens (audience.push_tokens)
    rendered: Rendered
    attempt: int


@dataclass(frozen=True)
class Outcome:
    status: str  # sent | bounced | failed | retry
    detail: str = ""
    provider_id: str = ""
    retry_after: float | None = None
    revoke: tuple[str, ...] = ()  # the device tokens the push provider refused

    @property
    def final(self) -> bool:
        return self.status != "retry"


def _subject(message: Message) -> str:
    """What the message's journey is about (its instance's subject)."""
    session = object_session(message)
    instance = session.get(Instance, message.instance_id) if session is not None else None
    return instance.subject if instance is not None else ""


def not_sent_event(message: Message) -> MessageNotSent:
    """The fact that a message will not go (its status and hold code say why)."""
    return MessageNotSent(
        message_id=message.id,
        journey_code=message.journey_code,
        step=message.step,
        channel=message.channel,
        customer_id=message.customer_id,
        purpose=message.purpose,
        subject=_subject(message),
        occurrence=message.occurrence,
        status=message.status,
        reason=message.hold_code,
        reference=message.reference,
    )


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
        subject=_subject(message),
        occurrence=message.occurrence,
    )


def send(settings: Settings, leased: Leased) -> Outcome:
    """Hand one message to its gateway (no transaction is open)."""
    if leased.channel == "push":
        return _push(push_sender_from_settings(settings), leased)
    try:
        delivery = sms_sender_from_settings(settings).send(
            SmsMessage(to=leased.address, text=leased.rendered.sms, reference=leased.message_id)
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


def device_reference(message_id: str, token: str) -> str:
    """A push's idempotency key for one device: the same on a second run, another for each device."""
    return f"{message_id}-{hash_token(token)[:16]}"


def _push(sender: PushSender, leased: Leased) -> Outcome:
    """Hand the notification to the provider for each device (see the module's docstring)."""
    sent: list[str] = []
    rejected: list[str] = []
    refused: list[str] = []
    busy: list[TransientFailure] = []
    try:
        for token in audience.push_tokens(leased.address):
            try:
                message = PushMessage(
                    token=token,
                    title=leased.rendered.push_title,
                    body=leased.rendered.push_body,
                    data={"message_id": leased.message_id},
                    reference=device_reference(leased.message_id, token),
                )
                sent.append(sender.send(message).provider_id or "")
            except PermanentFailure:
                rejected.append(token)
            except (MessageRefused, ValueError) as exc:  # the notification itself, on every device
                refused.append(str(exc))
            except TransientFailure as exc:
                busy.append(exc)
    finally:
        close = getattr(sender, "close", None)
        if callable(close):
            close()
    tally = f"{len(sent)} device(s) took it, {len(rejected)} refused (revoked), {len(busy)} busy"
    revoke = tuple(rejected)
    if sent:
        return Outcome("sent", tally, provider_id=sent[0], revoke=revoke)
    if busy:
        waits = [exc.retry_after for exc in busy if exc.retry_after is not None]
        detail = f"{tally}: {busy[0]}"
        return Outcome("retry", detail[:500], retry_after=max(waits) if waits else None, revoke=revoke)
    if refused:
        return Outcome("failed", refused[0][:500], revoke=revoke)
    return Outcome("bounced", tally, revoke=revoke)


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
        uow.record(not_sent_event(message))
        if outcome.status == "bounced" and leased.channel == "sms":  # a push's devices are revoked instead
            _suppress(uow, settings, leased, now)
    devices.revoke_tokens(uow, outcome.revoke, "rejected")
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
