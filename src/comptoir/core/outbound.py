"""Messages to the outside world (e-mail), sent only after the transaction that decided them committed.

A handler never talks to a mail server: it renders the message and records it with :func:`queue_mail`
in its own transaction, beside the rest of its writes (a sign-in token, a receipt's state), written once
to the bytes sent (:mod:`comptoir.core.mail_bytes`). Once that transaction committed, the dispatcher
leases a batch of messages (committed), hands their bytes to the mailer over one session (one SMTP
connection for the batch), then records the outcomes in new transactions — several at once, none before
the server answered, none kept waiting longer than ``record_within_seconds`` — by what the transport
said (:mod:`comptoir.core.messaging`'s failure classes):

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
``Message-ID`` (mail servers and clients de-duplicate) — what the server accepted in the last
``record_within_seconds`` before the kill (one message with a server slower than that).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, delete, func, or_, select, update

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database
from comptoir.core.events import DomainEvent, parse_event
from comptoir.core.ids import new_id
from comptoir.core.mail import Delivering, Mail, Mailer, bare_address, session_of
from comptoir.core.mail_bytes import message_bytes
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
    content, message_id = message_bytes(mail, settings.mail_from)
    now = clock.now()
    uow.session.add(
        OutboundMessage(
            kind="mail",
            recipient=bare_address(mail.to),
            subject=mail.subject[:500],
            message_id=message_id[:255],
            content=content,
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
    # Outcomes are recorded together, as long as none would wait longer than this: a worker killed in
    # the middle of a batch sends again only what the server accepted in about that long before the kill
    # (one message when the server takes longer than this to accept each).
    record_within_seconds: float = 0.02


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
    """The dispatcher's part that sends: lease a batch (commit), send it over one transport session (one
    SMTP connection), record the outcomes (commit) — several at once, never one before the server's
    answer, none kept waiting longer than ``record_within_seconds``."""

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
        if claimed:
            self._send(claimed)
        return len(claimed)

    def _send(self, claimed: list[_Claimed]) -> None:
        waiting = _Waiting(self.config.record_within_seconds)
        try:
            try:
                session = session_of(self.mailer())
            except Exception as exc:  # no transport at all (its settings): every message waits
                for item in claimed:
                    waiting.add(item, self._failed(item, exc), 0.0)
                return
            with session as transport:
                for item in claimed:
                    if waiting.due():
                        self._record(waiting.take())
                    started = time.monotonic()
                    waiting.add(item, self._attempt(transport, item), time.monotonic() - started)
        finally:
            self._record(waiting.take())

    def _attempt(self, transport: Delivering, item: _Claimed) -> Outcome:
        """Hand the message to the transport, outside any transaction; what came of it."""
        try:
            transport.deliver(item.content, item.recipient)
        except Exception as exc:  # the transport's refusals and network errors alike
            return self._failed(item, exc)
        return outcome_of(None)

    def _failed(self, item: _Claimed, exc: Exception) -> Outcome:
        outcome = outcome_of(exc)
        level = logging.ERROR if isinstance(exc, ConfigurationFailure) else logging.WARNING
        log.log(
            level,
            "mail not sent",
            extra={"outbound_id": item.id, "outcome": outcome.status, "error": outcome.error},
        )
        return outcome

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
            rows = session.execute(
                update(OutboundMessage)
                .where(OutboundMessage.id.in_(ids))
                .values(
                    lease_until=now + timedelta(seconds=self.config.lease_seconds),
                    attempts=OutboundMessage.attempts + 1,
                )
                .returning(
                    OutboundMessage.id,
                    OutboundMessage.attempts,
                    OutboundMessage.recipient,
                    OutboundMessage.content,
                )
                .execution_options(synchronize_session=False)
            ).all()
        return sorted(
            (_Claimed(r.id, r.attempts, r.recipient, r.content or b"") for r in rows), key=lambda c: c.id
        )

    def _record(self, done: list[tuple[_Claimed, Outcome]]) -> None:
        """The outcomes of ``done`` in one transaction: the accepted ones in one statement (a message
        finished meanwhile — its recipient erased — is left as it is), their events published."""
        if not done:
            return
        now = clock.now()
        with UnitOfWork(self.db, SYSTEM) as uow:
            accepted = [item.id for item, outcome in done if outcome.status == SENT]
            if accepted:
                table = cast(Table, OutboundMessage.__table__)
                rows = uow.session.connection().execute(
                    update(table)
                    .where(table.c.id.in_(accepted), table.c.status == PENDING)
                    .values(status=SENT, sent_at=now, content=None, lease_until=None, last_error=None)
                    .returning(table.c.id, table.c.on_sent)
                )
                for _, spec in sorted(rows, key=lambda row: int(row[0])):
                    if spec is not None:
                        uow.record(parse_event(spec["type"], new_id("evt"), now, spec["data"]))
            for item, outcome in done:
                if outcome.status != SENT:
                    self._record_failure(uow, item, outcome, now)
            uow.commit()

    def _record_failure(self, uow: UnitOfWork, item: _Claimed, outcome: Outcome, now: datetime) -> None:
        row = uow.session.get(OutboundMessage, item.id, with_for_update=True)
        if row is None or row.status != PENDING:
            return
        row.lease_until = None
        row.last_error = outcome.error
        status = outcome.status
        if status == PENDING and item.attempts >= self.config.max_attempts:
            status = DEAD
        if status == PENDING:
            row.next_attempt_at = now + timedelta(seconds=self._delay(item.attempts, outcome))
            return
        row.status, row.content = status, None  # bounced, failed or dead: given up
        log.warning(
            "mail given up", extra={"outbound_id": item.id, "outcome": status, "error": outcome.error}
        )
        if row.on_failed is not None:
            spec = row.on_failed
            uow.record(parse_event(spec["type"], new_id("evt"), now, spec["data"]))

    def _delay(self, attempts: int, outcome: Outcome) -> float:
        """Seconds before the next attempt: what the transport asked for (bounded), backoff otherwise."""
        if outcome.retry_after is not None:
            return min(max(0.0, outcome.retry_after), self.config.max_retry_after_seconds)
        return self.backoff(attempts)


class _Waiting:
    """Outcomes not recorded yet. They are due to be recorded before the next send when the first of
    them would otherwise wait longer than ``within`` seconds (the next send taken to last as long as the
    last one did): one message at a time with a slow server, several with a fast one."""

    def __init__(self, within: float) -> None:
        self.within = within
        self.outcomes: list[tuple[_Claimed, Outcome]] = []
        self.since = 0.0  # when the first of them was added (time.monotonic())
        self.last_send = 0.0  # how long the last send took

    def add(self, item: _Claimed, outcome: Outcome, seconds: float) -> None:
        if not self.outcomes:
            self.since = time.monotonic()
        self.outcomes.append((item, outcome))
        self.last_send = seconds

    def due(self) -> bool:
        return bool(self.outcomes) and time.monotonic() - self.since + self.last_send > self.within

    def take(self) -> list[tuple[_Claimed, Outcome]]:
        taken, self.outcomes = self.outcomes, []
        return taken
