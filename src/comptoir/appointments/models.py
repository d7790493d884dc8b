"""Tables of the appointments domain (named ``appointments_*``).

No double booking is enforced by the database, not by a check before an insert:

* ``appointments_claims`` holds one row per 5-minute bucket an advisor or a resource is taken for (its
  primary key is the subject, the bucket and a seat). A booking inserts every bucket of its block
  (service time plus buffers); two bookings overlapping by one bucket collide on the key, on SQLite and
  on PostgreSQL alike, whatever process they run in. A resource of capacity N has seats 0..N-1.
* ``appointments_sessions`` is one occurrence of a workshop (capacity > 1): its advisor's buckets are
  claimed once, and each seat is taken by a guarded ``UPDATE … SET booked = booked + 1 WHERE booked <
  capacity``.
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned


class Service(Versioned, Provenance, Base):
    """Something a customer books: styling advice, a fitting, alterations, a workshop, a video call…"""

    __tablename__ = "appointments_services"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    names: Mapped[dict[str, Any]]  # {"fr": "…", "en": "…"}
    descriptions: Mapped[dict[str, Any]]
    duration_min: Mapped[int] = mapped_column(Integer)
    buffer_before_min: Mapped[int] = mapped_column(Integer, default=0)
    buffer_after_min: Mapped[int] = mapped_column(Integer, default=0)
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    channels: Mapped[list[Any]]
    skills: Mapped[list[Any]]
    languages: Mapped[list[Any]]
    location: Mapped[str] = mapped_column(String(16))  # places | region | virtual
    place_ids: Mapped[list[Any]]
    region: Mapped[str] = mapped_column(String(120), default="")
    audience: Mapped[str | None] = mapped_column(String(32))
    resource_kind: Mapped[str | None] = mapped_column(String(32))
    min_notice_min: Mapped[int] = mapped_column(Integer, default=0)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    cancel_cutoff_min: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Advisor(Versioned, Provenance, Base):
    """A staff person who takes appointments (the id is the person's), with their skills and hours.

    ``weekly`` is ``[{"day": "monday", "start": "09:00", "end": "13:00", "place_id": "…"}]`` in the
    place's local time; ``exceptions`` replace a date's hours (``[{"date": "2026-12-24", "ranges": […]}]``,
    no ranges: not working that day)."""

    __tablename__ = "appointments_advisors"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    skills: Mapped[list[Any]]
    languages: Mapped[list[Any]]
    place_ids: Mapped[list[Any]]
    weekly: Mapped[list[Any]]
    exceptions: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Leave(Base):
    """An advisor away (holiday, training, sickness) from one instant to another."""

    __tablename__ = "appointments_leaves"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    advisor_id: Mapped[str] = mapped_column(
        ForeignKey("appointments_advisors.id", ondelete="CASCADE"), index=True
    )
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(200), default="")


class Resource(Versioned, Provenance, Base):
    """A fitting room, a studio, a beauty cabin: booked with the advisor when the service needs one."""

    __tablename__ = "appointments_resources"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    place_id: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Appointment(Versioned, Provenance, Base):
    """One booking (or a hold on a slot while the form is filled in), from any channel."""

    __tablename__ = "appointments_appointments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("appointments_services.id"))
    place_id: Mapped[str] = mapped_column(String(40))
    advisor_id: Mapped[str] = mapped_column(String(40))
    resource_id: Mapped[str | None] = mapped_column(String(40))
    session_id: Mapped[str | None] = mapped_column(String(64), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    block_start: Mapped[datetime]
    block_end: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))  # the place's, for local times and the invitation
    # held | booked | checked_in | completed | no_show | cancelled | expired
    status: Mapped[str] = mapped_column(String(16))
    hold_expires_at: Mapped[datetime | None]
    customer_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8))
    customer_note: Mapped[str] = mapped_column(String(1000), default="")
    advisor_notes: Mapped[str] = mapped_column(String(4000), default="")
    assignment: Mapped[str] = mapped_column(String(500), default="")
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    disrupted_at: Mapped[datetime | None]
    disruption: Mapped[str] = mapped_column(String(200), default="")
    alternatives: Mapped[list[Any]]
    checked_in_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    # Shown and recommended products, once done: [{"sku": …, "kind": "shown" | "recommended", "note": …}]
    products: Mapped[list[Any]] = mapped_column(default=list)

    __table_args__ = (
        Index("ix_appointments_appointments_advisor_block", "advisor_id", "block_start"),
        Index("ix_appointments_appointments_place_start", "place_id", "starts_at"),
        Index("ix_appointments_appointments_customer_start", "customer_id", "starts_at"),
        Index("ix_appointments_appointments_status_hold", "status", "hold_expires_at"),
    )


class Claim(Base):
    """One 5-minute bucket of an advisor's or a resource's time, taken by one appointment or session."""

    __tablename__ = "appointments_claims"

    subject: Mapped[str] = mapped_column(String(48), primary_key=True)  # "advisor:<id>" | "resource:<id>"
    bucket: Mapped[datetime] = mapped_column(primary_key=True)
    seat: Mapped[int] = mapped_column(Integer, primary_key=True)
    holder_id: Mapped[str] = mapped_column(String(64), index=True)  # appointment or session id


class Session(Base):
    """One occurrence of a workshop: its seats are taken by guarded updates of ``booked``."""

    __tablename__ = "appointments_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(40))
    advisor_id: Mapped[str] = mapped_column(String(40))
    place_id: Mapped[str] = mapped_column(String(40))
    starts_at: Mapped[datetime]
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)
    resource_id: Mapped[str | None] = mapped_column(String(40))  # its room, claimed once with it

    __table_args__ = (Index("ix_appointments_sessions_service_start", "service_id", "starts_at"),)


class WaitlistEntry(Base):
    """A customer waiting for a seat of a service (at a place, over some days); offered when one frees."""

    __tablename__ = "appointments_waitlist"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(40), index=True)
    place_id: Mapped[str | None] = mapped_column(String(40))
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))  # waiting | offered | closed
    offered_at: Mapped[datetime | None]
    offered_start: Mapped[datetime | None]
    offered_place_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
