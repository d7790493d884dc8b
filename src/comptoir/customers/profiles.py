"""The golden record for touchpoints: read, create directly, rectify, segments, identifiers, 360° view."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import delete, insert, select

from comptoir.core import clock
from comptoir.core.api import CustomerSection
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict, check_version, not_found
from comptoir.core.pagination import Page, keyset_page
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import consents, golden, ingestion, merging, notes, records, search
from comptoir.customers.events import CustomerUpdated
from comptoir.customers.models import Customer, Identifier, SearchTerm, Segment, SourceRecord
from comptoir.customers.normalisation import PERSON_FIELDS
from comptoir.customers.schemas import (
    CustomerCreate,
    CustomerOut,
    CustomerPatch,
    CustomerRecord,
    CustomerSummary,
    CustomerView,
    IdentifierOut,
    IngestResult,
    SourceRecordOut,
)

log = logging.getLogger("comptoir.customers")


def resolve_id(uow: UnitOfWork, customer_id: str) -> str:
    """The surviving id of ``customer_id`` (itself unless merged away); 404 if unknown."""
    return records.resolve(uow, customer_id).id


def get_customer(uow: UnitOfWork, customer_id: str) -> CustomerOut:
    """The golden record; an id merged away gives the survivor's record; an erased one, an empty shell."""
    return golden.to_out(uow, records.resolve(uow, customer_id))


def get_customers(uow: UnitOfWork, customer_ids: Iterable[str]) -> dict[str, CustomerOut]:
    """:func:`get_customer` of many ids at once (a few queries), by the id asked for; unknown ids are
    left out."""
    wanted = set(customer_ids)
    rows = {c.id: c for c in uow.session.scalars(select(Customer).where(Customer.id.in_(wanted)))}
    found: dict[str, Customer] = {}
    for customer_id, row in rows.items():
        # an id merged away: its chain followed one by one (rare, and short)
        found[customer_id] = records.resolve(uow, customer_id) if row.status == "merged" else row
    outs = golden.to_outs(uow, list({c.id: c for c in found.values()}.values()))
    return {customer_id: outs[row.id] for customer_id, row in found.items()}


def active_customer(uow: UnitOfWork, customer_id: str) -> Customer:
    customer = records.resolve(uow, customer_id)
    if customer.status == "erased":
        raise Conflict(f"Customer {customer_id} was erased.", slug="customer-erased")
    return customer


def list_customers(
    uow: UnitOfWork, *, segment: str | None, cursor: str | None, limit: int
) -> Page[CustomerSummary]:
    stmt = select(Customer).where(Customer.status == "active")
    if segment:
        stmt = stmt.where(Customer.id.in_(select(Segment.customer_id).where(Segment.segment == segment)))
    rows, next_cursor = keyset_page(uow.session, stmt, Customer.id, cursor=cursor, limit=limit)
    summaries = search.summaries_of(uow, [r.id for r in rows])
    return Page[CustomerSummary](items=[summaries[r.id] for r in rows], next_cursor=next_cursor)


def _fields(body: CustomerCreate | CustomerPatch) -> dict[str, Any]:
    data: dict[str, Any] = {
        "given_name": body.given_name,
        "family_name": body.family_name,
        "email": body.email,
        "phone": body.phone,
        "birth_date": body.birth_date.isoformat() if body.birth_date else None,
    }
    if body.address is not None:
        data |= body.address.model_dump()
    if isinstance(body, CustomerCreate):
        data["loyalty_card"] = body.loyalty_card
    return data


def create_customer(uow: UnitOfWork, body: CustomerCreate, *, region: str | None = None) -> IngestResult:
    """Direct creation by staff: refused when invalid (422 naming the field), then matched like any
    record — creating an existing customer finds them instead of making a duplicate."""
    region = region or get_settings().default_region
    fields = _fields(body)
    ingestion.require_valid(fields, region)
    record = CustomerRecord(**fields, locale=body.locale, consents=body.consents)
    return ingestion.ingest(
        uow, "staff", record, raw=body.model_dump(mode="json", exclude_none=True), region=region
    )


def rectify(
    uow: UnitOfWork, customer_id: str, body: CustomerPatch, expected_version: int | None
) -> CustomerOut:
    """GDPR rectification: the corrected fields come in as a staff-verified record, which outranks the
    touchpoints' (source priority) so the golden record shows them, and the lineage says where from."""
    customer = active_customer(uow, customer_id)
    customer = records.lock_customers(uow, [customer.id])[customer.id]
    check_version(customer.version, expected_version)
    fields = {k: v for k, v in _fields(body).items() if v is not None}
    ingestion.require_valid(fields, get_settings().default_region)
    changed: list[str] = []
    if fields:
        ingestion.attach_record(uow, customer, "rectification", fields, email_verified="email" in fields)
        changed = golden.refresh(uow, customer)
    if body.locale is not None and customer.locale != body.locale:
        customer.locale = body.locale
        changed.append("locale")
    uow.session.flush()
    if changed:
        uow.record(CustomerUpdated(customer_id=customer.id, fields=changed))
    return golden.to_out(uow, customer)


