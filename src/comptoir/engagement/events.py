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
    subject: str = ""  # what the journey is about (an appointment, an order, a receipt…)
    occurrence: int = 0  # the step's occurrence (a step that repeats: one per event, e.g. a receipt re-sent)


class MessageNotSent(DomainEvent):
    """A journey's message did not go and will not: skipped when due (no consent, no address, a suppressed
    address, nothing left to say), dropped by a cap, or given up by the mail server or the gateway
    (``status``: skipped | dropped | bounced | failed; ``reason``: the stable code)."""

    event_type: ClassVar[str] = "engagement.message_not_sent"
    message_id: str
    journey_code: str
    step: str
    channel: str
    customer_id: str
    purpose: str
    subject: str
    occurrence: int
    status: str
    reason: str
    reference: str = ""  # the e-mail's Message-ID when it was handed to the mail queue


class BirthdayReached(DomainEvent):
    """A customer's birthday comes (the birthday job, once a year per customer, the day before or on the
    morning): ``occasion`` names it (``birthday-2027``), ``birthday_at`` is 10:00 that day on their clock
    (``timezone``), ``voucher_code`` the loyalty programme's gift if it gives one."""

    event_type: ClassVar[str] = "engagement.birthday_reached"
    customer_id: str
    occasion: str
    year: int
    timezone: str
    birthday_at: str  # ISO 8601, aware
    voucher_code: str | None = None


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


class JourneyLaunched(DomainEvent):
    """A journey was launched to an audience (one event per launch, never one per customer): its customers
    enter it as the launch runs (see ``GET /v1/engagement/launches/{id}``)."""

    event_type: ClassVar[str] = "engagement.launched"
    launch_id: str
    journey_code: str
    version: int
