"""The golden record: assembled from a customer's active source records by survivorship rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from comptoir.core.uow import UnitOfWork
from comptoir.customers import records, search
from comptoir.customers.models import Customer, Identifier, Segment
from comptoir.customers.normalisation import PERSON_FIELDS
from comptoir.customers.policies import SourceView, survive
from comptoir.customers.schemas import Address, CustomerOut


def refresh(uow: UnitOfWork, customer: Customer) -> list[str]:
    """Recompute ``customer`` from its source records, re-file it for search; the fields that changed."""
    views = records.active_records(uow, customer.id)
    person, lineage = survive(views)
    changed: list[str] = []
    for name in PERSON_FIELDS:
        value = getattr(person, name)
        if name == "birth_date":
            value = date.fromisoformat(value) if value else None
        if getattr(customer, name) != value:
            setattr(customer, name, value)
            changed.append(name)
    flags = sorted({flag for view in views for flag in view.flags})
    if customer.quality_flags != flags:
        customer.quality_flags = flags
        changed.append("quality_flags")
    if customer.lineage != lineage:
        customer.lineage = lineage
    reindex(uow, customer, views)
    return changed


def reindex(uow: UnitOfWork, customer: Customer, views: list[SourceView] | None = None) -> None:
    views = records.active_records(uow, customer.id) if views is None else views
    identifiers = list(
        uow.session.scalars(select(Identifier.value).where(Identifier.customer_id == customer.id))
    )
    people = [v.person for v in views]
    terms = search.terms_for(
        [
            customer.given_name,
            customer.family_name,
            *(p.given_name for p in people),
            *(p.family_name for p in people),
        ],
        [customer.email, *(p.email for p in people)],
        [customer.phone, *(p.phone for p in people)],
        [*identifiers, *(p.loyalty_card for p in people if p.loyalty_card)],
    )
    search.index_customer(uow, customer.id, terms)


def merged_into(uow: UnitOfWork, customer_id: str) -> list[str]:
    """Every customer id that resolves to ``customer_id`` (merged into it, directly or not)."""
    found: list[str] = []
    frontier = [customer_id]
    while frontier:
        children = list(
            uow.session.scalars(
                select(Customer.id).where(Customer.merged_into.in_(frontier), Customer.status == "merged")
            )
        )
        found.extend(children)
        frontier = children
    return sorted(found)


def segments_of(uow: UnitOfWork, customer_id: str) -> list[str]:
    return list(
        uow.session.scalars(
            select(Segment.segment).where(Segment.customer_id == customer_id).order_by(Segment.segment)
        )
    )


def to_out(uow: UnitOfWork, c: Customer) -> CustomerOut:
    return _out(c, segments_of(uow, c.id), merged_into(uow, c.id))


def to_outs(uow: UnitOfWork, rows: Sequence[Customer]) -> dict[str, CustomerOut]:
    """:func:`to_out` of many records in three queries, whatever their number (by id)."""
    ids = sorted({c.id for c in rows})
    segments: dict[str, list[str]] = defaultdict(list)
    merged: dict[str, list[str]] = defaultdict(list)
    if ids:
        query = select(Segment.customer_id, Segment.segment).where(Segment.customer_id.in_(ids))
        for customer_id, segment in uow.session.execute(query.order_by(Segment.segment)):
            segments[customer_id].append(segment)
        root = {customer_id: customer_id for customer_id in ids}  # each id merged away: whose it is now
        while root:
            children = uow.session.execute(
                select(Customer.id, Customer.merged_into).where(
                    Customer.merged_into.in_(list(root)), Customer.status == "merged"
                )
            ).all()
            root = {child: root[str(parent)] for child, parent in children}
            for child, owner in root.items():
                merged[owner].append(child)
    return {c.id: _out(c, segments[c.id], sorted(merged[c.id])) for c in rows}


def _out(c: Customer, segments: list[str], merged: list[str]) -> CustomerOut:
    has_address = any((c.street, c.postcode, c.city))
    return CustomerOut(
        id=c.id,
        status="erased" if c.status == "erased" else "active",
        given_name=c.given_name,
        family_name=c.family_name,
        display_name=search.display_name(c.given_name, c.family_name, c.email, c.id),
        email=c.email,
        phone=c.phone,
        birth_date=c.birth_date,
        address=Address(street=c.street, postcode=c.postcode, city=c.city, country=c.country)
        if has_address
        else None,
        loyalty_card=c.loyalty_card,
        segments=segments,
        locale=c.locale,
        quality_flags=list(c.quality_flags),
        lineage=dict(c.lineage),
        merged_ids=merged,
        created_at=c.created_at,
        updated_at=c.updated_at,
        version=c.version,
    )
