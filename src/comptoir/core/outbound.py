"""Messages to the outside world (e-mail), sent only after the transaction that decided them committed.

A handler never talks to a mail server: it renders the message and records it with :func:`queue_mail`
in its own transaction, beside the rest of its writes (a sign-in token, a receipt's state). Once that
transaction committed, the dispatcher leases the message (committed), hands its bytes to the mailer,
then records the outcome in a new transaction, by what the transport said
(:mod:`comptoir.core.messaging`'s failure classes):

- ``sent``: accepted; the content is dropped, the ``on_sent`` event published;
- ``bounced``: a hard bounce (:class:`PermanentFailure`, the address can never receive) — final;
- ``failed``: this message refused for itself (:class:`MessageRefused`: size, content, policy) — final;
- a :class:`TransientFailure` (a :class:`ConfigurationFailure` too, logged as an error: an operator must
  act) or any other error: retried, after the transport's ``retry_after`` when it gave one, with backoff
  otherwise, then ``dead`` once the attempts are spent.

A final failure (``bounced``, ``failed``, ``dead``) drops the content, keeps the reason in
``last_error`` and publishes ``on_failed``. No database lock is held while the mail server answers,
and a message is never sent for a transaction that rolled back. Delivery is at least once: a worker
killed between the send and the outcome sends again when the lease lapses, with the same
``Message-ID`` (mail servers and clients de-duplicate).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, or_, select, update

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database
from comptoir.core.events import DomainEvent, parse_event
from comptoir.core.ids import new_id
from comptoir.core.mail import Mail, Mailer, bare_address, compose, render
from comptoir.core.messaging import (
    ConfigurationFailure,
    MessageRefused,
    PermanentFailure,
    TransientFailure,
)
from comptoir.core.models import OutboundMessage
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork

log = logging.getLogger("comptoir.outbound")

# A message's statuses: waiting to be sent (or retried), then one of the final ones.
PENDING = "pending"
SENT = "sent"
BOUNCED = "bounced"  # the address can never receive: a hard bounce
FAILED = "failed"  # this message was refused for itself, retrying gives the same answer
DEAD = "dead"  # still failing once the attempts were spent
FINAL_STATUSES = (SENT, BOUNCED, FAILED, DEAD)

# Builds the event to publish from the message's Message-ID (known when the message is queued).
EventFactory = Callable[[str], DomainEvent]


def queue_mail(
    uow: UnitOfWork,
    settings: Settings,
    mail: Mail,
    *,
    on_sent: EventFactory | None = None,
    on_failed: EventFactory | None = None,
) -> str:
    """Record ``mail`` to be sent once ``uow`` commits; returns its ``Message-ID``.

    ``on_sent(message_id)`` and ``on_failed(message_id)`` build the events published when the mail
    server accepted the message, or when it was dead-lettered.
    """
    message = compose(mail, settings.mail_from)
    message_id = str(message["Message-ID"])
    now = clock.now()
    uow.session.add(
        OutboundMessage(
            kind="mail",
            recipient=bare_address(mail.to),
            subject=mail.subject[:500],
            message_id=message_id[:255],
            content=render(message),
            on_sent=_event_spec(on_sent, message_id),
            on_failed=_event_spec(on_failed, message_id),
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            lease_until=None,
            last_error=None,
            created_at=now,
            sent_at=None,
        )
    )
    return message_id


def status_of(uow: UnitOfWork, message_id: str) -> tuple[str, str | None] | None:
    """A queued message's status (``pending``, ``sent``, ``bounced``, ``failed``, ``dead``) and its last
    error, by its ``Message-ID`` (``None``: unknown, or purged since)."""
    row = uow.session.execute(
        select(OutboundMessage.status, OutboundMessage.last_error).where(
            OutboundMessage.message_id == message_id
        )
    ).first()
    return None if row is None else (str(row[0]), row[1])


def forget_recipient(uow: UnitOfWork, address: str) -> int:
    """Erasure: deletes every message to ``address`` (sent ones keep recipient and subject), pending
    ones included — nothing more goes to an erased person. Returns how many were deleted."""
    result = uow.session.execute(
        delete(OutboundMessage).where(func.lower(OutboundMessage.recipient) == bare_address(address).lower())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def purge_finished(uow: UnitOfWork, older_than: timedelta) -> int:
    """Housekeeping: deletes finished messages (sent, bounced, failed, dead-lettered) recorded more than
    ``older_than`` ago."""
    result = uow.session.execute(
        delete(OutboundMessage).where(
            OutboundMessage.status.in_(FINAL_STATUSES),
            OutboundMessage.created_at < clock.now() - older_than,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _event_spec(factory: EventFactory | None, message_id: str) -> dict[str, Any] | None:
    if factory is None:
        return None
    event = factory(message_id)
    return {"type": event.event_type, "data": event.data()}


@dataclass(frozen=True)
class OutboundConfig:
    batch_size: int = 50
    max_attempts: int = 8
    # How long a lease lasts: well past the SMTP transport's 30 s timeout per step.
    lease_seconds: float = 180.0
    # The longest wait a transport's ``retry_after`` may impose before the next attempt.
    max_retry_after_seconds: float = 86400.0


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: ``status`` is final (``sent``, ``bounced``, ``failed``) or ``pending``
    (try again, after ``retry_after`` seconds when the transport said, with backoff otherwise)."""

    status: str
    error: str | None = None
    retry_after: float | None = None


