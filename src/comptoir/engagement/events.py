"""engagement: the facts this domain publishes (analytics, the 360° view) and the outcomes of its e-mails
(published by the kernel's mail queue once the mail server answered, then recorded here)."""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class MessageSent(DomainEvent):
    """A journey's message was accepted by the mail server or the SMS/push gateway."""

    event_type: ClassVar[str] = "engagement.message_sent"
    message_id: str
    journey_code: str
    step: str
    channel: str
    customer_id: str
    purpose: str
    reference: str


class MailGivenUp(DomainEvent):
    """The mail queue gave a journey's e-mail up (a hard bounce, a refusal, retries spent): the outcome is
    read from the queue and recorded (a bounced address is suppressed)."""

    event_type: ClassVar[str] = "engagement.mail_given_up"
    message_id: str
    reference: str
    address_hash: str


class MailAccepted(DomainEvent):
    """The mail server accepted a journey's e-mail (published by the kernel's mail queue)."""

    event_type: ClassVar[str] = "engagement.mail_accepted"
    message_id: str
    reference: str


class Unsubscribed(DomainEvent):
    """A customer left a purpose on a channel from a message's link (the ledger records the withdrawal)."""

    event_type: ClassVar[str] = "engagement.unsubscribed"
    customer_id: str
    purpose: str
    channel: str
