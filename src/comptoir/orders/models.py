"""orders: tables (named ``orders_*``).

Written with SQLAlchemy Core on the hot path (checkout inserts an order, its lines, fulfilments and
their lines in four statements). Cross-domain references (customer, cart, places, payments) are ids.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base

Amount = Numeric(14, 4)


class Order(Base):
    __tablename__ = "orders_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    mode: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(24))
    payment_status: Mapped[str] = mapped_column(String(24))
    # One order per cart: a second checkout of the same cart (a double click, a racing tab) fails on this.
    cart_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    seller_id: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(254))
    receipt_by_email: Mapped[bool] = mapped_column(default=False)
    address: Mapped[dict[str, Any] | None]
    pickup_place_id: Mapped[str | None] = mapped_column(String(40))
    subtotal: Mapped[Decimal] = mapped_column(Amount)
    discount_total: Mapped[Decimal] = mapped_column(Amount)
    shipping_total: Mapped[Decimal] = mapped_column(Amount)
    tax_total: Mapped[Decimal] = mapped_column(Amount)
    total: Mapped[Decimal] = mapped_column(Amount)
    sourcing: Mapped[dict[str, Any] | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    paid_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_orders_orders_customer_created", "customer_id", "created_at"),
        Index("ix_orders_orders_status_created", "status", "created_at"),
    )


class OrderLine(Base):
    __tablename__ = "orders_lines"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders_orders.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Amount)
    discount: Mapped[Decimal] = mapped_column(Amount)
    total: Mapped[Decimal] = mapped_column(Amount)
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    category_ids: Mapped[list[Any]]
    returned_quantity: Mapped[int] = mapped_column(Integer, default=0)


class Fulfilment(Base):
    __tablename__ = "orders_fulfilments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders_orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    place_id: Mapped[str] = mapped_column(String(40))
    source_place_id: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(24))
    reservation_reference: Mapped[str] = mapped_column(String(80))
    pickup_expires_at: Mapped[datetime | None]
    tracking_number: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        # A store's pick list: its open fulfilments by status.
        Index("ix_orders_fulfilments_place_status", "place_id", "status"),
        Index("ix_orders_fulfilments_source_status", "source_place_id", "status"),
        # The expiry job: ready pickups past their deadline.
        Index("ix_orders_fulfilments_status_expires", "status", "pickup_expires_at"),
    )


class FulfilmentLine(Base):
    __tablename__ = "orders_fulfilment_lines"

    fulfilment_id: Mapped[str] = mapped_column(
        ForeignKey("orders_fulfilments.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)


class Transition(Base):
    """Every status change of a fulfilment or order: who, when, from what to what (the audit trail)."""

    __tablename__ = "orders_transitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("orders_orders.id", ondelete="CASCADE"), index=True)
    fulfilment_id: Mapped[str | None] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    at: Mapped[datetime]
    channel: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")


class SourcingRules(Base):
    """The retailer's sourcing rules (one row per retailer, ``id = "default"``), as JSON."""

    __tablename__ = "orders_sourcing_rules"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    rules: Mapped[dict[str, Any]]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(Integer, default=1)


class ExitPass(Base):
    """A scan & go sale's exit pass: issued once per order, checked at the shop's door, used once."""

    __tablename__ = "orders_exit_passes"

    order_id: Mapped[str] = mapped_column(
        ForeignKey("orders_orders.id", ondelete="CASCADE"), primary_key=True
    )
    shop_id: Mapped[str] = mapped_column(String(40))
    items: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))
    used_by_name: Mapped[str | None] = mapped_column(String(200))
    used_place_id: Mapped[str | None] = mapped_column(String(40))