def outcome_of(exc: BaseException | None) -> Outcome:
    """The outcome of an attempt that raised ``exc`` (None: the transport took the message)."""
    if exc is None:
        return Outcome(SENT)
    error = f"{type(exc).__name__}: {exc}"[:2000]
    if isinstance(exc, PermanentFailure):
        return Outcome(BOUNCED, error)
    if isinstance(exc, MessageRefused):
        return Outcome(FAILED, error)
    if isinstance(exc, TransientFailure):
        return Outcome(PENDING, error, exc.retry_after)
    return Outcome(PENDING, error)  # an unclassified error: retried with backoff, as a transient one


@dataclass(frozen=True)
class _Claimed:
    id: int
    attempts: int
    recipient: str
    content: bytes


class OutboundSender:
    """The dispatcher's part that sends: lease (commit), send, record the outcome (commit)."""

    def __init__(
        self,
        db: Database,
        mailer: Callable[[], Mailer],
        config: OutboundConfig,
        *,
        backoff: Callable[[int], float],
        lock: Callable[[Any], Any],
    ) -> None:
        self.db = db
        self.mailer = mailer
        self.config = config
        self.backoff = backoff
        self.lock = lock

    def run(self) -> int:
        claimed = self._claim()
        for item in claimed:
            self._record(item, self._attempt(item))
        return len(claimed)

    def _attempt(self, item: _Claimed) -> Outcome:
        """Hand the message to the transport, outside any transaction; what came of it."""
        try:
            self.mailer().deliver(item.content, item.recipient)
        except Exception as exc:  # the transport's refusals and network errors alike
            outcome = outcome_of(exc)
            level = logging.ERROR if isinstance(exc, ConfigurationFailure) else logging.WARNING
            log.log(
                level,
                "mail not sent",
                extra={"outbound_id": item.id, "outcome": outcome.status, "error": outcome.error},
            )
            return outcome
        return outcome_of(None)

    def _claim(self) -> list[_Claimed]:
        now = clock.now()
        with self.db.writer() as session, session.begin():
            stmt = (
                select(OutboundMessage.id)
                .where(
                    OutboundMessage.status == PENDING,
                    OutboundMessage.next_attempt_at <= now,
                    or_(OutboundMessage.lease_until.is_(None), OutboundMessage.lease_until < now),
                )
                .order_by(OutboundMessage.id)
                .limit(self.config.batch_size)
            )
            ids = list(session.scalars(self.lock(stmt)))
            if not ids:
                return []
            session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(ids))
                .values(
                    lease_until=now + timedelta(seconds=self.config.lease_seconds),
                    attempts=OutboundMessage.attempts + 1,
                )
            )
            rows = session.execute(
                select(
                    OutboundMessage.id,
                    OutboundMessage.attempts,
                    OutboundMessage.recipient,
                    OutboundMessage.content,
                )
                .where(OutboundMessage.id.in_(ids))
                .order_by(OutboundMessage.id)
            ).all()
        return [_Claimed(r.id, r.attempts, r.recipient, r.content or b"") for r in rows]

    def _record(self, item: _Claimed, outcome: Outcome) -> None:
        with UnitOfWork(self.db, SYSTEM) as uow:
            row = uow.session.get(OutboundMessage, item.id, with_for_update=True)
            if row is None or row.status != PENDING:
                return
            now = clock.now()
            row.lease_until = None
            row.last_error = outcome.error
            status = outcome.status
            if status == PENDING and item.attempts >= self.config.max_attempts:
                status = DEAD
            published: dict[str, Any] | None = None
            if status == SENT:
                row.status, row.sent_at, row.content = SENT, now, None
                published = row.on_sent
            elif status == PENDING:
                row.next_attempt_at = now + timedelta(seconds=self._delay(item.attempts, outcome))
            else:  # bounced, failed or dead: given up
                row.status, row.content = status, None
                published = row.on_failed
                log.warning(
                    "mail given up", extra={"outbound_id": item.id, "outcome": status, "error": outcome.error}
                )
            if published is not None:
                uow.record(parse_event(published["type"], new_id("evt"), now, published["data"]))
            uow.commit()

    def _delay(self, attempts: int, outcome: Outcome) -> float:
        """Seconds before the next attempt: what the transport asked for (bounded), backoff otherwise."""
        if outcome.retry_after is not None:
            return min(max(0.0, outcome.retry_after), self.config.max_retry_after_seconds)
        return self.backoff(attempts)
