"""inventory: tables (named ``inventory_*``).

* ``inventory_stock``: one row per SKU and place — on hand, reserved, safety stock and the shelf
  location; the hot availability read touches this table only (plus the place read model).
* ``inventory_movements``: the append-only ledger of on-hand changes; for every row of the stock
  table, ``on_hand`` = the sum of its movements' ``delta``.
* ``inventory_reservations`` and ``…_lines``: holds; ``reserved`` = the open (held, unfulfilled)
  quantity of its lines.
* ``inventory_counts`` and ``…_count_lines``: counts with their variance report and accuracy.
* ``inventory_places``: this domain's read model of places (from ``stores.place_*`` events).
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Float, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base


class Stock(Base):
    __tablename__ = "inventory_stock"
    __table_args__ = (
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("safety_stock >= 0", name="safety_not_negative"),
        Index("ix_inventory_stock_place_sku", "place_id", "sku"),
    )

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    on_hand: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reserved: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    safety_stock: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    aisle: Mapped[str | None] = mapped_column(String(20))
    shelf: Mapped[str | None] = mapped_column(String(20))
    bin: Mapped[str | None] = mapped_column(String(20))
    updated_at: Mapped[datetime]


class Movement(Base):
    __tablename__ = "inventory_movements"
    __table_args__ = (
        UniqueConstraint("reference", "sku", "place_id", "kind"),
        Index("ix_inventory_movements_sku_place", "sku", "place_id", "occurred_at"),
        Index("ix_inventory_movements_place_time", "place_id", "occurred_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sku: Mapped[str] = mapped_column(String(64))
    place_id: Mapped[str] = mapped_column(String(40))
    delta: Mapped[int] = mapped_column(Integer)
    on_hand_after: Mapped[int] = mapped_column(Integer)
    reference: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(64))
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime]


class Reservation(Base):
    __tablename__ = "inventory_reservations"
    __table_args__ = (Index("ix_inventory_reservations_status_expires", "status", "expires_at"),)

    reference: Mapped[str] = mapped_column(String(120), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None]
    channel: Mapped[str | None] = mapped_column(String(64))
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ReservationLine(Base):
    __tablename__ = "inventory_reservation_lines"
    __table_args__ = (
        CheckConstraint("fulfilled >= 0 AND fulfilled <= quantity", name="fulfilled_within_quantity"),
        Index("ix_inventory_reservation_lines_sku_place", "sku", "place_id"),
    )

    reference: Mapped[str] = mapped_column(String(120), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    fulfilled: Mapped[int] = mapped_column(Integer, default=0)


class Count(Base):
    __tablename__ = "inventory_counts"
    __table_args__ = (
        UniqueConstraint("place_id", "reference"),
        Index("ix_inventory_counts_place_time", "place_id", "counted_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(40))
    reference: Mapped[str] = mapped_column(String(120))
    counted_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    skus_counted: Mapped[int] = mapped_column(Integer)
    skus_expected: Mapped[int] = mapped_column(Integer)
    skus_accurate: Mapped[int] = mapped_column(Integer)
    units_expected: Mapped[int] = mapped_column(Integer)
    units_counted: Mapped[int] = mapped_column(Integer)
    units_variance: Mapped[int] = mapped_column(Integer)
    sku_accuracy: Mapped[float] = mapped_column(Float)
    unit_accuracy: Mapped[float] = mapped_column(Float)
    epcs_read: Mapped[int] = mapped_column(Integer)
    epcs_unknown: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str | None] = mapped_column(String(64))
    api_key_id: Mapped[str | None] = mapped_column(String(40))


class CountLine(Base):
    """The variance report of a count: one row per SKU whose count differed from the record."""

    __tablename__ = "inventory_count_lines"

    count_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    expected: Mapped[int] = mapped_column(Integer)
    counted: Mapped[int] = mapped_column(Integer)
    delta: Mapped[int] = mapped_column(Integer)


class PlaceView(Base):
    """What inventory needs of a place for availability, kept from ``stores.place_*`` snapshots."""

    __tablename__ = "inventory_places"

    place_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24))
    services: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    postcode: Mapped[str] = mapped_column(String(16))
    timezone: Mapped[str] = mapped_column(String(64))
    weekly_hours: Mapped[str] = mapped_column(String(2000))
    reserved_hours: Mapped[str] = mapped_column(String(2000))
    special_days: Mapped[str] = mapped_column(String(8000))
    version: Mapped[int] = mapped_column(Integer)
