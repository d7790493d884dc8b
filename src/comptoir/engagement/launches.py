"""engagement: a journey launched to an audience — a campaign: "everyone in segment X, or of tier Y, with an
opt-in for marketing enters journey J now" — set-based, so that a million customers enter and get their
steps scheduled (a J+30 at 10:00 on each customer's clock) in under a minute:
``bench/_engagement_launch.py`` enters a million customers and schedules their two messages in 51 s on the
two-core machine, PostgreSQL on the same cores (59,000 rows written per second, where bare multi-row
inserts write 25,000).

A launch (``POST /v1/engagement/journeys/{code}/launches``, ``comptoir engagement launch``) names a journey
whose trigger is ``engagement.launched`` (:mod:`comptoir.engagement.launch_journeys`) and an audience
(:class:`~comptoir.engagement.schemas.Audience`): segments, loyalty tiers, named customers or everyone,
with or without the opt-in — and the journey's own entry conditions on top. It is recorded
(``engagement_launches``) with one ``engagement.launched`` event — never one event per customer — and
then run in batches of :data:`BATCH` customers, each in a transaction of its own:

1. the next page of the audience, in customer id order, read through the customers domain
   (:func:`comptoir.customers.service.audience_page`: segments and the ledger's opt-ins are evaluated by
   the database), the loyalty tiers through the loyalty domain (:func:`comptoir.loyalty.service.tiers_of`);
2. their instances and messages written set-based (:mod:`comptoir.engagement.launch_writes`): the
   instance's unique key (journey, customer, subject — the subject is the launch) enters nobody twice;
3. the launch's progress in the same transaction: the last customer id reached, the counts.

A batch commits alone, so a launch never holds a long transaction (the sender's work goes on between two
batches), and a launch interrupted — the process killed, the server restarted — resumes from the last
customer its last committed batch reached (:mod:`comptoir.engagement.launch_runs`: a lease renewed by each
batch, taken over once lapsed; on PostgreSQL two batches written at once, committed in order). Where it
runs: the request that creates a launch runs its first batch at once — an audience of up to :data:`BATCH`
customers is done when the answer comes (201), which is what a launch to a segment of a few thousand is;
a larger one answers at once all the same (202, ``running``) and goes on in the worker, whose
``engagement.launches`` job works on it in slices of 20 seconds so that the dispatcher's other work (the
mail queue, the handlers) waits no longer than that; ``comptoir engagement launch`` runs it to its end in
the command's own process.

Entry conditions only filter: consent is checked again by the sender when each message is due
(:mod:`comptoir.engagement.sending`), and a withdrawal in between stops the message. A customer enters a
journey once: launched again to the same audience (or an overlapping one), it enters only those not in
it yet — unless the launch says ``reenter`` (a new season's newsletter to the same segment: everyone of
the audience enters again, under the new launch). One launch of a journey runs at a time (a second one
answers 409 until the first is done), so two launches never race to enter the same customer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database, insert_ignore
from comptoir.core.errors import Conflict, InvalidInput, NotFound, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, paginate
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import audience as engagement_audience
from comptoir.engagement import journeys, launch_journeys
from comptoir.engagement.events import JourneyLaunched
from comptoir.engagement.models import Launch
from comptoir.engagement.schemas import Audience, AudienceCount, JourneyDefinition, LaunchIn, LaunchOut
from comptoir.loyalty import service as loyalty

BATCH = 10_000  # customers per transaction


@dataclass(frozen=True)
class Who:
    """The audience and the journey's entry conditions, as the customers' and loyalty's reads take them."""

    segments: tuple[tuple[str, ...], ...]  # in one segment of each group
    tiers: frozenset[str] | None  # of one of these tiers (None: any)
    consent_purpose: str | None  # the ledger's purpose an opt-in is needed for (None: none needed)
    consent_channels: tuple[str, ...]
    customer_ids: tuple[str, ...] | None  # these customers only


# -- launching ------------------------------------------------------------------------------------------


def create(
    uow: UnitOfWork, code: str, body: LaunchIn, author: str, *, batch: int = BATCH
) -> LaunchOut | AudienceCount:
    """Record a launch of journey ``code`` to ``body.audience`` (its customers enter as it runs, see
    :func:`comptoir.engagement.launch_runs.run`), or only count them (``dry_run``). 404 for an unknown
    journey, 422 naming the field for a journey that is not launched or paused, an unknown tier or
    customer; 409 while another launch of the journey runs."""
    version, definition = _launchable(uow, code)
    _check_audience(uow, body.audience)
    if body.dry_run:
        who = who_of(uow, definition, body.audience)
        total, after = 0, None
        while True:
            members, after, more = page(uow, who, after, batch)
            total += len(members)
            if not more:
                break
        return AudienceCount(journey_code=code, version=version, audience=body.audience, matched=total)
    launch_id = new_id("lau")
    values = {
        "id": launch_id,
        "journey_code": code,
        "version": version,
        "audience": body.audience.model_dump(mode="json"),
        "state": "running",
        "running_key": code,  # one launch of a journey at a time
        "resume_after": None,
        "matched": 0,
        "entered": 0,
        "messages": 0,
        "batches": 0,
        "lease_until": None,
        "holder": "",
        "created_at": clock.now(),
        "started_at": None,
        "finished_at": None,
        "created_by": author[:120],
    }
    if not insert_ignore(uow.session, Launch, [values]):  # another one runs (a racing one waits for it)
        running = uow.session.scalar(select(Launch.id).where(Launch.running_key == code))
        raise Conflict(
            f"Launch {running or ''} of journey {code} is still running: launch again once it is done "
            "(GET /v1/engagement/launches/{id}).",
            slug="launch-running",
        )
    row = row_of(uow, launch_id)
    uow.record(JourneyLaunched(launch_id=row.id, journey_code=code, version=version))
    return out_of(row)


