"""The stored identity resolution model: versions learned in batch, the active one used at ingest.

An initial load learns a model from its own candidate pairs (:func:`~comptoir.customers.linkage.learn`),
and a daily job (:func:`retrain`, ``customers/jobs.py``) from the most recent stored records;
:func:`store_if_shifted` keeps it as a new version when none is stored yet or when the data has
shifted enough for its weights to move (:func:`~comptoir.customers.linkage.has_shifted`). Older versions stay, inactive, for audit: a merge
records the score, and the version tells which weights produced it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update

from comptoir.core import clock
from comptoir.core.uow import UnitOfWork
from comptoir.customers.blocking import batch_pairs
from comptoir.customers.comparisons import encode
from comptoir.customers.dedupe import compare_candidates
from comptoir.customers.linkage import DEFAULT_MODEL, MatchModel, has_shifted, learn
from comptoir.customers.matching import Evidence, explain_people
from comptoir.customers.models import Customer, MatchModelRow, SourceRecord
from comptoir.customers.normalisation import PERSON_FIELDS, Person

_cache: dict[tuple[str, int, object], MatchModel] = {}


def active_model(uow: UnitOfWork) -> MatchModel:
    """The newest active version, or the built-in starting values before any batch was learned."""
    found = uow.session.execute(
        select(MatchModelRow.version, MatchModelRow.learned_at)
        .where(MatchModelRow.active.is_(True))
        .order_by(MatchModelRow.version.desc())
        .limit(1)
    ).first()
    if found is None:
        return DEFAULT_MODEL
    key = (str(uow.session.get_bind().engine.url), found[0], found[1])
    if key not in _cache:  # a stored version never changes: parsed once per process and database
        row = uow.session.get(MatchModelRow, found[0])
        assert row is not None
        if len(_cache) > 16:
            _cache.clear()
        _cache[key] = MatchModel.from_json(row.parameters, version=found[0])
    return _cache[key]


def store(uow: UnitOfWork, model: MatchModel, reason: str) -> int:
    """Keep ``model`` as the new active version; the previous ones are deactivated."""
    uow.session.execute(update(MatchModelRow).where(MatchModelRow.active.is_(True)).values(active=False))
    row = MatchModelRow(
        learned_at=clock.now(),
        reason=reason,
        records=int(model.trained_on.get("records", 0)),
        pairs=int(model.trained_on.get("pairs", 0)),
        parameters=model.as_json(),
        active=True,
    )
    uow.session.add(row)
    uow.session.flush()
    return row.version


def store_if_shifted(uow: UnitOfWork, model: MatchModel, reason: str) -> int | None:
    """Store ``model`` when it differs enough from the active one; its version, or ``None`` if kept."""
    if not has_shifted(active_model(uow), model):
        return None
    return store(uow, model, reason)


@dataclass(frozen=True)
class ReviewEvidence:
    """Why a pair of customers was proposed: the match probability and each field's comparison."""

    probability: float
    score: float
    fields: list[Evidence]
    model_version: int


def _golden_person(customer: Customer) -> Person:
    birth = customer.birth_date.isoformat() if customer.birth_date else None
    values = {f: getattr(customer, f) for f in PERSON_FIELDS if f != "birth_date"}
    return Person(**values, birth_date=birth)


def review_evidence(uow: UnitOfWork, pairs: Sequence[tuple[str, str]]) -> list[ReviewEvidence | None]:
    """For each pair of customers, the per-field evidence between their golden records, weighed by the
    active model; ``None`` where one of them is gone (erased). One query for every record asked."""
    wanted = {customer_id for pair in pairs for customer_id in pair}
    if not wanted:
        return []
    rows = {c.id: c for c in uow.session.scalars(select(Customer).where(Customer.id.in_(sorted(wanted))))}
    model = active_model(uow)
    people = {customer_id: _golden_person(row) for customer_id, row in rows.items()}
    found: list[ReviewEvidence | None] = []
    for customer_a, customer_b in pairs:
        if customer_a not in people or customer_b not in people:
            found.append(None)
            continue
        score, chance, evidence = explain_people(people[customer_a], people[customer_b], model)
        found.append(ReviewEvidence(chance, score, evidence, model.version))
    return found


RETRAIN_RECORDS = 300_000  # the most recent active records a periodic retraining learns from


def retrain(uow: UnitOfWork, *, records: int = RETRAIN_RECORDS) -> int | None:
    """Learn a model from the most recent active source records and store it if the data has shifted
    since the active one was learned (the periodic job); the new version, or ``None`` if kept."""
    columns_of = [getattr(SourceRecord, f) for f in PERSON_FIELDS]
    rows = uow.session.execute(
        select(*columns_of)
        .where(SourceRecord.status == "active")
        .order_by(SourceRecord.received_at.desc())
        .limit(records)
    ).all()
    columns: dict[str, list[str | None]] = {f: [row[i] for row in rows] for i, f in enumerate(PERSON_FIELDS)}
    left, right = batch_pairs(columns)
    enc = encode(columns)
    model = learn(enc, compare_candidates(enc, left, right))
    if not model.trained_on:  # too few records to learn from
        return None
    return store_if_shifted(uow, model, "retrain")
