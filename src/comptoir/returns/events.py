"""returns: the facts this domain publishes (primitive fields; amounts as strings).

Every event carries ``return_id``, ``order_id``, ``customer_id`` and ``channel`` (where the return was
started). Loyalty reverses points on ``returns.return_refunded`` (lines with the amount refunded);
journeys turn each into a message.
"""

from typing import ClassVar

from comptoir.core.events import DomainEvent
from comptoir.core.types import Schema


class _ReturnEvent(DomainEvent):
    return_id: str
    number: str
    order_id: str
    customer_id: str | None
    channel: str
    method: str
    place_id: str


class ReturnedLineFact(Schema):
    line_id: str
    sku: str
    quantity: int
    amount: str = "0"


class ReturnCreated(_ReturnEvent):
    event_type: ClassVar[str] = "returns.return_created"
    lines: list[ReturnedLineFact]


class ReturnReceived(_ReturnEvent):
    """Goods inspected at the return place: accepted quantities, restocked ones and refused ones."""

    event_type: ClassVar[str] = "returns.return_received"
    lines: list[ReturnedLineFact]
    restocked: list[ReturnedLineFact]
    refused: list[ReturnedLineFact]


class ReturnRefunded(_ReturnEvent):
    event_type: ClassVar[str] = "returns.return_refunded"
    lines: list[ReturnedLineFact]
    total: str
    currency: str
    refund_to: str
    refund_id: str


class ReturnRejected(_ReturnEvent):
    event_type: ClassVar[str] = "returns.return_rejected"
    reason: str


class ReturnCancelled(_ReturnEvent):
    event_type: ClassVar[str] = "returns.return_cancelled"
