"""orders: the facts this domain publishes.

Every event carries ``order_id``, ``customer_id`` and ``channel``; fulfilment events add the
fulfilment, its kind and the place, so journeys can turn each transition into a message.
Amounts travel as strings.
"""

from typing import ClassVar

from comptoir.core.events import DomainEvent
from comptoir.core.types import Schema


class _OrderEvent(DomainEvent):
    order_id: str
    customer_id: str | None
    channel: str


class OrderPlaced(_OrderEvent):
    event_type: ClassVar[str] = "orders.order_placed"
    number: str
    mode: str
    currency: str
    total: str
    email: str | None = None
    seller_id: str | None = None


class PaidLine(Schema):
    line_id: str
    sku: str
    quantity: int
    amount: str
    category_ids: list[str] = []


class OrderPaid(_OrderEvent):
    """Every payment of the order is captured: loyalty earns points on it."""

    event_type: ClassVar[str] = "orders.order_paid"
    number: str
    lines: list[PaidLine]
    total: str
    currency: str


class OrderCancelled(_OrderEvent):
    event_type: ClassVar[str] = "orders.order_cancelled"
    number: str
    reason: str
    was_paid: bool


class _FulfilmentEvent(_OrderEvent):
    fulfilment_id: str
    kind: str
    place_id: str
    source_place_id: str


class FulfilmentAllocated(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_allocated"


class FulfilmentPicking(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_picking"


class FulfilmentReadyForPickup(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_ready_for_pickup"
    pickup_expires_at: str | None = None


class FulfilmentCollected(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_collected"


class FulfilmentShipped(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_shipped"
    tracking_number: str | None = None


class FulfilmentDelivered(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_delivered"


class FulfilmentTransferDispatched(_FulfilmentEvent):
    """Click & collect from elsewhere: the goods left the source place for the pickup store."""

    event_type: ClassVar[str] = "orders.fulfilment_transfer_dispatched"


class FulfilmentCancelled(_FulfilmentEvent):
    event_type: ClassVar[str] = "orders.fulfilment_cancelled"


class PickupExpired(_FulfilmentEvent):
    """Nobody came: the goods went back to stock and the held payment was released."""

    event_type: ClassVar[str] = "orders.pickup_expired"


class StoreSaleCompleted(_OrderEvent):
    """A till basket was paid and carried out (receipts reacts: e-receipt when an e-mail is given)."""

    event_type: ClassVar[str] = "orders.store_sale_completed"
    number: str
    place_id: str
    receipt_email: str | None = None
    total: str
    currency: str


class OrderLinesReturned(_OrderEvent):
    event_type: ClassVar[str] = "orders.order_lines_returned"
    lines: list[dict[str, int | str]]


class ExitPassIssued(_OrderEvent):
    """A scan & go sale's exit pass was issued (first shown to the shopper)."""

    event_type: ClassVar[str] = "orders.exit_pass_issued"
    shop_id: str
    items: int
    expires_at: str


class ExitPassVerified(_OrderEvent):
    """A pass was checked at a shop's door: ``outcome`` is ``valid`` (the pass is now used) or the refusal."""

    event_type: ClassVar[str] = "orders.exit_pass_verified"
    place_id: str
    outcome: str
    verified_by: str | None = None
