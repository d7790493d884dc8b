"""customers: an audience read in bulk — the active customers in segments, with an opt-in, or named —
one keyset page at a time, for the domains that write to many customers at once (a journey launched to a
segment: :mod:`comptoir.engagement.launches`).

One statement per page, in customer id order (the primary key's), the conditions evaluated by the
database: a segment is an ``EXISTS`` on ``customers_segments``' primary key, an opt-in the latest
statement of the ledger for the purpose on one of the channels (the ledger's own rule: the latest
statement wins, none means no), read through ``ix_customers_consents_latest``. What comes back is what
a message's timing needs (the postcode tells the overseas departments' time zones) — no name, no address.
A merged or erased customer is never in an audience (their survivor is).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, exists, or_, select, true

from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.customers.models import ConsentStatement, Customer, Segment, table
from comptoir.customers.policies import CONSENT_CHANNELS, PURPOSES

MAX_PAGE = 20_000

_C = table(Customer)
_S = table(Segment)
_L = table(ConsentStatement)


class Member(NamedTuple):
    """A customer of an audience: their id and where they live, as far as a time zone goes."""

    id: str
    postcode: str | None
    country: str | None


def audience_page(
    uow: UnitOfWork,
    *,
    after: str | None = None,
    limit: int = 5000,
    segments: Sequence[Sequence[str]] = (),
    consent_purpose: str | None = None,
    consent_channels: Sequence[str] = (),
    customer_ids: Sequence[str] | None = None,
    at: datetime | None = None,
) -> list[Member]:
    """The next ``limit`` active customers after id ``after`` (in id order) who are in one segment of each
    group of ``segments``, have an opt-in for ``consent_purpose`` on one of ``consent_channels`` at
    ``at`` (now by default) when a purpose is given, and are among ``customer_ids`` when given. An empty
    page: nobody after ``after``."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"An audience page holds 1 to {MAX_PAGE} customers.", field="limit")
    if customer_ids is not None and not customer_ids:
        return []
    stmt = select(_C.c.id, _C.c.postcode, _C.c.country).where(_C.c.status == "active")
    if after is not None:
        stmt = stmt.where(_C.c.id > after)
    if customer_ids is not None:
        stmt = stmt.where(_C.c.id.in_(sorted(set(customer_ids))))
    for group in segments:
        stmt = stmt.where(exists().where(_S.c.customer_id == _C.c.id, _S.c.segment.in_(sorted(set(group)))))
    if consent_purpose is not None:
        stmt = stmt.where(_opted_in(consent_purpose, consent_channels, at or clock.now()))
    rows = uow.session.execute(stmt.order_by(_C.c.id).limit(limit)).all()
    return [Member(*row) for row in rows]


def _opted_in(purpose: str, channels: Sequence[str], at: datetime) -> ColumnElement[Any]:
    """The ledger's latest statement for ``purpose`` on one of ``channels`` grants it."""
    if purpose not in PURPOSES:
        raise InvalidInput(f"Unknown purpose {purpose!r}: one of {', '.join(PURPOSES)}.", field="purpose")
    unknown = [c for c in channels if c not in CONSENT_CHANNELS]
    if unknown or not channels:
        raise InvalidInput(
            f"Consent channels are some of {', '.join(CONSENT_CHANNELS)}.", field="consent_channels"
        )
    latest = [
        select(_L.c.granted)
        .where(
            _L.c.customer_id == _C.c.id,
            _L.c.purpose == purpose,
            _L.c.channel == channel,
            _L.c.stated_at <= at,
        )
        .order_by(_L.c.stated_at.desc(), _L.c.id.desc())
        .limit(1)
        .scalar_subquery()
        for channel in sorted(set(channels))
    ]
    return or_(*(granted == true() for granted in latest))
