"""GDPR: export everything held on a person in one document, and erase them.

Erasure deletes every source record, key, identifier, consent, account and search term of the
person (and of every customer merged into them), scrubs the merge audit trail of what it listed,
and keeps only an empty golden record (``status = erased``) so other domains' references still
resolve. ``customers.customer_erased`` then tells every other domain to erase its own data.
"""

from __future__ import annotations

from collections.abc import Mapping

import phonenumbers
from sqlalchemy import delete, or_, select, update

from comptoir.core import clock, erasure
from comptoir.core.api import CustomerSection
from comptoir.core.settings import Settings, get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import consents, golden, merging, notes, profiles, records, search, sessions
from comptoir.customers.events import CustomerErased
from comptoir.customers.models import (
    Account,
    ConsentStatement,
    Customer,
    DistinctPair,
    Identifier,
    Merge,
    Review,
    Segment,
    SourceRecord,
)
from comptoir.customers.normalisation import PERSON_FIELDS
from comptoir.customers.schemas import AccountOut, ErasureOut, ExportOut


def export(uow: UnitOfWork, customer_id: str, sections: Mapping[str, CustomerSection]) -> ExportOut:
    customer = profiles.active_customer(uow, customer_id)
    ledger = consents.consents_of(uow, customer.id)
    accounts = uow.session.scalars(select(Account).where(Account.customer_id == customer.id)).all()
    return ExportOut(
        exported_at=clock.now(),
        customer=golden.to_out(uow, customer),
        source_records=profiles.sources_of(uow, customer.id),
        consents=ledger.history,
        identifiers=profiles.identifiers_of(uow, customer.id),
        merges=merging.merges_of(uow, customer.id),
        accounts=[
            AccountOut(
                id=a.id,
                email=a.email,
                email_verified=a.email_verified,
                created_at=a.created_at,
                last_sign_in_at=a.last_sign_in_at,
            )
            for a in accounts
        ],
        notes=notes.notes_of(uow, customer.id, limit=None),
        sections=profiles.collect_sections(
            uow, customer.id, {k: v for k, v in sections.items() if k != "customers"}
        ),
    )


def phone_forms(e164: str) -> list[str]:
    """``+33612345678`` → itself, ``0612345678``, ``06 12 34 56 78``, ``+33 6 12 34 56 78``."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return [e164]
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return sorted({e164, national, national.replace(" ", ""), international, international.replace(" ", "")})


def personal_values(uow: UnitOfWork, ids: list[str]) -> tuple[list[str], list[str]]:
    """What identifies the person in text elsewhere, in every form it was given or kept: e-mails,
    phones (E.164, national, as typed), full names, cards (``values``); name parts (``names``)."""
    values: set[str] = set()
    names: set[str] = set()
    people = [
        dict(row._mapping)
        for model, where in ((SourceRecord, SourceRecord.customer_id), (Customer, Customer.id))
        for row in uow.session.execute(
            select(*(getattr(model, f) for f in PERSON_FIELDS)).where(where.in_(ids))
        )
    ]
    for person in people:
        for name in ("email", "loyalty_card", "street"):
            if person.get(name):
                values.add(str(person[name]))
        if person.get("phone"):
            values |= set(phone_forms(str(person["phone"])))
        given, family = person.get("given_name"), person.get("family_name")
        names |= {str(n) for n in (given, family) if n}
        if given and family:
            values |= {f"{given} {family}", f"{family} {given}"}
    for raw in uow.session.scalars(select(SourceRecord.raw).where(SourceRecord.customer_id.in_(ids))):
        for key in ("email", "phone", "loyalty_card"):
            if isinstance(raw.get(key), str):
                values.add(raw[key])
        names |= {raw[k] for k in ("given_name", "family_name") if isinstance(raw.get(k), str)}
    values |= set(uow.session.scalars(select(Account.email).where(Account.customer_id.in_(ids))))
    values |= set(uow.session.scalars(select(Identifier.value).where(Identifier.customer_id.in_(ids))))
    return sorted(values), sorted(names)


def erase(uow: UnitOfWork, customer_id: str, settings: Settings | None = None) -> ErasureOut:
    customer = profiles.active_customer(uow, customer_id)
    ids = [customer.id, *golden.merged_into(uow, customer.id)]
    rows = records.lock_customers(uow, ids)
    session = uow.session
    now = clock.now()
    audited = _merges_naming(uow, ids)
    values, names = personal_values(uow, ids)
    session.execute(delete(SourceRecord).where(SourceRecord.customer_id.in_(ids)))  # keys cascade
    session.execute(delete(Identifier).where(Identifier.customer_id.in_(ids)))
    session.execute(delete(Segment).where(Segment.customer_id.in_(ids)))
    session.execute(delete(ConsentStatement).where(ConsentStatement.customer_id.in_(ids)))
    session.execute(delete(Account).where(Account.customer_id.in_(ids)))  # one-time tokens cascade
    notes.erase_notes(uow, ids)
    sessions.end_sessions(uow, ids)  # the erased person's tokens stop working at once
    session.execute(delete(Review).where(or_(Review.customer_a.in_(ids), Review.customer_b.in_(ids))))
    session.execute(
        delete(DistinctPair).where(or_(DistinctPair.customer_a.in_(ids), DistinctPair.customer_b.in_(ids)))
    )
    session.execute(
        update(Merge).where(or_(Merge.survivor_id.in_(ids), Merge.id.in_(audited))).values(moved={})
    )
    for customer_id_ in ids:
        search.unindex_customer(uow, customer_id_)
        row = rows[customer_id_]
        for name in PERSON_FIELDS:
            setattr(row, name, None)
        row.lineage, row.quality_flags, row.locale = {}, [], None
        row.status, row.merged_into, row.erased_at = "erased", None, now
    session.flush()
    # The kernel's stores (event payloads, idempotency responses, delivery logs, mail files) are
    # scrubbed now, while the values are known: the event below carries ids only.
    erasure.redact(uow, settings or get_settings(), ids=ids, values=values, names=names)
    uow.record(CustomerErased(customer_id=customer.id, erased_ids=sorted(ids)))
    return ErasureOut(customer_id=customer.id, erased_ids=sorted(ids), erased_at=now)


def _merges_naming(uow: UnitOfWork, ids: list[str]) -> list[str]:
    """Undone merges into another customer whose audit lists one of ``ids``: an unmerge left a
    distinct pair between that survivor and the restored customer, which finds them."""
    pairs = uow.session.execute(
        select(DistinctPair.customer_a, DistinctPair.customer_b).where(
            DistinctPair.reason == "unmerged",
            or_(DistinctPair.customer_a.in_(ids), DistinctPair.customer_b.in_(ids)),
        )
    ).all()
    survivors = {a for a, b in pairs if b in ids} | {b for a, b in pairs if a in ids}
    if not survivors:
        return []
    wanted = set(ids)
    merges = uow.session.scalars(select(Merge).where(Merge.survivor_id.in_(survivors))).all()
    return [m.id for m in merges if wanted & set(m.merged_ids)]
