"""loyalty: the domain's operations (its public interface with schemas.py and events.py)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from comptoir.core.errors import Conflict
from comptoir.core.uow import UnitOfWork
from comptoir.loyalty.schemas import LedgerEntryOut, LoyaltyAccountOut, RedeemPointsIn


class InsufficientPoints(Conflict):
    slug = "insufficient-points"
    title = "Not enough points"


def account(uow: UnitOfWork, customer_id: str) -> LoyaltyAccountOut:
    """Balance, tier, points expiring soon and a link to the history (an empty account if none yet)."""
    raise NotImplementedError


def tier_of(uow: UnitOfWork, customer_id: str) -> str | None:
    """The customer's tier code (pricing targets promotions by tier); None without a tier."""
    raise NotImplementedError


def redeem_points(uow: UnitOfWork, cmd: RedeemPointsIn) -> LedgerEntryOut:
    """Spend points; raises InsufficientPoints (409). Idempotent by ``cmd.reference``."""
    raise NotImplementedError


def refund_points(uow: UnitOfWork, reference: str) -> LedgerEntryOut | None:
    """Give back the redemption made with ``reference``; None when there was none. Idempotent."""
    raise NotImplementedError


def points_value(uow: UnitOfWork, points: int, currency: str) -> Decimal:
    """What ``points`` are worth when paying, in ``currency`` (the programme's)."""
    raise NotImplementedError


def points_for_amount(uow: UnitOfWork, amount: Decimal, currency: str) -> int:
    """Points needed to pay ``amount`` (rounded up to a whole point)."""
    raise NotImplementedError


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's section of the 360° customer view."""
    return {}
