"""payments: tables (named ``payments_*``).

Amounts are ``Numeric(14, 3)`` (three decimals cover every ISO 4217 minor unit in use). Check constraints
repeat the guards the service applies, so a bug can never overdraw a gift card nor refund more than was
captured.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, UTCDateTime

Amount = Numeric(14, 3)
# SQLite only auto-increments INTEGER PRIMARY KEY.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class Payment(Base):
    __tablename__ = "payments_payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("captured_amount >= 0 AND captured_amount <= amount", name="captured_within_amount"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= captured_amount", name="refund_within_captured"
        ),
        Index("ix_payments_payments_provider_reference", "provider", "provider_reference"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    captured_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    refunded_amount: Mapped[Decimal] = mapped_column(Amount, default=Decimal(0))
    provider: Mapped[str | None] = mapped_column(String(40))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    gift_card_id: Mapped[str | None] = mapped_column(String(40))
    points: Mapped[int | None] = mapped_column(Integer)
    next_action: Mapped[dict[str, Any] | None] = mapped_column()
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PaymentEvent(Base):
    """Append-only journal: every transition of every payment, with what the provider said."""

    __tablename__ = "payments_payment_events"

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(String(40), ForeignKey("payments_payments.id"), index=True)
    order_id: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Amount)
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    provider_event_id: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Refund(Base):
    __tablename__ = "payments_refunds"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True)
    order_id: Mapped[str] = mapped_column(String(64), index=True)
    to: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount)
    voucher_id: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RefundPart(Base):
    __tablename__ = "payments_refund_parts"

    refund_id: Mapped[str] = mapped_column(String(40), ForeignKey("payments_refunds.id"), primary_key=True)
    payment_id: Mapped[str] = mapped_column(String(40), ForeignKey("payments_payments.id"), primary_key=True)
    amount: Mapped[Decimal] = mapped_column(Amount)
    provider_reference: Mapped[str | None] = mapped_column(String(100))


class GiftCard(Base):
    __tablename__ = "payments_gift_cards"
    __table_args__ = (
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("balance <= initial_amount", name="balance_within_initial"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    initial_amount: Mapped[Decimal] = mapped_column(Amount)
    balance: Mapped[Decimal] = mapped_column(Amount)
    pin_hash: Mapped[str | None] = mapped_column(String(128))
    pin_failures: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    reference: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GiftCardMovement(Base):
    __tablename__ = "payments_gift_card_movements"
    __table_args__ = (UniqueConstraint("gift_card_id", "kind", "reference"),)

    id: Mapped[int] = mapped_column(AutoId, primary_key=True, autoincrement=True)
    gift_card_id: Mapped[str] = mapped_column(String(40), ForeignKey("payments_gift_cards.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    amount: Mapped[Decimal] = mapped_column(Amount)
    balance_after: Mapped[Decimal] = mapped_column(Amount)
    reference: Mapped[str] = mapped_column(String(200))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    order_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProviderEvent(Base):
    """Provider events received, by (provider, event id): a redelivery is recognised and ignored."""

    __tablename__ = "payments_provider_events"

    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(80))
    provider_reference: Mapped[str | None] = mapped_column(String(100))
    payment_id: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


# Typed handles for Core statements (hot paths skip the ORM's bulk machinery).
payments_table = cast(Table, Payment.__table__)
payment_events_table = cast(Table, PaymentEvent.__table__)
refunds_table = cast(Table, Refund.__table__)
refund_parts_table = cast(Table, RefundPart.__table__)
gift_cards_table = cast(Table, GiftCard.__table__)
gift_card_movements_table = cast(Table, GiftCardMovement.__table__)