def _launchable(uow: UnitOfWork, code: str) -> tuple[int, JourneyDefinition]:
    journey = journeys.get_journey(uow, code)  # 404 when unknown
    definition = journey.definition
    if not launch_journeys.is_launched(definition):
        raise InvalidInput(
            f"Journey {code} starts on {definition.trigger}: only a journey whose trigger is "
            f"{launch_journeys.TRIGGER} is launched to an audience.",
            errors=[{"parameter": "code", "in": "path", "detail": "not a launched journey"}],
        )
    if not definition.active:
        raise InvalidInput(
            f"Journey {code} is paused: make it active before launching it.",
            errors=[{"parameter": "code", "in": "path", "detail": "paused"}],
        )
    return journey.version, definition


def _check_audience(uow: UnitOfWork, audience: Audience) -> None:
    """422 naming the field for a tier the programme does not have or a customer no record knows."""
    tiers = {t.code for t in loyalty.programme_rules(uow).tiers}
    for n, tier in enumerate(audience.loyalty_tiers):
        if tier not in tiers:
            known = ", ".join(sorted(tiers)) or "none: the programme has no tiers"
            raise InvalidInput(
                f"Unknown loyalty tier {tier} (known: {known}).", field=f"audience/loyalty_tiers/{n}"
            )
    for n, customer_id in enumerate(audience.customer_ids):
        try:
            customers.resolve_id(uow, customer_id)
        except NotFound:
            raise InvalidInput(
                f"Customer {customer_id} does not exist.", field=f"audience/customer_ids/{n}"
            ) from None


def who_of(uow: UnitOfWork, definition: JourneyDefinition, audience: Audience) -> Who:
    entry = definition.entry
    segments = tuple(tuple(group) for group in (audience.segments_any, entry.segments_any) if group)
    tier_sets = [frozenset(t) for t in (audience.loyalty_tiers, entry.loyalty_tiers) if t]
    tiers = frozenset.intersection(*tier_sets) if tier_sets else None
    consent = (audience.consent_required or entry.consent_required) and engagement_audience.needs_consent(
        definition.purpose
    )
    channels = sorted({c for s in definition.steps if s.on is None for c in s.channels})
    ids: tuple[str, ...] | None = None
    if audience.customer_ids:
        found = set()
        for customer_id in audience.customer_ids:
            try:
                found.add(customers.resolve_id(uow, customer_id))  # a merged id: its survivor
            except NotFound:
                continue  # gone since the launch was made
        ids = tuple(sorted(found))
    return Who(
        segments=segments,
        tiers=tiers,
        consent_purpose=engagement_audience.consent_purpose(definition.purpose) if consent else None,
        consent_channels=tuple(channels),
        customer_ids=ids,
    )


def page(
    uow: UnitOfWork, who: Who, after: str | None, limit: int
) -> tuple[list[customers.Member], str | None, bool]:
    """The audience's next page: its members, the last customer id read (the cursor), whether more may
    follow."""
    members = customers.audience_page(
        uow,
        after=after,
        limit=limit,
        segments=who.segments,
        consent_purpose=who.consent_purpose,
        consent_channels=who.consent_channels,
        customer_ids=who.customer_ids,
    )
    last = members[-1].id if members else after
    more = len(members) == limit
    if who.tiers is not None and members:
        tiers = loyalty.tiers_of(uow, [m.id for m in members])
        members = [m for m in members if tiers.get(m.id) in who.tiers]
    return members, last, more


# -- reading ----------------------------------------------------------------------------------------------


def row_of(uow: UnitOfWork, launch_id: str) -> Launch:
    row = uow.session.get(Launch, launch_id)
    if row is None:
        raise not_found("Launch", launch_id)
    return row


def out_of(row: Launch) -> LaunchOut:
    seconds = None
    if row.started_at is not None and row.finished_at is not None:
        seconds = round((row.finished_at - row.started_at).total_seconds(), 3)
    return LaunchOut(
        id=row.id,
        journey_code=row.journey_code,
        version=row.version,
        audience=Audience.model_validate(row.audience),
        state="done" if row.state == "done" else "running",
        matched=row.matched,
        entered=row.entered,
        messages=row.messages,
        batches=row.batches,
        created_at=row.created_at,
        started_at=row.started_at,
        finished_at=row.finished_at,
        seconds=seconds,
    )


def get_launch(uow: UnitOfWork, launch_id: str) -> LaunchOut:
    return out_of(row_of(uow, launch_id))


def get_launch_in(db: Database, launch_id: str) -> LaunchOut:
    with UnitOfWork(db, SYSTEM, read_only=True) as uow:
        return get_launch(uow, launch_id)


def list_launches(
    uow: UnitOfWork, *, journey_code: str | None = None, cursor: str | None = None, limit: int = 50
) -> Page[LaunchOut]:
    """The launches, newest first (of one journey when asked)."""
    stmt = select(Launch)
    if journey_code is not None:
        stmt = stmt.where(Launch.journey_code == journey_code)
    return paginate(uow.session, stmt, Launch.id, cursor=cursor, limit=limit, convert=out_of, descending=True)
