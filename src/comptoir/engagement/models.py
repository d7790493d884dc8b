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
  unsubscribed…; ordered: an order attributed to an A/B experiment's message).
* ``engagement_experiments``: an A/B experiment of a journey step's message (one per journey, version and
  step): its design, phase, winner and the counts of its last evaluation — aggregates, nobody's data.
* ``engagement_suppressions``: addresses that must not be sent to (a hard bounce), kept as a keyed hash
  of the address — never the address itself, so an erased person leaves nothing readable.
* ``engagement_survey_answers``: NPS and CSAT answers to survey messages, one per message and question,
  with the touchpoint, shop, advisor and channel they are about (anonymised at the person's erasure).
* ``engagement_devices``: the customers' devices that receive push notifications, with the provider's
  token (personal data: exported, deleted at erasure); one row per token.
* ``engagement_wish_watch`` and ``engagement_wish_notices``: what the wishlists' journeys last knew of a
  SKU (orderable online? its web price?), and when each customer was last told that a SKU they wish for is
  back in stock or cheaper (see :mod:`comptoir.engagement.wishes`).
* ``engagement_birthdays``: the customers told of their birthday, per year (the birthday job tells each
  once; see :mod:`comptoir.engagement.birthdays`); deleted at erasure.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
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
    # An A/B experiment's message: the experiment, and the customer's group in it (a variant's key,
    # holdout, or rest: waits for the winner). Empty for the others.
    experiment_id: Mapped[str] = mapped_column(String(40), default="", server_default="")
    variant: Mapped[str] = mapped_column(String(16), default="", server_default="")

    __table_args__ = (
        UniqueConstraint("instance_id", "step", "occurrence", "channel"),
        Index("ix_engagement_messages_due", "status", "due_at"),
        Index("ix_engagement_messages_customer", "customer_id", "sent_at"),
        Index("ix_engagement_messages_reference", "reference"),
        Index("ix_engagement_messages_experiment", "experiment_id", "variant"),
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
    )  # queued | sent | bounced | failed | opened | clicked | ordered | unsubscribed
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


class Device(Base):
    """A customer's device that receives push notifications (see :mod:`comptoir.engagement.devices`): the
    provider's token for it, its platform and app, when it was last seen, and when and why it stopped
    receiving (the customer unregistered it, the provider refused its token)."""

    __tablename__ = "engagement_devices"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(40), index=True)
    platform: Mapped[str] = mapped_column(String(16))  # ios | android | web
    token: Mapped[str] = mapped_column(String(2048), unique=True)  # the provider's (FCM, APNs, Web Push)
    app: Mapped[str] = mapped_column(String(64), default="")  # the app or channel that registered it
    language: Mapped[str] = mapped_column(String(16), default="")  # the device's, as the app said
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str] = mapped_column(String(32), default="")  # unregistered | rejected | replaced


class Launch(Base):
    """A journey launched to an audience (see :mod:`comptoir.engagement.launches`): who was asked for,
    how far the entry has gone (customers are entered in id order; ``resume_after`` is the last one a
    committed batch reached), what it entered and scheduled, and the lease of the process working on it.
    ``running_key`` (the journey's code) is set while it runs: one launch of a journey at a time."""

    __tablename__ = "engagement_launches"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    journey_code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # 0: the built-in definition
    audience: Mapped[dict[str, Any]]  # a comptoir.engagement.schemas.Audience
    state: Mapped[str] = mapped_column(String(16))  # running | done
    running_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    resume_after: Mapped[str | None] = mapped_column(String(40))  # the last customer id reached
    matched: Mapped[int] = mapped_column(Integer, default=0)  # customers of the audience read so far
    entered: Mapped[int] = mapped_column(Integer, default=0)  # of which entered (the others already were)
    messages: Mapped[int] = mapped_column(Integer, default=0)  # messages scheduled
    batches: Mapped[int] = mapped_column(Integer, default=0)  # batches committed
    lease_until: Mapped[datetime | None]
    holder: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(120), default="")

    __table_args__ = (Index("ix_engagement_launches_state", "state", "created_at"),)


# -- the wishlists' journeys (comptoir.engagement.wishes) ----------------------------------------------------


