"""The consent ledger: statements per purpose and channel with source, time and proof; the latest wins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.uow import UnitOfWork
from comptoir.customers import records
from comptoir.customers.events import ConsentChanged
from comptoir.customers.models import ConsentStatement, Customer
from comptoir.customers.policies import CONSENT_CHANNELS, PURPOSES, Statement, current_consent
from comptoir.customers.schemas import ConsentIn, ConsentsOut, ConsentStatementOut


def _out(row: ConsentStatement) -> ConsentStatementOut:
    return ConsentStatementOut(
        purpose=row.purpose,
        channel=row.channel,
        granted=row.granted,
        stated_at=row.stated_at,
        recorded_at=row.recorded_at,
        source=row.source,
        proof=dict(row.proof),
    )


def _statements(uow: UnitOfWork, customer_id: str) -> list[ConsentStatement]:
    return list(
        uow.session.scalars(
            select(ConsentStatement)
            .where(ConsentStatement.customer_id == customer_id)
            .order_by(ConsentStatement.stated_at, ConsentStatement.id)
        )
    )


def record(
    uow: UnitOfWork, customer_id: str, statements: Sequence[ConsentIn], source: str
) -> list[ConsentStatementOut]:
    """Add statements to the ledger; each one that is now in force for its purpose and channel is published."""
    if not statements:
        return []
    now = clock.now()
    existing = [
        Statement(s.purpose, s.channel, s.granted, s.stated_at, s.id) for s in _statements(uow, customer_id)
    ]
    rows = []
    for statement in statements:
        stated_at = statement.stated_at or now
        if stated_at > now:
            raise InvalidInput("A consent cannot be stated in the future.", field="consents/stated_at")
        row = ConsentStatement(
            customer_id=customer_id,
            purpose=statement.purpose,
            channel=statement.channel,
            granted=statement.granted,
            stated_at=stated_at,
            recorded_at=now,
            source=source,
            proof=statement.proof,
            recorded_channel=uow.actor.channel,
            recorded_by_key=uow.actor.key_id,
        )
        uow.session.add(row)
        rows.append(row)
    uow.session.flush()
    ledger = existing + [Statement(r.purpose, r.channel, r.granted, r.stated_at, r.id) for r in rows]
    for row in rows:
        latest = max(
            (s for s in ledger if s.purpose == row.purpose and s.channel == row.channel),
            key=lambda s: (s.stated_at, s.seq),
        )
        if latest.seq == row.id:
            uow.record(
                ConsentChanged(
                    customer_id=customer_id,
                    purpose=row.purpose,
                    channel=row.channel,
                    granted=row.granted,
                    stated_at=row.stated_at.isoformat(),
                )
            )
    return [_out(r) for r in rows]


def _check(purpose: str, channel: str) -> None:
    if purpose not in PURPOSES:
        raise InvalidInput(f"Unknown purpose {purpose!r}: one of {', '.join(PURPOSES)}.", field="purpose")
    if channel not in CONSENT_CHANNELS:
        raise InvalidInput(
            f"Unknown channel {channel!r}: one of {', '.join(CONSENT_CHANNELS)}.", field="channel"
        )


def contactable(
    uow: UnitOfWork, customer_ids: Iterable[str], purpose: str, channel: str, at: datetime | None = None
) -> set[str]:
    """Those of ``customer_ids`` (active, surviving ids) that :func:`may_contact` allows, in one query."""
    _check(purpose, channel)
    ids = sorted(set(customer_ids))
    if not ids:
        return set()
    rows = uow.session.execute(
        select(
            ConsentStatement.customer_id,
            ConsentStatement.purpose,
            ConsentStatement.channel,
            ConsentStatement.granted,
            ConsentStatement.stated_at,
            ConsentStatement.id,
        ).where(
            ConsentStatement.customer_id.in_(ids),
            ConsentStatement.purpose == purpose,
            ConsentStatement.channel == channel,
            ConsentStatement.stated_at <= (at or clock.now()),
        )
    ).all()
    ledgers: dict[str, list[Statement]] = defaultdict(list)
    for customer_id, purpose_, channel_, granted, stated_at, seq in rows:
        ledgers[customer_id].append(Statement(purpose_, channel_, granted, stated_at, seq))
    active = set(
        uow.session.scalars(select(Customer.id).where(Customer.id.in_(ids), Customer.status == "active"))
    )
    return {c for c, ledger in ledgers.items() if c in active and current_consent(ledger, purpose, channel)}


def consents_of(uow: UnitOfWork, customer_id: str) -> ConsentsOut:
    rows = _statements(uow, customer_id)
    latest: dict[tuple[str, str], ConsentStatement] = {}
    for row in rows:  # ordered by time: the last one seen wins
        latest[(row.purpose, row.channel)] = row
    return ConsentsOut(
        customer_id=customer_id,
        current=[_out(latest[k]) for k in sorted(latest)],
        history=[_out(r) for r in reversed(rows)],
    )


def may_contact(
    uow: UnitOfWork, customer_id: str, purpose: str, channel: str, at: datetime | None = None
) -> bool:
    """May we contact the customer for ``purpose`` on ``channel`` at ``at`` (default now)? Opt-in: no
    statement means no; an erased customer is never contacted."""
    _check(purpose, channel)
    customer = records.resolve(uow, customer_id)
    if customer.status != "active":
        return False
    at = at or clock.now()
    rows = uow.session.execute(
        select(
            ConsentStatement.purpose,
            ConsentStatement.channel,
            ConsentStatement.granted,
            ConsentStatement.stated_at,
            ConsentStatement.id,
        )
        .where(
            ConsentStatement.customer_id == customer.id,
            ConsentStatement.purpose == purpose,
            ConsentStatement.channel == channel,
            ConsentStatement.stated_at <= at,
        )
        .order_by(ConsentStatement.stated_at.desc(), ConsentStatement.id.desc())
        .limit(1)
    ).all()
    return current_consent((Statement(*r) for r in rows), purpose, channel)
