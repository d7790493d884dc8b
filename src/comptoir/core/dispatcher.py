"""The outbox dispatcher: fan-out, in-process handlers (exactly once), webhooks (at least once), jobs.

Any number of dispatchers may run at once (``comptoir serve`` threads, ``comptoir worker`` processes):
on PostgreSQL they split work with ``FOR UPDATE SKIP LOCKED``; on SQLite the database write lock
serialises them.

* Fan-out: an event's delivery rows (one per subscribed handler, one per matching webhook) are
  created in one transaction with marking the event fanned out, so a crash cannot lose or double them.
* Handlers: a delivery row stays locked while its handler runs, and is marked done in the same
  transaction as the handler's own writes. A worker killed mid-handler loses its transaction, the
  lock goes with its connection, and another worker runs the handler afresh: exactly-once effects.
* Webhooks: a delivery is leased (committed) before the HTTP call, so a killed worker's delivery is
  retried when the lease lapses: at least once, always with the same ``webhook-id``.
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database, insert_ignore
from comptoir.core.events import Bus, parse_event
from comptoir.core.models import (
    HandlerDelivery,
    JobLease,
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from comptoir.core.uow import UnitOfWork, events_written
from comptoir.core.webhooks import signature_headers, type_matches

log = logging.getLogger("comptoir.dispatcher")


@dataclass(frozen=True)
class DispatcherConfig:
    batch_size: int = 50
    poll_seconds: float = 0.25
    handler_max_attempts: int = 10
    webhook_max_attempts: int = 8
    webhook_timeout_seconds: float = 10.0
    backoff_base_seconds: float = 5.0
    backoff_max_seconds: float = 3600.0


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
    ) -> None:
        self.db = db
        self.bus = bus
        self.config = config
        self.jobs = jobs or []
        self.http = http or httpx.Client(timeout=config.webhook_timeout_seconds, follow_redirects=False)
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"

    # -- one round ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Do one batch of each kind of work; returns how many items were processed."""
        done = self.fan_out()
        done += self.deliver_to_handlers()
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
            subs = session.execute(
                select(WebhookSubscription.id, WebhookSubscription.event_types).where(
                    WebhookSubscription.active.is_(True)
                )
            ).all()
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
        known = self.bus.handler_names
        if not known:
            return 0
        uow = UnitOfWork(self.db, SYSTEM)
        with uow:
            session = uow.session
            stmt = (
                select(HandlerDelivery, OutboxEvent)
                .join(OutboxEvent, OutboxEvent.seq == HandlerDelivery.event_seq)
                .where(
                    HandlerDelivery.status == "pending",
                    HandlerDelivery.next_attempt_at <= clock.now(),
                    HandlerDelivery.handler.in_(known),
                )
                .order_by(HandlerDelivery.id)
                .limit(self.config.batch_size)
            )
            rows = session.execute(self._lock(stmt, HandlerDelivery)).all()
            if not rows:
                return 0
            failures: list[tuple[HandlerDelivery, str]] = []
            for delivery, event_row in rows:
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
                    failures.append((delivery, traceback.format_exc(limit=20)))
                    log.exception(
                        "handler failed", extra={"handler": delivery.handler, "event_id": event_row.event_id}
                    )
                    continue
                delivery.status = "done"
                delivery.attempts += 1
                delivery.completed_at = clock.now()
            for delivery, error in failures:
                self._handler_failed(delivery, error)
            uow.commit()
            return len(rows)

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
            self._post(item)
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
            response = self.http.post(item["url"], content=body, headers=headers)
            status_code = response.status_code
            excerpt = response.text[:1000]
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:2000]
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
        for job in self.jobs:
            if self._take_lease(job):
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


def _ensure_lease_row(session: Session, name: str) -> None:
    if session.get(JobLease, name) is None:
        insert_ignore(session, JobLease, [{"name": name}])