class WishWatch(Base):
    """What the wishlists' journeys last knew of a SKU: whether it could be ordered online (``None``: not
    seen yet) and its public web price (``None``: not priced yet). Out of stock then orderable again starts
    the back-in-stock journey of everyone who wishes for it; a price lower by the threshold, the price-drop
    journey. Locked while an episode is fanned out: two workers never start it twice."""

    __tablename__ = "engagement_wish_watch"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    in_stock: Mapped[bool | None]
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3), default="")
    updated_at: Mapped[datetime]


class WishNotice(Base):
    """When a customer was last told about a SKU they wish for (``kind``: back_in_stock | price_drop) and
    the episode (the instance's subject): at most one of a kind per customer and SKU in the policy's days."""

    __tablename__ = "engagement_wish_notices"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(64))
    notified_at: Mapped[datetime]


class Experiment(Base):
    """An A/B experiment of one step of one journey version (see :mod:`comptoir.engagement.experiments`):
    its design as saved, where it is (``testing``, ``decided``, ``inconclusive``), the winner and what the
    customers outside the test receive, and the counts per variant of its last evaluation."""

    __tablename__ = "engagement_experiments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # derived from journey, version, step
    journey_code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)  # the journey's (0: built in)
    step: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(64))  # the step's own
    design: Mapped[dict[str, Any]]  # a comptoir.engagement.schemas.ExperimentDesign
    phase: Mapped[str] = mapped_column(String(16))  # testing | decided | inconclusive
    winner: Mapped[str] = mapped_column(String(16), default="")
    rest_variant: Mapped[str] = mapped_column(String(16), default="")  # what the rest receives
    started_at: Mapped[datetime]  # when its first message was due
    deadline_at: Mapped[datetime]  # the rest waits for a winner until then at the latest
    decided_at: Mapped[datetime | None]
    evaluated_at: Mapped[datetime | None]
    verdict: Mapped[str] = mapped_column(String(500), default="")
    stats: Mapped[dict[str, Any]]  # the last evaluation's counts per variant and p-values

    __table_args__ = (
        UniqueConstraint("journey_code", "version", "step"),
        Index("ix_engagement_experiments_phase", "phase"),
    )


class SurveyAnswer(Base):
    """A customer's answer to a survey message's question (NPS 0–10 or CSAT 1–5), tied to what it is
    about (the touchpoint and its subject), the shop, the advisor and the channel (see
    :mod:`comptoir.engagement.surveys`). One per message and question: answering again changes it. At
    the person's erasure it is anonymised — the score stays for the statistics, nothing links it to them
    (no customer, message or subject, no comment)."""

    __tablename__ = "engagement_survey_answers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    message_id: Mapped[str | None] = mapped_column(String(40))  # the survey message answered
    customer_id: Mapped[str | None] = mapped_column(String(40), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # nps | csat
    score: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16))  # provisional | confirmed | ambiguous
    comment: Mapped[str] = mapped_column(String(2000), default="")
    touchpoint: Mapped[str] = mapped_column(String(32))  # order | appointment | live_session | service_ticket
    subject_id: Mapped[str | None] = mapped_column(String(64))
    place_id: Mapped[str | None] = mapped_column(String(64))  # the shop
    advisor_id: Mapped[str | None] = mapped_column(String(64))  # the employee (advisor, seller)
    channel: Mapped[str] = mapped_column(String(32))  # web | app | store | call-centre | live…
    language: Mapped[str] = mapped_column(String(8))
    answered_at: Mapped[datetime]  # when the answer took its present score
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("message_id", "kind"),
        # the statistics read a range of dates from the index alone (each dimension grouped by the database)
        Index(
            "ix_engagement_survey_answers_stats",
            "answered_at",
            "state",
            "kind",
            "score",
            "place_id",
            "advisor_id",
            "channel",
            "touchpoint",
        ),
    )


class BirthdayTold(Base):
    """A customer told of their birthday of a year (:mod:`comptoir.engagement.birthdays`): written with the
    event that starts the birthday journey, so that no run or worker tells anyone twice. Deleted at
    erasure (the day and month it was written say when the birthday is)."""

    __tablename__ = "engagement_birthdays"

    customer_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    told_at: Mapped[datetime]
