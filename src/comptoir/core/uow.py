"""Unit of work: one transaction per command, events written to the outbox in that transaction.

Services receive a unit of work, change state, ``record`` events and return schemas; they never
commit. The caller (a route, a handler, a CLI command) commits once. Leaving the block without a
commit rolls everything back, so a failed command leaves nothing half-written.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, cast

from sqlalchemy import Table, insert
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from comptoir.core import clock
from comptoir.core.context import SYSTEM, Actor
from comptoir.core.db import Database, Provenance
from comptoir.core.events import DomainEvent
from comptoir.core.models import OutboxEvent, StaffAudit

_OUTBOX_INSERT = insert(cast(Table, OutboxEvent.__table__))
_AUDIT_INSERT = insert(cast(Table, StaffAudit.__table__))

# Set whenever a commit wrote events, so an in-process dispatcher wakes up at once.
events_written = threading.Event()


class UnitOfWork:
    def __init__(self, db: Database, actor: Actor = SYSTEM, *, read_only: bool = False) -> None:
        self.db = db
        self.actor = actor
        self.read_only = read_only
        self._events: list[list[DomainEvent]] = [[]]
        self._session: Session | None = None
        self.committed = False

    # -- context management ---------------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        factory = self.db.reader if self.read_only else self.db.writer
        self._session = factory()
        self._session.info["actor"] = self.actor
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self.committed:
                self.rollback()
        finally:
            assert self._session is not None
            self._session.close()
            self._session = None

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    @property
    def dialect(self) -> str:
        return self.db.dialect

    # -- events ---------------------------------------------------------------------------------
    def record(self, *events: DomainEvent) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot record events")
        self._events[-1].extend(events)

    @property
    def pending_events(self) -> list[DomainEvent]:
        return [e for frame in self._events for e in frame]

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: on error its changes and its recorded events are both discarded."""
        nested = self.session.begin_nested()
        self._events.append([])
        try:
            yield
        except BaseException:
            self._events.pop()
            if nested.is_active:
                nested.rollback()
            raise
        else:
            frame = self._events.pop()
            nested.commit()
            self._events[-1].extend(frame)

    # -- transaction ------------------------------------------------------------------------------
    def flush_events(self) -> int:
        events = self.pending_events
        if not events:
            return 0
        recorded_at = clock.now()
        rows: list[dict[str, Any]] = [
            {
                "event_id": e.event_id,
                "type": e.event_type,
                "occurred_at": e.occurred_at,
                "recorded_at": recorded_at,
                "channel": self.actor.channel,
                "api_key_id": self.actor.principal_id,  # the key, or the employee acting
                "request_id": self.actor.request_id,
                "payload": e.data(),
                "fanned_out": False,
            }
            for e in events
        ]
        # A plain table insert: the ORM's bulk path cost a sixth of a checkout's CPU for the same rows.
        self.session.connection().execute(_OUTBOX_INSERT, rows)
        self._events = [[]]
        return len(rows)

    def commit(self) -> None:
        if self.actor.staff_id is not None:
            self._audit()
        written = self.flush_events()
        self.session.commit()
        self.committed = True
        if written:
            events_written.set()

    def _audit(self) -> None:
        """Every write of an employee records who they are, with the facts it recorded."""
        events = [{"type": e.event_type, "id": e.event_id} for e in self.pending_events]
        self.session.connection().execute(
            _AUDIT_INSERT,
            {
                "at": clock.now(),
                "person_id": self.actor.staff_id,
                "role": self.actor.role or "",
                "channel": self.actor.channel,
                "request_id": self.actor.request_id,
                "events": events,
            },
        )

    def rollback(self) -> None:
        self._events = [[]]
        if self._session is not None:
            self._session.rollback()


def _stamp_provenance(session: Session, _flush_context: Any, _instances: Any) -> None:
    actor: Actor = session.info.get("actor", SYSTEM)
    now = clock.now()
    for obj in session.new:
        if isinstance(obj, Provenance):
            if getattr(obj, "created_at", None) is None:
                obj.created_at = now
            obj.updated_at = now
            obj.created_channel = obj.updated_channel = actor.channel
            obj.created_by_key = obj.updated_by_key = actor.principal_id
    for obj in session.dirty:
        if isinstance(obj, Provenance) and session.is_modified(obj, include_collections=False):
            obj.updated_at = now
            obj.updated_channel = actor.channel
            obj.updated_by_key = actor.principal_id


sa_event.listen(Session, "before_flush", _stamp_provenance)
