"""Initial load: a whole customer base deduplicated in batch and written in bulk, before going live.

Ingesting a million legacy records one by one would take an hour; the batch engine clusters them in
a minute with the same rules (:mod:`~comptoir.customers.dedupe`), then golden records, source
records, blocking keys and search terms are inserted in large batches. Only an empty customer base
can be loaded this way (afterwards every record goes through :func:`~comptoir.customers.ingestion.ingest`).
Pairs scoring between review and auto-merge across two clusters become review tasks.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select

from comptoir.core import clock
from comptoir.core.db import insert_ignore
from comptoir.core.errors import Conflict
from comptoir.core.ids import new_id
from comptoir.core.uow import UnitOfWork
from comptoir.customers import match_models, search
from comptoir.customers.dedupe import deduplicate, no_cyclic_gc
from comptoir.customers.events import CustomersBulkLoaded
from comptoir.customers.matching import AUTO_MERGE_SCORE, REVIEW_SCORE, person_keys
from comptoir.customers.models import Customer, MatchKey, Review, SearchTerm, SearchWord, SourceRecord, table
from comptoir.customers.normalisation import PERSON_FIELDS, Normalised, Person, normalise
from comptoir.customers.policies import SourceView, survive

CHUNK = 20_000
SQLITE_CACHE_KIB = 1024 * 1024  # 1 GiB: the blocking-key and search-term indexes of a million records


@dataclass
class Batch:
    """Records to load, as columns: their source, their id there, and the verbatim fields."""

    sources: list[str]
    refs: list[str | None]
    raw: dict[str, list[Any]]  # column as received -> values
    mapping: dict[str, str]  # person field -> column holding it

    @property
    def size(self) -> int:
        return len(self.sources)

    def raw_row(self, index: int) -> dict[str, Any]:
        return {k: v[index] for k, v in self.raw.items() if v[index] not in (None, "")}

    def fields(self, index: int) -> dict[str, Any]:
        return {f: self.raw[c][index] for f, c in self.mapping.items()}


@dataclass
class BulkResult:
    records: int
    customers: int
    reviews: int
    customer_ids: list[str] = field(default_factory=list)  # per record, in the batch's order
    flags: list[list[str]] = field(default_factory=list)  # per record
    timings: dict[str, float] = field(default_factory=dict)


def load_initial(
    uow: UnitOfWork,
    batch: Batch,
    *,
    region: str,
    today: date | None = None,
    tick: Callable[[str, int], None] | None = None,
) -> BulkResult:
    """Load ``batch`` into an empty customer base; ``tick(phase, done)`` reports progress."""
    if uow.session.scalar(select(Customer.id).limit(1)) is not None:
        raise Conflict(
            "The customer base is not empty: an initial load needs an empty one; import record by record instead.",
            slug="customers-not-empty",
        )
    connection = uow.session.connection()
    if uow.dialect == "sqlite":  # index pages of a large load do not fit SQLite's default 2 MiB cache
        previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        with no_cyclic_gc():
            return _load(uow, batch, region, today or clock.now().date(), tick or (lambda _p, _n: None))
    finally:
        if uow.dialect == "sqlite":
            connection.exec_driver_sql(f"PRAGMA cache_size = {previous}")


def _load(
    uow: UnitOfWork, batch: Batch, region: str, today: date, tick: Callable[[str, int], None]
) -> BulkResult:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    normalised = [normalise(batch.fields(i), region, today=today) for i in range(batch.size)]
    columns = {f: [getattr(n.person, f) for n in normalised] for f in PERSON_FIELDS}
    timings["normalising"] = time.perf_counter() - started
    tick("normalised", batch.size)
    result = deduplicate(columns, batch.size, keep_scores_at_least=REVIEW_SCORE)
    # Learned from this load (unless too small): the matches at ingest then weigh as it did.
    if result.model.trained_on:
        match_models.store_if_shifted(uow, result.model, "initial-load")
    timings.update(result.timings)
    del columns
    labels = result.labels
    order = np.argsort(labels, kind="stable")
    starts = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1]])
    bounds = np.r_[starts, len(order)]
    written = time.perf_counter()
    now = clock.now()
    actor = uow.actor
    stamp = {
        "created_at": now,
        "updated_at": now,
        "created_channel": actor.channel,
        "updated_channel": actor.channel,
        "created_by_key": actor.key_id,
        "updated_by_key": actor.key_id,
    }
    record_ids = [new_id("src") for _ in range(batch.size)]
    customer_of, words = _write_customers(uow, batch, normalised, (order, bounds), record_ids, stamp, tick)
    _write_records(uow, batch, normalised, record_ids, customer_of, stamp, tick)
    vocabulary = [{"variant": v, "word": w} for w in sorted(words) for v in search.deletions(w)]
    for part in _chunks(vocabulary, CHUNK * 5):
        insert_ignore(uow.session, SearchWord, list(part))
    reviews = _reviews(uow, result.scores, labels, customer_of, now)
    timings["writing"] = time.perf_counter() - written
    uow.record(CustomersBulkLoaded(records=batch.size, customers=len(starts), reviews=reviews))
    return BulkResult(
        records=batch.size,
        customers=len(starts),
        reviews=reviews,
        customer_ids=customer_of.tolist(),
        flags=[n.flags for n in normalised],
        timings=timings,
    )


def _write_customers(
    uow: UnitOfWork,
    batch: Batch,
    normalised: list[Normalised],
    clusters: tuple[Any, Any],
    record_ids: list[str],
    stamp: dict[str, Any],
    tick: Callable[[str, int], None],
) -> tuple[Any, set[str]]:
    """One golden customer per cluster (its survivorship of the members) and its search terms, written
    in chunks; the customer id of each record and the name words seen.

    ``clusters`` is (record indexes ordered by cluster, where each cluster starts in them and the end)."""
    order, bounds = clusters
    now = stamp["created_at"]
    customer_of = np.empty(batch.size, dtype=object)
    customers: list[dict[str, Any]] = []
    terms: list[dict[str, Any]] = []
    words: set[str] = set()
    done = 0
    for cluster in range(len(bounds) - 1):
        members = order[bounds[cluster] : bounds[cluster + 1]].tolist()
        customer_id = new_id("cus")
        views = [
            SourceView(record_ids[i], batch.sources[i], now, normalised[i].person, False, normalised[i].flags)
            for i in members
        ]
        person, lineage = survive(views)
        customers.append(_customer_row(customer_id, person, lineage, views, stamp))
        people = [v.person for v in views]
        names = [p.given_name for p in people] + [p.family_name for p in people]
        words.update(search.name_words(names))
        terms.extend(
            {"term": t, "customer_id": customer_id}
            for t in search.terms_for(
                names,
                [p.email for p in people],
                [p.phone for p in people],
                [p.loyalty_card for p in people if p.loyalty_card],
            )
        )
        for i in members:
            customer_of[i] = customer_id
        if len(customers) >= CHUNK:
            done += _flush(uow, customers, terms)
            tick("customers", done)
    done += _flush(uow, customers, terms)
    tick("customers", done)
    return customer_of, words


def _write_records(
    uow: UnitOfWork,
    batch: Batch,
    normalised: list[Normalised],
    record_ids: list[str],
    customer_of: Any,
    stamp: dict[str, Any],
    tick: Callable[[str, int], None],
) -> None:
    """The source records and their blocking keys, in chunks."""
    for chunk in _chunks(range(batch.size), CHUNK):
        rows = [_record_row(batch, i, record_ids[i], customer_of[i], normalised[i], stamp) for i in chunk]
        fast_insert(uow, table(SourceRecord), rows)
        keys = [
            {"key": k, "record_id": record_ids[i]}
            for i in chunk
            for k in dict.fromkeys(person_keys(normalised[i].person))
        ]
        fast_insert(uow, table(MatchKey), keys)
        tick("records", chunk[-1] + 1)


def _customer_row(
    customer_id: str, person: Person, lineage: dict[str, str], views: list[SourceView], stamp: dict[str, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = person.as_dict()
    values["birth_date"] = date.fromisoformat(person.birth_date) if person.birth_date else None
    return {
        "id": customer_id,
        "status": "active",
        "merged_into": None,
        **values,
        "locale": None,
        "lineage": lineage,
        "quality_flags": sorted({f for v in views for f in v.flags}),
        "erased_at": None,
        "version": 1,
        **stamp,
    }


def _record_row(
    batch: Batch, i: int, record_id: str, customer_id: str, n: Any, stamp: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": record_id,
        "customer_id": customer_id,
        "source": batch.sources[i],
        "source_ref": batch.refs[i],
        "status": "active",
        "received_at": stamp["created_at"],
        "raw": batch.raw_row(i),
        **n.person.as_dict(),
        "flags": n.flags,
        "email_verified": False,
        "match_decision": "bulk",
        "match_score": None,
        "matched_record_id": None,
        **stamp,
    }


def _flush(uow: UnitOfWork, customers: list[dict[str, Any]], terms: list[dict[str, Any]]) -> int:
    count = len(customers)
    if customers:
        fast_insert(uow, table(Customer), customers)
    if terms:
        fast_insert(uow, table(SearchTerm), terms)
    customers.clear()
    terms.clear()
    return count


def _reviews(
    uow: UnitOfWork,
    scores: dict[tuple[int, int], float],
    labels: np.ndarray,
    customer_of: np.ndarray,
    now: Any,
) -> int:
    pairs: dict[tuple[str, str], float] = {}
    for (a, b), score in scores.items():
        if score >= AUTO_MERGE_SCORE or labels[a] == labels[b]:
            continue
        x, y = sorted((customer_of[a], customer_of[b]))
        pairs[(x, y)] = max(score, pairs.get((x, y), 0.0))
    rows = [
        {
            "id": new_id("rev"),
            "customer_a": x,
            "customer_b": y,
            "score": score,
            "record_id": None,
            "status": "open",
            "created_at": now,
            "decided_at": None,
            "decided_by_key": None,
            "merge_id": None,
        }
        for (x, y), score in sorted(pairs.items())
    ]
    for part in _chunks(rows, CHUNK):
        fast_insert(uow, table(Review), list(part))
    return len(rows)


def fast_insert(uow: UnitOfWork, table: Any, rows: list[dict[str, Any]]) -> None:
    """``INSERT`` many rows through the DB-API's ``executemany``, converting values with each column
    type's own bind processor: the same values SQLAlchemy would send, at a fraction of its per-row cost."""
    if not rows:
        return
    connection = uow.session.connection()
    dialect = connection.dialect
    names = list(rows[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    converting = [(i, p) for i, p in enumerate(processors) if p is not None]
    values = []
    for row in rows:
        params = [row[name] for name in names]
        for i, process in converting:
            params[i] = process(params[i])
        values.append(tuple(params))
    connection.exec_driver_sql(sql, values)


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