def set_segments(uow: UnitOfWork, customer_id: str, segments: list[str]) -> CustomerOut:
    customer = active_customer(uow, customer_id)
    customer = records.lock_customers(uow, [customer.id])[customer.id]
    current = set(golden.segments_of(uow, customer.id))
    wanted = set(segments)
    if current != wanted:
        uow.session.execute(delete(Segment).where(Segment.customer_id == customer.id))
        if wanted:
            now = clock.now()
            uow.session.execute(
                insert(Segment),
                [{"customer_id": customer.id, "segment": s, "added_at": now} for s in sorted(wanted)],
            )
        customer.updated_at = clock.now()  # bumps the version: segments are part of the record
        uow.session.flush()
        uow.record(CustomerUpdated(customer_id=customer.id, fields=["segments"]))
    return golden.to_out(uow, customer)


def add_identifier(uow: UnitOfWork, customer_id: str, kind: str, value: str) -> IdentifierOut:
    """Record an external identifier (receipt number, POS customer number, loyalty card): staff search
    finds the customer by it. Idempotent; 409 if it already belongs to someone else."""
    customer = active_customer(uow, customer_id)
    value = value.strip()
    existing = uow.session.get(Identifier, (kind, value))
    if existing is not None:
        owner = records.resolve(uow, existing.customer_id).id
        if owner != customer.id:
            raise Conflict(f"The {kind} {value} belongs to another customer.", slug="identifier-taken")
    else:
        existing = Identifier(
            kind=kind,
            value=value,
            customer_id=customer.id,
            added_at=clock.now(),
            added_channel=uow.actor.channel,
        )
        uow.session.add(existing)
        uow.session.flush()
        insert_ignore(
            uow.session, SearchTerm, [{"term": search.identifier_term(value), "customer_id": customer.id}]
        )
    return IdentifierOut(kind=kind, value=value, customer_id=customer.id, added_at=existing.added_at)


def identifiers_of(uow: UnitOfWork, customer_id: str) -> list[IdentifierOut]:
    rows = uow.session.scalars(
        select(Identifier)
        .where(Identifier.customer_id == customer_id)
        .order_by(Identifier.kind, Identifier.value)
    ).all()
    return [
        IdentifierOut(kind=r.kind, value=r.value, customer_id=r.customer_id, added_at=r.added_at)
        for r in rows
    ]


def source_record_out(row: SourceRecord) -> SourceRecordOut:
    return SourceRecordOut(
        id=row.id,
        customer_id=row.customer_id,
        source=row.source,
        source_ref=row.source_ref,
        status=row.status,
        received_at=row.received_at,
        channel=row.created_channel,
        raw=dict(row.raw),
        normalised={f: getattr(row, f) for f in PERSON_FIELDS},
        flags=list(row.flags),
        email_verified=row.email_verified,
        match_decision=row.match_decision,
        match_score=row.match_score,
    )


def sources_of(uow: UnitOfWork, customer_id: str) -> list[SourceRecordOut]:
    rows = uow.session.scalars(
        select(SourceRecord)
        .where(SourceRecord.customer_id == customer_id)
        .order_by(SourceRecord.received_at.desc(), SourceRecord.id.desc())
    ).all()
    return [source_record_out(r) for r in rows]


def collect_sections(
    uow: UnitOfWork, customer_id: str, sections: Mapping[str, CustomerSection]
) -> dict[str, dict[str, Any]]:
    """Each domain's section; one that fails is reported as unavailable without spoiling the others."""
    out: dict[str, dict[str, Any]] = {}
    for name, section in sections.items():
        try:
            with uow.savepoint():
                out[name] = section(uow, customer_id)
        except Exception:
            log.exception("customer section failed", extra={"section": name, "customer_id": customer_id})
            out[name] = {"error": "This section is unavailable right now."}
    return out


def view_360(uow: UnitOfWork, customer_id: str, sections: Mapping[str, CustomerSection]) -> CustomerView:
    customer = records.resolve(uow, customer_id)
    if customer.status == "erased":
        raise not_found("Customer", customer_id)
    return CustomerView(
        customer=golden.to_out(uow, customer), sections=collect_sections(uow, customer.id, sections)
    )


def customer_section(uow: UnitOfWork, customer_id: str) -> dict[str, Any]:
    """This domain's own part of the 360° view: where the record comes from, consents, merges, the latest notes."""
    return {
        "sources": [
            {
                "id": s.id,
                "source": s.source,
                "received_at": s.received_at.isoformat(),
                "status": s.status,
                "flags": s.flags,
                "match_decision": s.match_decision,
                "match_score": s.match_score,
                "normalised": s.normalised,
            }
            for s in sources_of(uow, customer_id)
        ],
        "consents": consents.consents_of(uow, customer_id).model_dump(mode="json")["current"],
        "identifiers": [i.model_dump(mode="json") for i in identifiers_of(uow, customer_id)],
        "merges": [m.model_dump(mode="json") for m in merging.merges_of(uow, customer_id)],
        "open_reviews": [r.id for r in merging.reviews_involving(uow, customer_id)],
        "notes": [n.model_dump(mode="json") for n in notes.notes_of(uow, customer_id)],
    }
