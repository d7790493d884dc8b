"""returns: tables (named ``returns_*``).

``returns_claims`` is the one place that serialises returns of a line: a row per order line holding
what was bought and how many units live returns already claim, changed only by a guarded UPDATE.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned

Amount = Numeric(14, 4)


class Return(Versioned, Provenance, Base):
    __tablename__ = "returns_returns"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    order_id: Mapped[str] = mapped_column(String(40), index=True)
    order_number: Mapped[str] = mapped_column(String(24))
    customer_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(8))
    method: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    refund_to: Mapped[str] = mapped_column(String(16))
    currency: Mapped[str] = mapped_column(String(3))
    shipping_refund: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    total_refund: Mapped[Decimal] = mapped_column(Amount)
    refund_id: Mapped[str | None] = mapped_column(String(64))
    voucher_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500))
    rejection_reason: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime | None]
    refunded_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_returns_returns_customer_created", "customer_id", "created_at"),)


class ReturnLine(Base):
    __tablename__ = "returns_lines"

    return_id: Mapped[str] = mapped_column(
        ForeignKey("returns_returns.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(32))
    comment: Mapped[str] = mapped_column(String(500))
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    condition: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str | None] = mapped_column(String(16))
    received_quantity: Mapped[int] = mapped_column(Integer, default=0)
    accepted_quantity: Mapped[int] = mapped_column(Integer, default=0)
    restocked_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refund_amount: Mapped[Decimal] = mapped_column(Amount)
    inspection_comment: Mapped[str] = mapped_column(String(500), default="")


SHIPPING_LINE = "~shipping"  # the claim row of the order's delivery costs (one "unit")


class Claim(Base):
    """Per order line: units bought, units claimed by live returns, units refunded and their amount.
    The delivery costs have a row of their own (``SHIPPING_LINE``), refunded at most once."""

    __tablename__ = "returns_claims"

    order_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    line_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bought: Mapped[int] = mapped_column(Integer)
    line_total: Mapped[Decimal] = mapped_column(Amount)
    claimed: Mapped[int] = mapped_column(Integer, default=0)
    refunded: Mapped[int] = mapped_column(Integer, default=0)
    refunded_amount: Mapped[Decimal] = mapped_column(Amount)


class Policy(Base):
    """The retailer's return policy (one row, ``id = "default"``), as the API's document."""

    __tablename__ = "returns_policy"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    document: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
