"""The outbox dispatcher: fan-out, in-process handlers (exactly once), webhooks (at least once), jobs.

Any number of dispatchers may run at once (``comptoir serve`` threads, ``comptoir worker`` processes):
on PostgreSQL they split work with ``FOR UPDATE SKIP LOCKED``; on SQLite the database write lock
serialises them.

* Fan-out: an event's delivery rows (one per subscribed handler, one per matching webhook) are
  created in one transaction with marking the event fanned out, so a crash cannot lose or double them.
* Handlers: a delivery row stays locked while its handler runs, and is marked done in the same
  transaction as the handler's own writes. A worker killed mid-handler loses its transaction, the
  lock goes with its connection, and another worker runs the handler afresh: exactly-once effects.
* Handlers run one delivery per transaction. A handler with an outside effect does not perform it:
  it records an outbound message (``core.outbound``) with its writes, sent after the commit.
* Outbound messages and webhooks: leased (committed) before the I/O, the outcome recorded after it
  in a new transaction, so no database lock is held while a remote server answers, and a killed
  worker's message is retried when the lease lapses: at least once, with a stable id.
* Webhook targets are checked again at each delivery (``webhooks.TargetGuard``), after resolving
  their host, and the request goes to the checked address.
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database, insert_ignore
from comptoir.core.events import Bus, parse_event
from comptoir.core.mail import Mailer, mailer_from_settings
from comptoir.core.models import (
    HandlerDelivery,
    JobLease,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from comptoir.core.outbound import OutboundConfig, OutboundSender
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork, events_written
from comptoir.core.webhooks import (
    REFUSED,
    UNREACHABLE,
    TargetGuard,
    TargetRefused,
    TargetUnreachable,
    signature_headers,
    type_matches,
)

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("comptoir.dispatcher")

JOB_START_SPREAD_SECONDS = 5.0  # a running dispatcher's first try of a job: within this, or its period
LEASE_RECHECK_SECONDS = 5.0  # a lease another process holds is looked at again after this, at most
# Fan-out batches a round runs while there are events left: fanning out is a few statements for hundreds of
# events, so a backlog (a stock import's thousands of events) is fanned out within a round or a few, and
# an event written after it (a payment's confirmation) reaches its handlers' queue — where turns are fair
# (:func:`_due_deliveries`) — without waiting for the backlog's deliveries.
FAN_OUT_BATCHES_PER_ROUND = 50


@dataclass(frozen=True)
class DispatcherConfig:
    batch_size: int = 50
    poll_seconds: float = 0.25
    handler_max_attempts: int = 10
    webhook_max_attempts: int = 8
    webhook_timeout_seconds: float = 10.0
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0
    mail_max_attempts: int = 8


def dispatcher_config(settings: Settings) -> DispatcherConfig:
    return DispatcherConfig(
        batch_size=settings.dispatcher_batch_size,
        poll_seconds=settings.dispatcher_poll_seconds,
        handler_max_attempts=settings.handler_max_attempts,
        webhook_max_attempts=settings.webhook_max_attempts,
        webhook_timeout_seconds=settings.webhook_timeout_seconds,
        backoff_base_seconds=settings.webhook_backoff_base_seconds,
        backoff_max_seconds=settings.webhook_backoff_max_seconds,
        mail_max_attempts=settings.mail_max_attempts,
    )


@dataclass(frozen=True)
class Job:
    """A periodic task run by one dispatcher at a time across every process."""

    name: str
    every_seconds: float
    run: Callable[[UnitOfWork], None]


def backoff_seconds(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter on the upper half: attempt 1 → ~base, 2 → ~2·base, …"""
    delay = float(min(cap, base * (2 ** max(0, attempt - 1))))
    return delay / 2 + random.random() * delay / 2


