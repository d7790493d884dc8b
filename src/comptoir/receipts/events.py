"""receipts: the facts this domain publishes."""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class ReceiptIssued(DomainEvent):
    """A receipt was made for a sale, or asked for again; ``email`` set means it is to be e-mailed there
    (engagement's e-receipt journey writes it), for the ``sequence``-th time."""

    event_type: ClassVar[str] = "receipts.receipt_issued"
    receipt_id: str
    number: str
    order_id: str
    place_id: str
    customer_id: str | None
    email: str | None
    locale: str
    sequence: int = 0  # how many times it was asked to be e-mailed, this one included


class ReceiptSent(DomainEvent):
    event_type: ClassVar[str] = "receipts.receipt_sent"
    receipt_id: str
    number: str
    order_id: str
    customer_id: str | None
    email: str
    message_id: str


class ReceiptSendFailed(DomainEvent):
    """The receipt's e-mail was given up: the address bounced, the mail server refused the message, or its
    retries ran out."""

    event_type: ClassVar[str] = "receipts.receipt_send_failed"
    receipt_id: str
    number: str
    email: str
    message_id: str


class EReceiptConsentGiven(DomainEvent):
    """The customer followed the e-mail's link: future receipts go to their e-mail."""

    event_type: ClassVar[str] = "receipts.e_receipt_consent_given"
    receipt_id: str
    customer_id: str
