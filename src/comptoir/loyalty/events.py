"""loyalty: the facts this domain publishes (points as integers, times as ISO strings)."""

from typing import ClassVar

from comptoir.core.events import DomainEvent


class PointsEarned(DomainEvent):
    """Points credited for a paid order (``order_id``), after multipliers."""

    event_type: ClassVar[str] = "loyalty.points_earned"
    customer_id: str
    entry_id: str
    points: int
    balance: int
    order_id: str | None
    channel: str | None
    expires_at: str | None


class PointsSpent(DomainEvent):
    """Points redeemed: as a payment tender or exchanged for a reward (``reward`` names it)."""

    event_type: ClassVar[str] = "loyalty.points_spent"
    customer_id: str
    entry_id: str
    points: int
    balance: int
    reference: str
    channel: str | None
    reward: str | None = None


class PointsRefunded(DomainEvent):
    """A redemption given back (payment voided or refunded): ``points`` return to the balance."""

    event_type: ClassVar[str] = "loyalty.points_refunded"
    customer_id: str
    entry_id: str
    points: int
    balance: int
    reference: str


class PointsExpired(DomainEvent):
    event_type: ClassVar[str] = "loyalty.points_expired"
    customer_id: str
    entry_id: str
    points: int
    balance: int


class PointsReversed(DomainEvent):
    """Points taken back because the order was cancelled or (part of) it refunded.

    ``points`` is what was taken; ``unrecovered`` the part already spent that could not be taken
    back without the balance going negative.
    """

    event_type: ClassVar[str] = "loyalty.points_reversed"
    customer_id: str
    entry_id: str
    points: int
    balance: int
    order_id: str
    cause: str  # order_cancelled | return_refunded
    unrecovered: int = 0


class PointsAdjusted(DomainEvent):
    """A staff correction with its reason."""

    event_type: ClassVar[str] = "loyalty.points_adjusted"
    customer_id: str
    entry_id: str
    points: int
    balance: int
    reason: str


class LedgersMerged(DomainEvent):
    """Customers were merged: their points now belong to ``surviving_id``."""

    event_type: ClassVar[str] = "loyalty.ledgers_merged"
    surviving_id: str
    merged_ids: list[str]
    points_moved: int
    balance: int


class LedgersUnmerged(DomainEvent):
    """A customers merge was undone: what is left of the points each restored customer brought went back."""

    event_type: ClassVar[str] = "loyalty.ledgers_unmerged"
    surviving_id: str
    restored_ids: list[str]
    points_moved: int
    balance: int


class TierChanged(DomainEvent):
    """A member's tier changed: ``joined`` (a new member, at the lowest tier), ``promotion`` or ``demotion``."""

    event_type: ClassVar[str] = "loyalty.tier_changed"
    customer_id: str
    previous_tier: str | None
    tier: str | None
    direction: str  # joined | promotion | demotion
