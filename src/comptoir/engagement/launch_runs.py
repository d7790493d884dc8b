"""engagement: running a launch — its audience entered batch after batch, resumable, by one process at a
time (see :mod:`comptoir.engagement.launches` for what a launch is).

Whoever runs a launch holds its lease (:data:`LEASE`): taken by a guarded ``UPDATE`` when free or lapsed,
renewed by each batch, let go when the run stops before the end (a budget spent). A process that lost it
(killed, or too slow to renew it) writes nothing more: each batch's progress is a guarded ``UPDATE`` on the
holder, in the batch's own transaction, and a batch that finds another holder rolls back.

The main thread reads the audience page after page (a short read-only transaction each); on PostgreSQL
:data:`WRITERS` threads write the pages, each on its own connection — the database works on two batches
at once, on both cores — and commit **in page order**: a batch's inserts run while the one before it is
still being written, but it records its progress and commits only once that one has committed (and rolls
back if it failed). So the launch's cursor — the last customer id of the last committed batch — always
has every customer before it entered: a launch interrupted anywhere resumes from it, and redoes at most
the batches that had not committed (the instances' unique key keeps anyone from entering twice). SQLite
has one writer at a time: its batches are written one after the other.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import or_, select, text, update

from comptoir.core import clock
from comptoir.core.context import SYSTEM, Actor
from comptoir.core.db import Database
from comptoir.core.errors import NotFound
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import journeys, launch_writes, launches
from comptoir.engagement.models import Launch
from comptoir.engagement.schemas import Audience, AudienceCount, LaunchIn, LaunchOut

LEASE = timedelta(minutes=2)  # renewed by each batch; a lapsed one is taken over
JOB_SLICE = 20.0  # seconds of launching per round of the worker's job
WRITERS = 2  # batches written at once on PostgreSQL (the machines it runs on have two cores or more)

Outcome = Literal["committed", "lost", "failed"]


@dataclass
class _Page:
    """A page of the audience on its way to the database, and what became of it."""

    number: int
    members: Sequence[customers.Member]
    last: str | None  # the cursor after it
    more: bool  # whether pages may follow
    done: threading.Event = field(default_factory=threading.Event)
    outcome: Outcome = "failed"


def run(
    db: Database,
    settings: Settings,
    launch_id: str,
    *,
    max_batches: int | None = None,
    seconds: float | None = None,
    batch: int = launches.BATCH,
    writers: int | None = None,
) -> LaunchOut:
    """Run the launch from where it stopped until it is done, or ``max_batches`` batches, or ``seconds``
    spent (then its lease is let go: the worker's job goes on with it). A launch another process runs
    (its lease is current) or done is left as it is. Returns the launch as it then is."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    if not _claim(db, launch_id, holder):
        return launches.get_launch_in(db, launch_id)
    try:
        _run(db, settings, launch_id, holder, max_batches, seconds, batch, writers)
    except BaseException:
        _release(db, launch_id, holder)  # another process takes it over at once
        raise
    return launches.get_launch_in(db, launch_id)


def _run(
    db: Database,
    settings: Settings,
    launch_id: str,
    holder: str,
    max_batches: int | None,
    seconds: float | None,
    batch: int,
    writers: int | None,
) -> None:
    started = time.monotonic()
    plan, who, after = _prepare(db, settings, launch_id)
    lanes = max(1, writers or WRITERS) if db.is_postgres else 1
    pages: list[_Page] = []
    futures: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="launch") as pool:
        while True:
            with UnitOfWork(db, SYSTEM, read_only=True) as uow:
                members, after, more = launches.page(uow, who, after, batch)
            page = _Page(len(pages), members, after, more)
            futures.append(pool.submit(_write, db, plan, holder, page, pages[-1] if pages else None))
            pages.append(page)
            if len(pages) >= lanes:
                pages[-lanes].done.wait()  # at most `lanes` batches in the database at once
            stopped = any(p.done.is_set() and p.outcome != "committed" for p in pages)
            over_time = seconds is not None and time.monotonic() - started >= seconds
            if not more or stopped or over_time or (max_batches is not None and len(pages) >= max_batches):
                break
    for future in futures:
        future.result()  # a batch's error, raised here
    if pages[-1].more and pages[-1].outcome == "committed":
        _release(db, launch_id, holder)  # a budget spent: the worker goes on with it


def _prepare(
    db: Database, settings: Settings, launch_id: str
) -> tuple[launch_writes.Plan, launches.Who, str | None]:
    """The launch's plan (the journey's version, the steps' times per zone), its audience, its cursor."""
    with UnitOfWork(db, SYSTEM, read_only=True) as uow:
        row = launches.row_of(uow, launch_id)
        definition = journeys.definition_at(uow, row.journey_code, row.version)
        if definition is None:
            raise NotFound(f"Journey {row.journey_code} version {row.version} no longer exists.")
        audience = Audience.model_validate(row.audience)
        who = launches.who_of(uow, definition, audience)
        plan = launch_writes.Plan(
            launch_id, definition, row.version, row.created_at, settings.timezone, reenter=audience.reenter
        )
        return plan, who, row.resume_after