class Dispatcher:
    def __init__(
        self,
        db: Database,
        bus: Bus,
        config: DispatcherConfig,
        *,
        jobs: list[Job] | None = None,
        http: httpx.Client | None = None,
        guard: TargetGuard | None = None,
        mailer: Mailer | None = None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.config = config
        self.jobs = jobs or []
        self._http = http
        settings = bus.settings or get_settings()
        self.guard = guard or TargetGuard.from_settings(settings)
        self._mailer = mailer
        self.outbound = OutboundSender(
            db,
            self._mail_transport,
            OutboundConfig(batch_size=config.batch_size, max_attempts=config.mail_max_attempts),
            backoff=lambda attempt: backoff_seconds(
                attempt, config.backoff_base_seconds, config.backoff_max_seconds
            ),
            lock=self._lock,
        )
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        # When this process next tries each job's lease (``time.monotonic()``), once it runs for good
        # (``run_forever``); rounds run by hand (tests, ``drain``) try every lease each time.
        self._job_due: dict[str, float] | None = None

    @property
    def http(self) -> httpx.Client:
        """The webhooks' HTTP client, made on the first delivery (httpx is loaded then, not at start-up)."""
        if self._http is None:
            import httpx

            # No proxy from the environment: a delivery connects to the address its guard checked.
            self._http = httpx.Client(
                timeout=self.config.webhook_timeout_seconds, follow_redirects=False, trust_env=False
            )
        return self._http

    def _mail_transport(self) -> Mailer:
        if self._mailer is None:
            self._mailer = mailer_from_settings(self.bus.settings or get_settings())
        return self._mailer

    # -- one round ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Do one batch of each kind of work; returns how many items were processed."""
        done = 0
        for _ in range(FAN_OUT_BATCHES_PER_ROUND):
            fanned = self.fan_out()
            done += fanned
            if fanned < self.config.batch_size * 4:
                break
        done += self.deliver_to_handlers()
        done += self.outbound.run()
        done += self.deliver_webhooks()
        done += self.run_due_jobs()
        return done

    def drain(self, max_rounds: int = 1000) -> int:
        """Run until there is nothing due (tests, CLI). Returns items processed."""
        total = 0
        for _ in range(max_rounds):
            n = self.run_once()
            total += n
            if n == 0:
                break
        return total

    def run_forever(self, stop: threading.Event) -> None:
        log.info(
            "dispatcher started", extra={"worker": self.worker_id, "handlers": len(self.bus.handler_names)}
        )
        # Each job's first try comes a random moment into its period (at most JOB_START_SPREAD_SECONDS):
        # processes started together do not all race for every lease at once, and a starting process
        # serves its first requests before it runs its first jobs.
        now = time.monotonic()
        self._job_due = {
            job.name: now + random.uniform(0, min(job.every_seconds, JOB_START_SPREAD_SECONDS))
            for job in self.jobs
        }
        while not stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("dispatcher round failed")
                busy = 0
            if not busy:
                events_written.wait(self.config.poll_seconds)
                events_written.clear()
        log.info("dispatcher stopped", extra={"worker": self.worker_id})

    def _lock(self, stmt: Any, *of: Any) -> Any:
        if self.db.is_postgres:
            return stmt.with_for_update(skip_locked=True, of=list(of) if of else None)
        return stmt

    # -- fan-out ------------------------------------------------------------------------------------
    def fan_out(self) -> int:
        with self.db.writer() as session, session.begin():
            stmt = (
                select(OutboxEvent.seq, OutboxEvent.type)
                .where(OutboxEvent.fanned_out.is_(False))
                .order_by(OutboxEvent.seq)
                .limit(self.config.batch_size * 4)
            )
            events = session.execute(self._lock(stmt, OutboxEvent)).all()
            if not events:
                return 0
            # Shared locks: a subscription deleted meanwhile waits for this fan-out (and then cascades
            # over its deliveries) instead of failing the delivery inserts on their foreign key.
            subs_stmt = select(WebhookSubscription.id, WebhookSubscription.event_types).where(
                WebhookSubscription.active.is_(True)
            )
            if self.db.is_postgres:
                subs_stmt = subs_stmt.with_for_update(read=True)
            subs = session.execute(subs_stmt).all()
            now = clock.now()
            handler_rows: list[dict[str, Any]] = []
            webhook_rows: list[dict[str, Any]] = []
            for seq, event_type in events:
                for name in self.bus.handler_names_for(event_type):
                    handler_rows.append(
                        {
                            "event_seq": seq,
                            "handler": name,
                            "status": "pending",
                            "attempts": 0,
                            "next_attempt_at": now,
                        }
                    )
                for sub_id, patterns in subs:
                    if type_matches(list(patterns), event_type):
                        webhook_rows.append(
                            {
                                "event_seq": seq,
                                "subscription_id": sub_id,
                                "status": "pending",
                                "attempts": 0,
                                "next_attempt_at": now,
                                "created_at": now,
                            }
                        )
            if handler_rows:
                session.execute(insert(HandlerDelivery), handler_rows)
            if webhook_rows:
                session.execute(insert(WebhookDelivery), webhook_rows)
            session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.seq.in_([seq for seq, _ in events]))
                .values(fanned_out=True)
            )
            return len(events)

    # -- handlers -----------------------------------------------------------------------------------
    def deliver_to_handlers(self) -> int:
        """Each due delivery in a transaction of its own: no handler waits on, or rolls back, another's
        work, and on SQLite the write lock is given up between deliveries."""
        known = self.bus.handler_names
        if not known:
            return 0
        with self.db.reader() as session:
            ids = list(session.scalars(_due_deliveries(known, clock.now(), self.config.batch_size)))
        done = 0
        for delivery_id in ids:
            try:
                done += self._deliver_one(delivery_id)
            except Exception:  # the commit itself failed: count an attempt in a new transaction
                log.exception("handler delivery failed", extra={"delivery_id": delivery_id})
                self._record_handler_failure(delivery_id, traceback.format_exc(limit=20))
                done += 1
        return done

    def _deliver_one(self, delivery_id: int) -> int:
        """Runs one delivery's handler and marks it done, in one transaction; 0 when another
        dispatcher took it meanwhile."""
        with UnitOfWork(self.db, SYSTEM) as uow:
            session = uow.session
            stmt = (
                select(HandlerDelivery, OutboxEvent)
                .join(OutboxEvent, OutboxEvent.seq == HandlerDelivery.event_seq)
                .where(HandlerDelivery.id == delivery_id, HandlerDelivery.status == "pending")
            )
            row = session.execute(self._lock(stmt, HandlerDelivery)).first()
            if row is None:
                return 0
            delivery, event_row = row
            handler = self.bus.handler(delivery.handler)
            assert handler is not None
            try:
                with uow.savepoint():
                    event = parse_event(
                        event_row.type, event_row.event_id, event_row.occurred_at, event_row.payload
                    )
                    handler(uow, event)
                    session.flush()
            except Exception:
                log.exception(
                    "handler failed", extra={"handler": delivery.handler, "event_id": event_row.event_id}
                )
                self._handler_failed(delivery, traceback.format_exc(limit=20))
            else:
                delivery.status = "done"
                delivery.attempts += 1
                delivery.completed_at = clock.now()
            uow.commit()
        return 1

    def _record_handler_failure(self, delivery_id: int, error: str) -> None:
        with self.db.writer() as session, session.begin():
            stmt = select(HandlerDelivery).where(
                HandlerDelivery.id == delivery_id, HandlerDelivery.status == "pending"
            )
            delivery = session.scalars(self._lock(stmt)).first()
            if delivery is not None:
                self._handler_failed(delivery, error)

    def _handler_failed(self, delivery: HandlerDelivery, error: str) -> None:
        delivery.attempts += 1
        delivery.last_error = error[-4000:]
        if delivery.attempts >= self.config.handler_max_attempts:
            delivery.status = "dead"
        else:
            delay = backoff_seconds(delivery.attempts, 1.0, self.config.backoff_max_seconds)
            delivery.next_attempt_at = clock.now() + timedelta(seconds=delay)

    # -- webhooks -------------------------------------------------------------------------------------
    def deliver_webhooks(self) -> int:
        claimed = self._claim_webhooks()
        for item in claimed:
            try:
                self._post(item)
            except Exception:  # one delivery's failure never holds up the others claimed with it
                log.exception("webhook delivery failed", extra={"delivery_id": item["id"]})
        return len(claimed)

    def _claim_webhooks(self) -> list[dict[str, Any]]:
        now = clock.now()
        lease = now + timedelta(seconds=self.config.webhook_timeout_seconds + 5)
        with self.db.writer() as session, session.begin():
            stmt = (
                select(WebhookDelivery.id)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    or_(WebhookDelivery.lease_until.is_(None), WebhookDelivery.lease_until < now),
                )
                .order_by(WebhookDelivery.id)
                .limit(self.config.batch_size)
            )
            ids = list(session.scalars(self._lock(stmt, WebhookDelivery)))
            if not ids:
                return []
            session.execute(
                update(WebhookDelivery)
                .where(WebhookDelivery.id.in_(ids))
                .values(lease_until=lease, attempts=WebhookDelivery.attempts + 1)
            )
            rows = session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.attempts,
                    WebhookSubscription.url,
                    WebhookSubscription.secret,
                    OutboxEvent.event_id,
                    OutboxEvent.type,
                    OutboxEvent.occurred_at,
                    OutboxEvent.channel,
                    OutboxEvent.payload,
                )
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .join(OutboxEvent, OutboxEvent.seq == WebhookDelivery.event_seq)
                .where(WebhookDelivery.id.in_(ids))
                .order_by(WebhookDelivery.id)
            ).all()
            return [dict(row._mapping) for row in rows]

    def _post(self, item: dict[str, Any]) -> None:
        import httpx

        body = json.dumps(
            {
                "id": item["event_id"],
                "type": item["type"],
                "timestamp": item["occurred_at"].isoformat(),
                "channel": item["channel"],
                "data": item["payload"],
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        started = clock.now()
        t0 = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        excerpt: str | None = None
        try:
            headers = signature_headers(item["secret"], item["event_id"], int(started.timestamp()), body)
            request = self.guard.pinned_request(self.http, item["url"], body, headers)
            response = self.http.send(request)
            status_code = response.status_code
            excerpt = response.text[:1000]
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except TargetRefused:
            # One answer whatever the address or port, and no timing: the log is no scanner.
            self._record_webhook_result(item, started, 0, None, REFUSED, None)
            return
        except TargetUnreachable:
            error = UNREACHABLE
        except httpx.TimeoutException:
            error = "timed out"
        except httpx.HTTPError:
            error = UNREACHABLE
        duration_ms = int((time.perf_counter() - t0) * 1000)
        self._record_webhook_result(item, started, duration_ms, status_code, error, excerpt)

    def _record_webhook_result(
        self,
        item: dict[str, Any],
        started: Any,
        duration_ms: int,
        status_code: int | None,
        error: str | None,
        excerpt: str | None,
    ) -> None:
        attempt = int(item["attempts"])
        with self.db.writer() as session, session.begin():
            # Locked, so a subscription deleted meanwhile either went first (nothing to record: only
            # this delivery is dropped) or waits for this outcome and then cascades over it.
            alive = session.scalars(
                select(WebhookDelivery.id).where(WebhookDelivery.id == item["id"]).with_for_update()
            ).first()
            if alive is None:
                log.info("webhook delivery deleted during its attempt", extra={"delivery_id": item["id"]})
                return
            session.execute(
                insert(WebhookAttempt).values(
                    delivery_id=item["id"],
                    attempt=attempt,
                    started_at=started,
                    duration_ms=duration_ms,
                    status_code=status_code,
                    error=error,
                    response_excerpt=excerpt,
                )
            )
            values: dict[str, Any] = {
                "last_status_code": status_code,
                "last_error": error,
                "lease_until": None,
            }
            if error is None:
                values.update(status="succeeded", delivered_at=clock.now())
            elif attempt >= self.config.webhook_max_attempts:
                values.update(status="dead")
                log.warning("webhook dead-lettered", extra={"delivery_id": item["id"], "error": error})
            else:
                delay = backoff_seconds(
                    attempt, self.config.backoff_base_seconds, self.config.backoff_max_seconds
                )
                values.update(next_attempt_at=clock.now() + timedelta(seconds=delay))
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == item["id"]).values(**values))

    # -- periodic jobs ----------------------------------------------------------------------------------
    def run_due_jobs(self) -> int:
        ran = 0
        due = self._job_due
        for job in self.jobs:
            now = time.monotonic()
            if due is not None and due.get(job.name, 0.0) > now:
                continue  # not before its period is over: no write transaction per job per poll
            taken = self._take_lease(job)
            if due is not None:
                # Taken: due again after its period. Held elsewhere: look again within the period.
                wait = job.every_seconds if taken else min(job.every_seconds, LEASE_RECHECK_SECONDS)
                due[job.name] = now + wait
            if taken:
                try:
                    with UnitOfWork(self.db, SYSTEM) as uow:
                        job.run(uow)
                        uow.commit()
                    ran += 1
                except Exception:
                    log.exception("job failed", extra={"job": job.name})
        return ran

    def _take_lease(self, job: Job) -> bool:
        now = clock.now()
        with self.db.writer() as session, session.begin():
            _ensure_lease_row(session, job.name)
            result = session.execute(
                update(JobLease)
                .where(
                    JobLease.name == job.name,
                    or_(JobLease.lease_until.is_(None), JobLease.lease_until <= now),
                )
                .values(
                    holder=self.worker_id,
                    lease_until=now + timedelta(seconds=job.every_seconds),
                    last_run_at=now,
                )
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]


def _due_deliveries(handlers: Sequence[str], now: datetime, limit: int) -> Any:
    """The due deliveries to run next, taken in turn from each handler: every handler's oldest, then every
    handler's second oldest… A flood for one handler (a stock import's thousands of ``stock_changed``)
    never makes another wait behind it — a payment's confirmation is handled in the next round — and each
    handler still gets its own deliveries in the order they were written."""
    due = (
        select(
            HandlerDelivery.id,
            func.row_number()
            .over(partition_by=HandlerDelivery.handler, order_by=HandlerDelivery.id)
            .label("turn"),
        )
        .where(
            HandlerDelivery.status == "pending",
            HandlerDelivery.next_attempt_at <= now,
            HandlerDelivery.handler.in_(list(handlers)),
        )
        .subquery()
    )
    return select(due.c.id).order_by(due.c.turn, due.c.id).limit(limit)


def _ensure_lease_row(session: Session, name: str) -> None:
    if session.get(JobLease, name) is None:
        insert_ignore(session, JobLease, [{"name": name}])
