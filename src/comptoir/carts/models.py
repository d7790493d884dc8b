"""carts: tables (named ``carts_*``).

One row per cart and one per line. A customer has at most one cart in an open status (``open`` or
``abandoned``): a partial unique index makes that hold even when two channels start one at the same
time. The version is bumped by a guarded UPDATE on every change (see ``editing.lock``).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base

OPEN_WHERE = text("status IN ('open', 'abandoned') AND customer_id IS NOT NULL")


class Cart(Base):
    __tablename__ = "carts_carts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(40))
    # sha256 of the anonymous cart token (the token itself is given once, at creation).
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    channel_started: Mapped[str] = mapped_column(String(64))
    key_started: Mapped[str | None] = mapped_column(String(40))
    store_id: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))
    coupons: Mapped[list[Any]]
    version: Mapped[int] = mapped_column(Integer)
    merged_into: Mapped[str | None] = mapped_column(String(40))
    order_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    updated_channel: Mapped[str] = mapped_column(String(64))
    abandoned_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_carts_carts_customer_id", "customer_id"),
        Index("ix_carts_carts_status_updated_at", "status", "updated_at"),
        Index(
            "uq_carts_carts_open_customer",
            "customer_id",
            unique=True,
            sqlite_where=OPEN_WHERE,
            postgresql_where=OPEN_WHERE,
        ),
    )


class CartLine(Base):
    __tablename__ = "carts_lines"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    cart_id: Mapped[str] = mapped_column(String(40), ForeignKey("carts_carts.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer)
    channel_added: Mapped[str] = mapped_column(String(64))
    key_added: Mapped[str | None] = mapped_column(String(40))
    channel_updated: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("cart_id", "sku"),)


class WishlistItem(Base):
    """A SKU a signed-in customer keeps for later (one row per customer and SKU); the index by SKU finds
    who wishes for a product (back in stock, cheaper)."""

    __tablename__ = "carts_wishlist_items"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel_added: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime]

    __table_args__ = (Index("ix_carts_wishlist_items_sku", "sku", "customer_id"),)
