"""Ingestion: every record from a touchpoint is kept verbatim, normalised, and matched at once.

Matching a record costs a few index lookups (its blocking keys), one vectorised scoring of the
candidates found (:func:`~comptoir.customers.matching.score_pairs`, as in batch dedupe) and a
decision per candidate customer: auto-merge, staff review, or nothing. A record that reaches the
auto-merge threshold with several customers joins them all (clusters are transitive) unless staff
said two of them are different people.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.errors import InvalidInput
from comptoir.core.ids import new_id
from comptoir.core.settings import get_settings
from comptoir.core.uow import UnitOfWork
from comptoir.customers import consents, golden, merging, records
from comptoir.customers.events import CustomerCreated, CustomerUpdated
from comptoir.customers.models import Customer, Identifier, SourceRecord
from comptoir.customers.normalisation import Normalised, Person, normalise
from comptoir.customers.policies import self_asserted
from comptoir.customers.schemas import CustomerRecord, IngestResult

LOYALTY_KIND = "loyalty-card"


def new_customer(uow: UnitOfWork, locale: str | None = None) -> Customer:
    customer = Customer(id=new_id("cus"), status="active", lineage={}, quality_flags=[], locale=locale)
    uow.session.add(customer)
    uow.session.flush()
    return customer


def _aware(value: datetime | None, default: datetime) -> datetime:
    if value is None:
        return default
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def best_matches(uow: UnitOfWork, person: Person, keys: list[str]) -> dict[str, tuple[float, str | None]]:
    """For each candidate customer, the best score of its records against ``person`` and that record."""
    # Matching (numpy, rapidfuzz) loads on the first record matched, not when a process starts.
    import numpy as np

    from comptoir.customers import match_models
    from comptoir.customers.matching import AUTO_MERGE_SCORE, encode_people, score_pairs

    candidates = records.fetch_candidates(uow, keys)
    best: dict[str, tuple[float, str | None]] = {}
    if candidates:
        enc = encode_people([person, *(c.person for c in candidates)])
        scores = score_pairs(
            enc,
            np.zeros(len(candidates), dtype=np.int64),
            np.arange(1, len(candidates) + 1),
            match_models.active_model(uow),
        )
        for candidate, score in zip(candidates, scores.tolist(), strict=True):
            if candidate.customer_id not in best or score > best[candidate.customer_id][0]:
                best[candidate.customer_id] = (score, candidate.record_id)
    if person.loyalty_card:  # a card registered to a customer is a deterministic match
        owner = uow.session.scalar(
            select(Identifier.customer_id).where(
                Identifier.kind == LOYALTY_KIND, Identifier.value == person.loyalty_card
            )
        )
        if owner is not None:
            owner = records.resolve(uow, owner).id
            if best.get(owner, (0.0, None))[0] < AUTO_MERGE_SCORE:
                best[owner] = (AUTO_MERGE_SCORE, best.get(owner, (0.0, None))[1])
    return best


def ingest(
    uow: UnitOfWork,
    source: str,
    record: CustomerRecord,
    *,
    raw: Mapping[str, Any] | None = None,
    email_verified: bool = False,
    region: str | None = None,
) -> IngestResult:
    """Keep ``record`` from ``source``, match it and attach it to its golden customer (created if new)."""
    from comptoir.customers.matching import person_keys

    now = clock.now()
    region = region or get_settings().default_region
    normalised: Normalised = normalise(record.person_fields(), region, today=now.date())
    person = normalised.person
    keys = person_keys(person)
    ref_keys = [f"s:{source}:{record.source_ref}"] if record.source_ref else []
    records.lock_match_keys(uow, [*keys, *ref_keys])
    previous = _previous_record(uow, source, record.source_ref)
    best = best_matches(uow, person, keys)
    top_score, top_record = max(best.values(), default=(None, None), key=lambda v: v[0] or 0.0)
    target, decision, created, joined = _target_of(
        uow, source, record, previous, best, email_verified=email_verified
    )

    record_id = new_id("src")
    values: dict[str, Any] = {
        "id": record_id,
        "customer_id": target.id,
        "source": source,
        "source_ref": record.source_ref,
        "status": "active",
        "received_at": _aware(record.received_at, now),
        "raw": dict(raw) if raw is not None else record.model_dump(mode="json", exclude_unset=True),
        **person.as_dict(),
        "flags": normalised.flags,
        "email_verified": email_verified,
        "match_decision": decision,
        "match_score": top_score,
        "matched_record_id": top_record,
    }
    records.insert_record(uow, values, keys)
    _join_or_refresh(uow, target, joined, source, created=created, score=top_score, record_id=record_id)
    if target.locale is None and record.locale in ("fr", "en"):
        target.locale = record.locale
    reviews = _open_reviews(uow, best, target.id, joined, record_id)
    if record.consents:
        consents.record(uow, target.id, record.consents, source)
    return IngestResult(
        record_id=record_id,
        customer_id=target.id,
        decision=decision,
        created=created,
        score=top_score,
        matched_record_id=top_record,
        merged_ids=joined,
        review_ids=reviews,
        flags=normalised.flags,
    )


def _previous_record(uow: UnitOfWork, source: str, source_ref: str | None) -> Any:
    """The active record this source sent before under the same reference: (id, customer_id) or None."""
    if not source_ref:
        return None
    return uow.session.execute(
        select(SourceRecord.id, SourceRecord.customer_id).where(
            SourceRecord.source == source,
            SourceRecord.source_ref == source_ref,
            SourceRecord.status == "active",
        )
    ).first()


def _target_of(
    uow: UnitOfWork,
    source: str,
    record: CustomerRecord,
    previous: Any,
    best: dict[str, tuple[float, str | None]],
    *,
    email_verified: bool,
) -> tuple[Customer, str, bool, list[str]]:
    """The customer the record joins (locked; created if none), the decision, whether it was created,
    and the other customers matched surely enough to merge into it."""
    from comptoir.customers.matching import AUTO_MERGE_SCORE

    target: Customer | None = None
    decision = "new"
    # What a person typed about themselves joins nobody until a contact point of theirs is verified
    # (accounts.verify_contact then matches it again): an e-mail, a phone or a name with postcode and
    # birth date is no proof of being that customer. Whatever the matcher scores, it holds here.
    unproven = not email_verified and self_asserted(source, uow.actor.channel_kind)
    if previous is not None and not unproven:
        records.supersede(uow, previous[0])
        target = records.resolve(uow, previous[1])
        decision = "same-source-record"
    sure = [] if unproven else sorted(c for c, (score, _) in best.items() if score >= AUTO_MERGE_SCORE)
    if target is None and sure:
        target = records.resolve(uow, sure[0])  # the oldest customer survives (ids are time-ordered)
        decision = "matched"
    created = target is None
    if target is None:
        locale = record.locale if record.locale in ("fr", "en") else None
        target = new_customer(uow, locale)
    else:
        target = records.lock_customers(uow, [target.id])[target.id]
    # Resolved again: a customer matched a moment ago may have been merged since.
    others = sorted({records.resolve(uow, c).id for c in sure} - {target.id})
    joined = [c for c in others if not merging.are_distinct(uow, target.id, c)]
    return target, decision, created, joined


def _join_or_refresh(
    uow: UnitOfWork,
    target: Customer,
    joined: list[str],
    source: str,
    *,
    created: bool,
    score: float | None,
    record_id: str,
) -> None:
    """Merge the joined customers into ``target``, or refresh its golden record and say what changed."""
    if joined:
        merging.merge(uow, target.id, joined, reason="ingest", score=score, record_id=record_id)
    else:
        changed = golden.refresh(uow, target)
        uow.session.flush()
        if created:
            uow.record(CustomerCreated(customer_id=target.id, source=source))
        elif changed:
            uow.record(CustomerUpdated(customer_id=target.id, fields=changed))


def _open_reviews(
    uow: UnitOfWork,
    best: dict[str, tuple[float, str | None]],
    target_id: str,
    joined: list[str],
    record_id: str,
) -> list[str]:
    """Open a staff review for each other candidate scored between review and auto-merge thresholds."""
    from comptoir.customers.matching import AUTO_MERGE_SCORE, REVIEW_SCORE

    return [
        review_id
        for customer_id, (score, _) in sorted(best.items())
        if REVIEW_SCORE <= score < AUTO_MERGE_SCORE
        and customer_id != target_id
        and customer_id not in joined
        and (review_id := merging.open_review(uow, target_id, customer_id, score, record_id)) is not None
    ]


def attach_record(
    uow: UnitOfWork, customer: Customer, source: str, fields: Mapping[str, Any], *, email_verified: bool
) -> str:
    """Add a record known to be this customer's (a rectification, an account): filed, not matched."""
    from comptoir.customers.matching import person_keys

    now = clock.now()
    normalised = normalise(fields, get_settings().default_region, today=now.date())
    record_id = new_id("src")
    records.insert_record(
        uow,
        {
            "id": record_id,
            "customer_id": customer.id,
            "source": source,
            "source_ref": None,
            "status": "active",
            "received_at": now,
            "raw": {k: v for k, v in fields.items() if v is not None},
            **normalised.person.as_dict(),
            "flags": normalised.flags,
            "email_verified": email_verified,
            "match_decision": "attached",
            "match_score": None,
            "matched_record_id": None,
        },
        person_keys(normalised.person),
    )
    return record_id


def require_valid(fields: Mapping[str, Any], region: str, *, address: str = "address/") -> Normalised:
    """Strict validation for direct creation and rectification: the first quality problem is a 422."""
    normalised = normalise(fields, region, today=clock.now().date())
    pointers = {
        "email_invalid": ("email", "The e-mail address is not valid."),
        "phone_invalid": ("phone", "The phone number is not valid."),
        "birth_date_invalid": ("birth_date", "The birth date is not a date."),
        "birth_date_implausible": ("birth_date", "The birth date must be after 1900 and in the past."),
        "postcode_invalid": (f"{address}postcode", "The postcode is not valid for the country."),
        "country_invalid": (f"{address}country", "The country is not known."),
    }
    for flag in normalised.flags:
        if flag in pointers:
            where, detail = pointers[flag]
            raise InvalidInput(detail, field=where)
    return normalised
