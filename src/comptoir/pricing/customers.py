"""Pricing's copy of what it targets on a customer: the loyalty tier and the segments.

Loyalty issues its vouchers through pricing, so pricing must not call loyalty back: the tier arrives
with ``loyalty.tier_changed`` and is kept here, as the catalogue's SKU facts are (:mod:`.facts`). The
segments arrive with ``customers.customer_updated``; a customer whose segments were never copied is
asked of the customers domain on the spot (it owns them and depends on nobody).

A customer without a loyalty account has no tier here: tier promotions are for members.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from comptoir.core import clock
from comptoir.core.errors import InvalidInput, NotFound
from comptoir.core.uow import UnitOfWork
from comptoir.customers import service as customers
from comptoir.pricing.models import CustomerFacts, table

_T = table(CustomerFacts)


def _upsert(uow: UnitOfWork, customer_id: str, **values: object) -> None:
    row = {"customer_id": customer_id, "tier": None, "segments": None, "updated_at": clock.now(), **values}
    stmt = (pg_insert if uow.dialect == "postgresql" else sqlite_insert)(_T)
    changed = {name: getattr(stmt.excluded, name) for name in (*values, "updated_at")}
    uow.session.execute(stmt.on_conflict_do_update(index_elements=["customer_id"], set_=changed), [row])


def set_tier(uow: UnitOfWork, customer_id: str, tier: str | None) -> None:
    _upsert(uow, customer_id, tier=tier)


def copy_segments(uow: UnitOfWork, customer_id: str) -> None:
    """Copy the customer's segments as the customers domain has them now (gone: forgotten)."""
    try:
        segments = sorted(customers.segments_of(uow, customer_id))
    except NotFound:
        forget(uow, [customer_id])
        return
    _upsert(uow, customer_id, segments=segments)


def forget(uow: UnitOfWork, customer_ids: Sequence[str]) -> None:
    """Merged away or erased: nothing of them stays here."""
    if customer_ids:
        uow.session.execute(delete(_T).where(_T.c.customer_id.in_(list(customer_ids))))


def targeting(
    uow: UnitOfWork, customer_id: str | None, *, segments: bool, tier: bool
) -> tuple[frozenset[str], str | None]:
    """The customer's segments and tier, as far as the cached lists and promotions need them."""
    if customer_id is None or not (segments or tier):
        return frozenset(), None
    row = uow.session.connection().execute(select(_T).where(_T.c.customer_id == customer_id)).first()
    found: frozenset[str] = frozenset()
    if segments:
        if row is not None and row.segments is not None:
            found = frozenset(row.segments)
        else:
            try:
                found = frozenset(customers.segments_of(uow, customer_id))
            except NotFound as exc:
                raise InvalidInput(f"Customer {customer_id} does not exist.", field="customer_id") from exc
    return found, (row.tier if row is not None and tier else None)
