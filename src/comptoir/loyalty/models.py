"""loyalty: tables (named ``loyalty_*``).

The ledger (:class:`LedgerEntry`) is append-only: rows are inserted, never updated or deleted. Two
pieces of state are kept consistent with it in the same transaction, always under the account's
row lock (see ``ledger.lock``): the account's ``balance`` (= the sum of the entries of the
account and the accounts merged into it) and the lots (:class:`Lot`), one per credit, whose
``remaining`` points are spent first-expiring-first, so expiry takes exactly what is left of
each credit. :class:`LotUse` says which lots a debit took, so a refunded redemption goes back
to the lots it came from.
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CheckConstraint, Index, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base

CUSTOMER_ID = String(40)
ENTRY_ID = String(40)


def table(model: type[Base]) -> Table:
    """A model's table, for Core statements on hot paths."""
    return cast(Table, model.__table__)


class Programme(Base):
    """The programme's rules (``ProgrammeRules`` as JSON); one row, ``id = "default"``."""

    __tablename__ = "loyalty_programmes"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rules: Mapped[dict[str, Any]]
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_at: Mapped[datetime]
    updated_by_key: Mapped[str | None] = mapped_column(String(40))


class Account(Base):
    """A member's balance and tier. ``merged_into``: the customer was merged, follow that id."""

    __tablename__ = "loyalty_accounts"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, primary_key=True)
    balance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    lifetime_points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    tier: Mapped[str | None] = mapped_column(String(40))
    tier_since: Mapped[datetime | None]
    tier_review_at: Mapped[datetime | None] = mapped_column(index=True)
    merged_into: Mapped[str | None] = mapped_column(CUSTOMER_ID, index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class LedgerEntry(Base):
    """One movement of points. ``key`` makes an operation idempotent (``redeem:<reference>``, …)."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (Index("ix_loyalty_entries_customer_id_id", "customer_id", "id"),)

    id: Mapped[str] = mapped_column(ENTRY_ID, primary_key=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    balance_after: Mapped[int] = mapped_column(Integer, nullable=False)
    qualifying: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    key: Mapped[str | None] = mapped_column(String(260), unique=True)
    reference: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)
    related_entry_id: Mapped[str | None] = mapped_column(ENTRY_ID)
    channel: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    expires_at: Mapped[datetime | None]
    occurred_at: Mapped[datetime]
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    data: Mapped[dict[str, Any]]


class Lot(Base):
    """Points credited together, with one expiry date; ``remaining`` is what is left to spend."""

    __tablename__ = "loyalty_lots"
    __table_args__ = (
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining <= points", name="remaining_within_points"),
        Index("ix_loyalty_lots_customer_id_expires_at", "customer_id", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(CUSTOMER_ID, nullable=False)
    entry_id: Mapped[str] = mapped_column(ENTRY_ID, nullable=False)
    order_id: Mapped[str | None] = mapped_column(String(40), index=True)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    remaining: Mapped[int] = mapped_column(Integer, nullable=False)
    credited_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(index=True)


class LotUse(Base):
    """How many points a debit entry took from a lot."""

    __tablename__ = "loyalty_lot_uses"

    entry_id: Mapped[str] = mapped_column(ENTRY_ID, primary_key=True)
    lot_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
