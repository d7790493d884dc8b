"""engagement: birthdays — the daily ``engagement.birthdays`` job enters each customer into the journeys
that follow ``engagement.birthday_reached`` (the built-in birthday journey) once a year, their wishes
planned at 10:00 on the day on the customer's own clock.

A run at instant T looks at the birthdays of today and tomorrow on every clock (a customer's time zone:
their overseas department's by postcode, else the retailer's). A birthday is told when its morning is still
to come (10:00 on the day, on the customer's clock, not before T): runs a day apart therefore see each
birthday at least once, and one seen twice is told once — whom was told of which year's birthday is
written with the event (``engagement_birthdays``, keyed by customer and year), so a second run or a second
worker finds them there, and the voucher's reference (the customer and the year) gives the same coupon
again. Someone born on 29 February celebrates on 28 February in common years.

The customers are read in pages through the customers domain — whose birthday it is through the birth
date's index (:func:`comptoir.customers.service.celebrating`), those without the opt-in the journey needs
left out by the database (:func:`comptoir.customers.service.audience_page`) — and each page is told in a
transaction of its own: the loyalty programme's birthday voucher
(:func:`comptoir.loyalty.service.birthday_gift`) and one ``engagement.birthday_reached`` event per customer,
which the journeys' handler turns into the message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core import clock
from comptoir.core.context import SYSTEM
from comptoir.core.db import Database
from comptoir.core.settings import Settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.engagement import audience, journeys
from comptoir.engagement.events import BirthdayReached
from comptoir.engagement.models import BirthdayTold
from comptoir.engagement.schemas import JourneyDefinition
from comptoir.loyalty import service as loyalty
from comptoir.stores import service as stores

WISHES_AT = 10 * 60  # 10:00 on the customer's clock, in minutes
PAGE = 1000
CONSENT_CHANNELS = ("email", "sms", "push")
_TRIGGER = BirthdayReached.event_type


@dataclass(frozen=True)
class Plan:
    """The opt-in every journey the event starts needs, on one of their channels (``None``: no filter by
    the database; the engine checks each journey's own)."""

    consent_purpose: str | None
    consent_channels: tuple[str, ...]


def occasion(year: int) -> str:
    """The subject of a customer's birthday of ``year`` (one per customer and year)."""
    return f"birthday-{year}"


def run(db: Database, settings: Settings, *, now: datetime | None = None) -> int:
    """One run (see the module's docstring); the number of customers told."""
    now = now or clock.now()
    with UnitOfWork(db, SYSTEM, read_only=True) as uow:
        plan = _plan(uow)
    if plan is None:
        return 0  # no journey follows birthdays: nobody is told, no voucher issued
    told = 0
    first, last = (now - timedelta(hours=14)).date(), (now + timedelta(hours=14)).date() + timedelta(days=1)
    day = first
    while day <= last:
        told += _day(db, settings, plan, day, now)
        day += timedelta(days=1)
    return told


def _plan(uow: UnitOfWork) -> Plan | None:
    started = [d for _, d in journeys.following(uow, BirthdayReached.event_type) if d.trigger == _TRIGGER]
    if not started:
        return None
    purposes = {_consent_of(d) for d in started}
    purpose = purposes.pop() if len(purposes) == 1 else None
    channels = {c for d in started for s in d.steps for c in s.channels if c in CONSENT_CHANNELS}
    return Plan(purpose, tuple(sorted(channels)))


def _consent_of(definition: JourneyDefinition) -> str | None:
    """The opt-in a journey's entry needs (``None``: none)."""
    if not definition.entry.consent_required or not audience.needs_consent(definition.purpose):
        return None
    return audience.consent_purpose(definition.purpose)


def _day(db: Database, settings: Settings, plan: Plan, day: date, now: datetime) -> int:
    """Tell the customers whose birthday is ``day`` and whose morning of it is still to come on their
    clock, a page per transaction."""
    told, after = 0, None
    while True:
        with UnitOfWork(db, SYSTEM) as uow:
            page = customers.celebrating(uow, day, after=after, limit=PAGE)
            if not page:
                return told
            told += _tell(uow, settings, plan, day, page, now)
            uow.commit()
        after = page[-1].id


def _zone(settings: Settings, postcode: str | None) -> ZoneInfo:
    name = (stores.overseas_timezone(postcode) if postcode else None) or settings.timezone
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Paris")


def _tell(
    uow: UnitOfWork,
    settings: Settings,
    plan: Plan,
    day: date,
    page: Sequence[customers.Member],
    now: datetime,
) -> int:
    due: dict[str, tuple[ZoneInfo, datetime]] = {}
    for member in page:
        zone = _zone(settings, member.postcode)
        today = now.astimezone(zone).date()
        wishes_at = clock.wall_to_utc(day, WISHES_AT, zone)
        if day in (today, today + timedelta(days=1)) and wishes_at >= now:
            due[member.id] = (zone, wishes_at)
    if due and plan.consent_purpose is not None and plan.consent_channels:
        consenting = customers.audience_page(
            uow,
            customer_ids=sorted(due),
            limit=len(due),
            consent_purpose=plan.consent_purpose,
            consent_channels=plan.consent_channels,
        )
        due = {m.id: due[m.id] for m in consenting}
    subject = occasion(day.year)
    first_time = _record(uow, [(customer_id, day.year) for customer_id in sorted(due)], now)
    for customer_id in sorted(first_time):
        zone, wishes_at = due[customer_id]
        gift = loyalty.birthday_gift(uow, customer_id, day.year, at=wishes_at)
        uow.record(
            BirthdayReached(
                customer_id=customer_id,
                occasion=subject,
                year=day.year,
                timezone=zone.key,
                birthday_at=wishes_at.isoformat(),
                voucher_code=gift.code if gift else None,
            )
        )
    return len(first_time)


def _record(uow: UnitOfWork, told: list[tuple[str, int]], now: datetime) -> set[str]:
    """Record these customers told of their birthday of a year; those not told before (a second run, or a
    second worker at the same time, finds them recorded and tells them nothing)."""
    if not told:
        return set()
    rows = [{"customer_id": c, "year": y, "told_at": now} for c, y in told]
    insert = pg_insert if uow.dialect == "postgresql" else sqlite_insert
    stmt = insert(BirthdayTold).on_conflict_do_nothing().returning(BirthdayTold.customer_id)
    return set(uow.session.scalars(stmt, rows))


def erase(uow: UnitOfWork, customer_ids: Sequence[str]) -> None:
    """Forget whom was told of their birthday (a person's erasure)."""
    uow.session.execute(delete(BirthdayTold).where(BirthdayTold.customer_id.in_(list(customer_ids))))
