"""Tables of the shared kernel: outbox, deliveries, webhooks, API keys, idempotency keys, job leases."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from comptoir.core.db import Base, Provenance, Versioned

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class OutboxEvent(Base):
    __tablename__ = "core_outbox_events"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(40), unique=True)
    type: Mapped[str] = mapped_column(String(120), index=True)
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    channel: Mapped[str | None] = mapped_column(String(64))
    api_key_id: Mapped[str | None] = mapped_column(String(40))
    request_id: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    fanned_out: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index("ix_core_outbox_events_pending_fanout", "fanned_out", "seq"),)


class HandlerDelivery(Base):
    """One row per (event, in-process handler): delivered exactly once, in the handler's own transaction."""

    __tablename__ = "core_handler_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(BigId, ForeignKey("core_outbox_events.seq", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(Text)
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("event_seq", "handler"),
        Index("ix_core_handler_deliveries_due", "status", "next_attempt_at"),
    )


class WebhookSubscription(Versioned, Provenance, Base):
    __tablename__ = "core_webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str] = mapped_column(String(500), default="")
    secret: Mapped[str] = mapped_column(String(100))
    event_types: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class WebhookDelivery(Base):
    """One row per (event, subscription): delivered at least once, retried with backoff, then dead-lettered."""

    __tablename__ = "core_webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_seq: Mapped[int] = mapped_column(BigId, ForeignKey("core_outbox_events.seq", ondelete="CASCADE"))
    subscription_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("core_webhook_subscriptions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | succeeded | dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("event_seq", "subscription_id"),
        Index("ix_core_webhook_deliveries_due", "status", "next_attempt_at"),
    )


class WebhookAttempt(Base):
    __tablename__ = "core_webhook_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("core_webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempt: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime]
    duration_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(String(1000))


class ApiKey(Base):
    __tablename__ = "core_api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[Any]]
    channel: Mapped[str | None] = mapped_column(String(64))
    # secret (systems), shop (a shop's devices) or publishable (browsers and apps: safe to ship in a page)
    kind: Mapped[str] = mapped_column(String(16), default="secret", server_default="secret")
    shop_id: Mapped[str | None] = mapped_column(String(40))  # a shop key's shop, or a bound secret key's
    created_by: Mapped[str | None] = mapped_column(String(40))  # the key or employee that minted it
    rate_limit_per_minute: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class IdempotencyRecord(Base):
    __tablename__ = "core_idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(64))  # hash of the API key that sent the request
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(2048))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")  # in_progress | completed
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[dict[str, Any] | None]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("scope", "key"),)


class JobLease(Base):
    """Periodic jobs run by one worker at a time across all processes."""

    __tablename__ = "core_job_leases"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None]
    last_run_at: Mapped[datetime | None]


class StaffPerson(Base):
    """An employee who signs in as themselves: a role, the shops they work in, an optional TOTP factor."""

    __tablename__ = "core_staff_people"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    shops: Mapped[list[Any]]
    password_hash: Mapped[str | None] = mapped_column(String(255))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class StaffSession(Base):
    """A signed-in employee's session (pages cookie or tablet bearer token); ended on sign-out or block."""

    __tablename__ = "core_staff_sessions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    person_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("core_staff_people.id", ondelete="CASCADE"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(128))
    shop_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    client: Mapped[str | None] = mapped_column(String(200))


class StaffAudit(Base):
    """What each employee did: one row per committed unit of work of a staff person."""

    __tablename__ = "core_staff_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    person_id: Mapped[str] = mapped_column(String(40), index=True)
    role: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    events: Mapped[list[Any]]


class OutboundMessage(Base):
    """A message to the outside world (e-mail) recorded by a handler in its own transaction and sent
    by the dispatcher only after that transaction committed: leased, sent, then its outcome recorded
    (retried with backoff, then dead-lettered). The content is dropped once sent."""

    __tablename__ = "core_outbound_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # mail
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str] = mapped_column(String(255), index=True)  # outcomes are read by it
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # the rendered message, attachments included
    on_sent: Mapped[dict[str, Any] | None]  # {"type": event type, "data": fields}: published once sent
    on_failed: Mapped[dict[str, Any] | None]  # published when given up (bounced, failed, dead)
    # pending | sent | bounced (hard bounce) | failed (message refused) | dead (retries spent)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_core_outbound_messages_due", "status", "next_attempt_at"),)
