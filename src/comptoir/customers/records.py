"""Data access shared by the customers services: candidates, source records, locks (SQLAlchemy Core).

The one place that locks: :func:`lock_match_keys` serialises concurrent ingests of records sharing a
blocking key (PostgreSQL transaction-scoped advisory locks, taken in sorted order so two ingests never
deadlock), and :func:`lock_customers` locks golden records in primary-key order. On SQLite the
write transaction (``BEGIN IMMEDIATE``) already serialises writers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import TextClause, delete, insert, select, text, update

from comptoir.core.errors import not_found
from comptoir.core.uow import UnitOfWork
from comptoir.customers.models import Customer, MatchKey, SourceRecord, table
from comptoir.customers.normalisation import PERSON_FIELDS, Person
from comptoir.customers.policies import SourceView

PERSON_COLUMNS = [getattr(SourceRecord, f) for f in PERSON_FIELDS]
MAX_MERGE_DEPTH = 32


@dataclass(frozen=True, slots=True)
class Candidate:
    record_id: str
    customer_id: str
    person: Person


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big", signed=True)


def lock_match_keys(uow: UnitOfWork, keys: Iterable[str]) -> None:
    """Serialise ingests that could match each other (same blocking key) until this transaction ends."""
    if uow.dialect != "postgresql":
        return
    for lock_id in sorted({_lock_id(k) for k in keys}):
        uow.session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock_id})


def lock_customers(uow: UnitOfWork, ids: Iterable[str]) -> dict[str, Customer]:
    """The customers' rows, locked in primary-key order (PostgreSQL), refreshed from the database."""
    ordered = sorted(set(ids))
    if not ordered:
        return {}
    stmt = select(Customer).where(Customer.id.in_(ordered)).order_by(Customer.id)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    rows = uow.session.scalars(stmt.execution_options(populate_existing=True)).all()
    return {row.id: row for row in rows}


def resolve(uow: UnitOfWork, customer_id: str) -> Customer:
    """The surviving golden record of ``customer_id`` (following merges); 404 if unknown."""
    row = uow.session.get(Customer, customer_id)
    for _ in range(MAX_MERGE_DEPTH):
        if row is None:
            raise not_found("Customer", customer_id)
        if row.status != "merged" or row.merged_into is None:
            return row
        row = uow.session.get(Customer, row.merged_into)
    raise RuntimeError(f"merge chain of {customer_id} is too long")


@lru_cache(maxsize=16)
def _candidates_sql(arity: int) -> TextClause:
    """Per key, at most ``:n`` records filed under it (one index range each), joined to their records."""
    arms = " UNION ALL ".join(
        f"SELECT key, record_id FROM (SELECT key, record_id FROM customers_match_keys WHERE key = :k{i} LIMIT :n) a{i}"
        for i in range(arity)
    )
    columns = ", ".join(f"r.{f}" for f in PERSON_FIELDS)
    return text(
        f"SELECT f.key, r.id, r.customer_id, {columns} FROM ({arms}) f "
        "JOIN customers_source_records r ON r.id = f.record_id WHERE r.status = 'active'"
    )


def fetch_candidates(uow: UnitOfWork, keys: Sequence[str], max_block: int | None = None) -> list[Candidate]:
    """Active records sharing a key with the new one, ignoring keys already held by ``max_block``
    records (the new one would make the block too big: the batch engine ignores it too), by default
    the matching rules' ``MAX_BLOCK``."""
    if max_block is None:
        from comptoir.customers.matching import MAX_BLOCK

        max_block = MAX_BLOCK
    unique = list(dict.fromkeys(keys))
    if not unique:
        return []
    params: dict[str, Any] = {f"k{i}": key for i, key in enumerate(unique)}
    params["n"] = max_block
    rows = uow.session.execute(_candidates_sql(len(unique)), params).all()
    per_key: dict[str, int] = {}
    for row in rows:
        per_key[row[0]] = per_key.get(row[0], 0) + 1
    crowded = {key for key, count in per_key.items() if count >= max_block}
    seen: dict[str, Candidate] = {}
    for row in rows:
        if row[0] in crowded or row[1] in seen:
            continue
        seen[row[1]] = Candidate(row[1], row[2], Person(*row[3:]))
    return list(seen.values())


def insert_record(uow: UnitOfWork, values: dict[str, Any], keys: Sequence[str]) -> None:
    now = values["received_at"]
    actor = uow.actor
    uow.session.execute(
        insert(table(SourceRecord)),
        [
            {
                "created_at": now,
                "updated_at": now,
                "created_channel": actor.channel,
                "updated_channel": actor.channel,
                "created_by_key": actor.key_id,
                "updated_by_key": actor.key_id,
                **values,
            }
        ],
    )
    if keys:
        uow.session.execute(
            insert(table(MatchKey)), [{"key": k, "record_id": values["id"]} for k in dict.fromkeys(keys)]
        )


def supersede(uow: UnitOfWork, record_id: str) -> None:
    """A newer version of the record arrived from its source: keep it for lineage, stop matching on it."""
    uow.session.execute(delete(MatchKey).where(MatchKey.record_id == record_id))
    uow.session.execute(update(SourceRecord).where(SourceRecord.id == record_id).values(status="superseded"))


def active_records(uow: UnitOfWork, customer_id: str) -> list[SourceView]:
    rows = uow.session.execute(
        select(
            SourceRecord.id,
            SourceRecord.source,
            SourceRecord.received_at,
            SourceRecord.email_verified,
            SourceRecord.flags,
            *PERSON_COLUMNS,
        )
        .where(SourceRecord.customer_id == customer_id, SourceRecord.status == "active")
        .order_by(SourceRecord.received_at, SourceRecord.id)
    ).all()
    return [
        SourceView(
            id=r[0],
            source=r[1],
            received_at=r[2],
            email_verified=r[3],
            flags=tuple(r[4]),
            person=Person(*r[5:]),
        )
        for r in rows
    ]


def record_ids_of(uow: UnitOfWork, customer_id: str) -> list[str]:
    return list(
        uow.session.scalars(
            select(SourceRecord.id).where(SourceRecord.customer_id == customer_id).order_by(SourceRecord.id)
        )
    )


def move_records(uow: UnitOfWork, record_ids: Sequence[str], customer_id: str, at: datetime) -> None:
    if record_ids:
        uow.session.execute(
            update(SourceRecord)
            .where(SourceRecord.id.in_(record_ids))
            .values(customer_id=customer_id, updated_at=at)
        )
