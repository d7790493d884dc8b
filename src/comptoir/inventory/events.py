"""inventory: the facts this domain publishes.

``inventory.stock_changed`` is coalesced: one event per SKU and place per operation, carrying the
level after the operation (a count of 5,000 SKUs publishes one per SKU whose record changed, a
reservation of three lines three), never one per unit.
"""

from typing import Any, ClassVar

from comptoir.core.events import DomainEvent


class StockChanged(DomainEvent):
    event_type: ClassVar[str] = "inventory.stock_changed"
    sku: str
    place_id: str
    on_hand: int
    reserved: int
    available: int
    cause: str  # movement kind, "reservation", "release", "expiry", "settings"


class ReservationExpired(DomainEvent):
    event_type: ClassVar[str] = "inventory.reservation_expired"
    reference: str
    kind: str
    lines: list[dict[str, Any]]  # {sku, place_id, quantity}


class CountCompleted(DomainEvent):
    event_type: ClassVar[str] = "inventory.count_completed"
    count_id: str
    place_id: str
    reference: str
    skus_counted: int
    skus_adjusted: int
    units_variance: int
    sku_accuracy: float
    unit_accuracy: float
