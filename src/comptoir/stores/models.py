"""Tables of the stores domain: places (with their hours), per-channel publications, channel snapshots,
and the published store-locator entries."""

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned


class Place(Versioned, Provenance, Base):
    """A store, warehouse or pickup point: the one source of truth every channel is rendered from.

    Hours live on the row (weekly, reserved and exceptional days as JSON) so one read answers "is it
    open at T" for a place, and one version number covers every change published to channels.
    """

    __tablename__ = "stores_places"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), index=True)
    status_reason: Mapped[str] = mapped_column(String(200), default="")
    status_since: Mapped[datetime]
    address_lines: Mapped[list[Any]]
    postal_code: Mapped[str] = mapped_column(String(16))
    locality: Mapped[str] = mapped_column(String(120))
    region: Mapped[str] = mapped_column(String(120), default="", index=True)
    department: Mapped[str | None] = mapped_column(String(3), index=True)
    country_code: Mapped[str] = mapped_column(String(2))
    latitude: Mapped[float] = mapped_column(Float, index=True)
    longitude: Mapped[float] = mapped_column(Float)
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    manager: Mapped[str | None] = mapped_column(String(200))
    website_url: Mapped[str | None] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    # ",click_and_collect,returns," so a portable LIKE '%,returns,%' filters by service on both databases.
    services: Mapped[str] = mapped_column(String(400), default=",")
    attributes: Mapped[list[Any]]
    weekly: Mapped[list[Any]]  # [{"day": "monday", "opens": "09:00", "closes": "19:00"}]
    reserved: Mapped[
        list[Any]
    ]  # [{"day": "monday", "opens": "08:00", "closes": "09:00", "audience": "seniors"}]
    special_days: Mapped[list[Any]]  # SpecialDayIn dumps, sorted by date


class Publication(Base):
    """What was last published to one channel for one place, and whether the channel applied it."""

    __tablename__ = "stores_publications"

    place_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    store_code: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending | applied | failed
    place_version: Mapped[int] = mapped_column(Integer)
    payload_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    requested_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_stores_publications_channel_code", "channel", "store_code"),)


class ChannelSnapshot(Base):
    """What a channel currently shows for one store code (fetched or uploaded), in the channel's shape."""

    __tablename__ = "stores_channel_snapshots"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    store_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[dict[str, Any]]
    payload_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]


class LocatorEntry(Base):
    """The public store-locator channel: the documents it serves, applied from publications."""

    __tablename__ = "stores_locator_entries"

    store_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    place_version: Mapped[int] = mapped_column(Integer)
    payload_hash: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    published_at: Mapped[datetime]
