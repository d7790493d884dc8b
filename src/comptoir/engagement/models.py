"""Tables of the engagement domain (named ``engagement_*``).

* ``engagement_journeys``: a retailer's own version of a journey (the built-in ones apply until a row
  overrides them, see :mod:`comptoir.engagement.journeys`); each edit is a new row of
  ``engagement_journey_versions`` and the journey points at its current one.
* ``engagement_instances``: one journey followed by one customer about one subject (an appointment, an
  order, a cart): unique per journey, customer and subject, so an event delivered twice starts nothing
  twice. It pins the journey version it started on and keeps the facts the messages need.
* ``engagement_messages``: one message of one step on one channel (unique per instance, step, occurrence
  and channel: a step sends at most once per instance, a step that repeats on each reschedule once per
  occurrence). Its status, when it is due, and why it is held.
* ``engagement_deliveries``: the delivery log of a message (queued, sent, bounced, opened, clicked,
  unsubscribed…).
* ``engagement_suppressions``: addresses that must not be sent to (a hard bounce), kept as a keyed hash
  of the address — never the address itself, so an erased person leaves nothing readable.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned


class Journey(Versioned, Provenance, Base):
    """A retailer's journey (one of the built-in codes, edited, or one of its own)."""

    __tablename__ = "engagement_journeys"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    current_version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class JourneyVersion(Base):
    """One version of a journey's definition (a :class:`comptoir.engagement.schemas.JourneyDefinition`)."""

    __tablename__ = "engagement_journey_versions"

    code: Mapped[str] = mapped_column(ForeignKey("engagement_journeys.code"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(120), default="")


class Instance(Base):
    """One customer in one journey about one subject, with the facts its messages are made of."""

    __tablename__ = "engagement_instances"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    journey_code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # 0: the built-in definition
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    subject: Mapped[str] = mapped_column(String(64))  # the appointment, order or cart it is about
    state: Mapped[str] = mapped_column(String(16))  # active | exited | completed
    facts: Mapped[dict[str, Any]]  # from the events: start, place, time zone, language…
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    exit_reason: Mapped[str] = mapped_column(String(120), default="")

    __table_args__ = (
        UniqueConstraint("journey_code", "customer_id", "subject"),
        Index("ix_engagement_instances_subject", "subject"),
    )


class Message(Base):
    """One message of a journey's step on one channel, from scheduled to its outcome."""

    __tablename__ = "engagement_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("engagement_instances.id", ondelete="CASCADE"))
    journey_code: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    occurrence: Mapped[int] = mapped_column(Integer, default=0)
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | push
    customer_id: Mapped[str] = mapped_column(String(40))
    template: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32))  # transactional | marketing | survey
    priority: Mapped[int] = mapped_column(Integer, default=50)
    on_collision: Mapped[str] = mapped_column(String(8), default="delay")
    # scheduled | sending | queued | sent | bounced | failed | dropped | skipped | cancelled
    status: Mapped[str] = mapped_column(String(16))
    planned_at: Mapped[datetime]  # when the journey meant it to go
    due_at: Mapped[datetime]  # when it goes next (later than planned when held)
    hold_code: Mapped[str] = mapped_column(String(64), default="")
    hold_reason: Mapped[str] = mapped_column(String(500), default="")
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    reference: Mapped[str] = mapped_column(String(255), default="")  # Message-ID or the provider's id
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("instance_id", "step", "occurrence", "channel"),
        Index("ix_engagement_messages_due", "status", "due_at"),
        Index("ix_engagement_messages_customer", "customer_id", "sent_at"),
        Index("ix_engagement_messages_reference", "reference"),
    )


class Delivery(Base):
    """One line of a message's delivery log."""

    __tablename__ = "engagement_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    message_id: Mapped[str] = mapped_column(
        ForeignKey("engagement_messages.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(
        String(16)
    )  # queued | sent | bounced | failed | opened | clicked | unsubscribed
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(String(500), default="")


class Pressure(Versioned, Provenance, Base):
    """The retailer's pressure rules (one row, ``default``; none: the built-in ones): caps, quiet hours,
    the French rules for commercial SMS."""

    __tablename__ = "engagement_pressure"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    caps: Mapped[list[Any]]  # [{"purpose": "marketing" | null, "limit": 2, "period": "day", "channel": null}]
    quiet_hours: Mapped[
        list[Any]
    ]  # [{"channel": "sms", "start": "20:00", "end": "08:00", "transactional": false}]
    french_sms_rules: Mapped[bool] = mapped_column(Boolean, default=True)


class Suppression(Base):
    """An address no message may go to (a hard bounce), as a keyed hash of the normalised address."""

    __tablename__ = "engagement_suppressions"

    address_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))  # hard_bounce | complaint
    created_at: Mapped[datetime]