def _write(db: Database, plan: launch_writes.Plan, holder: str, page: _Page, previous: _Page | None) -> None:
    """Write one page in its own transaction, and commit it once the page before it has committed (the
    outcome, whatever it is, is told to the page after it)."""
    try:
        with UnitOfWork(db, SYSTEM) as uow:
            if uow.dialect == "postgresql":
                # A launch's batch may be lost by a crash as long as its cursor goes with it: it is redone.
                uow.session.execute(text("SET LOCAL synchronous_commit TO off"))
            now = clock.now()
            entered, messages = launch_writes.enter(uow, plan, page.members, now)
            if previous is not None:
                previous.done.wait()
                if previous.outcome != "committed":
                    page.outcome = "lost" if previous.outcome == "lost" else "failed"
                    return  # nothing after a batch that did not commit: the unit of work rolls back
            progress: dict[str, Any] = {
                "resume_after": page.last,
                "matched": Launch.matched + len(page.members),
                "entered": Launch.entered + entered,
                "messages": Launch.messages + messages,
                "batches": Launch.batches + 1,
                "lease_until": now + LEASE,
            }
            if not page.more:
                progress |= {"state": "done", "running_key": None, "finished_at": now, "lease_until": None}
            moved = uow.session.execute(
                update(Launch)
                .where(Launch.id == plan.launch_id, Launch.holder == holder, Launch.state == "running")
                .values(**progress)
            )
            if not moved.rowcount:  # type: ignore[attr-defined]
                page.outcome = "lost"
                return
            uow.commit()
            page.outcome = "committed"
    finally:
        page.done.set()


def _claim(db: Database, launch_id: str, holder: str) -> bool:
    with UnitOfWork(db, SYSTEM) as uow:
        now = clock.now()
        claimed = uow.session.execute(
            update(Launch)
            .where(
                Launch.id == launch_id,
                Launch.state == "running",
                or_(Launch.lease_until.is_(None), Launch.lease_until < now),
            )
            .values(holder=holder, lease_until=now + LEASE)
        )
        if claimed.rowcount:  # type: ignore[attr-defined]
            uow.session.execute(
                update(Launch)
                .where(Launch.id == launch_id, Launch.started_at.is_(None))
                .values(started_at=now)
            )
        uow.commit()
        return bool(claimed.rowcount)  # type: ignore[attr-defined]


def _release(db: Database, launch_id: str, holder: str) -> None:
    with UnitOfWork(db, SYSTEM) as uow:
        uow.session.execute(
            update(Launch).where(Launch.id == launch_id, Launch.holder == holder).values(lease_until=None)
        )
        uow.commit()


def resume(db: Database, settings: Settings, *, seconds: float = JOB_SLICE) -> int:
    """The worker's job: go on with the launches still running whose lease is free or lapsed (the oldest
    first) for at most ``seconds``; returns how many it worked on."""
    started, worked = time.monotonic(), 0
    with UnitOfWork(db, SYSTEM, read_only=True) as uow:
        now = clock.now()
        waiting = list(
            uow.session.scalars(
                select(Launch.id)
                .where(Launch.state == "running", or_(Launch.lease_until.is_(None), Launch.lease_until < now))
                .order_by(Launch.created_at)
                .limit(20)
            )
        )
    for launch_id in waiting:
        left = seconds - (time.monotonic() - started)
        if left <= 0:
            break
        run(db, settings, launch_id, seconds=left)
        worked += 1
    return worked


INLINE_BATCHES = 1  # the batches a request runs before it answers (an audience up to BATCH: all of it)


def start(
    db: Database,
    settings: Settings,
    actor: Actor,
    code: str,
    body: LaunchIn,
    *,
    inline_batches: int | None = INLINE_BATCHES,
) -> LaunchOut | AudienceCount:
    """Launch journey ``code`` to ``body.audience`` on behalf of ``actor`` (recorded and committed), then
    run its first ``inline_batches`` batches (``None``: all of them) here — a small audience is done when
    this returns, a larger one goes on in the worker. A dry run only counts."""
    with UnitOfWork(db, actor, read_only=body.dry_run) as uow:
        created = launches.create(uow, code, body, actor.principal_id or "")
        if not body.dry_run:
            uow.commit()
    if isinstance(created, AudienceCount) or inline_batches == 0:
        return created
    return run(db, settings, created.id, max_batches=inline_batches)
