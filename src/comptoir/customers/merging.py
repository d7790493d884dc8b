"""Merge and unmerge golden records, with an audit trail exact enough to undo; the staff review queue."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, or_, select, update

from comptoir.core import clock
from comptoir.core.errors import Conflict, InvalidInput, not_found
from comptoir.core.ids import new_id
from comptoir.core.pagination import Page, keyset_page
from comptoir.core.uow import UnitOfWork
from comptoir.customers import golden, records, search
from comptoir.customers.events import CustomersMerged, CustomersUnmerged, CustomerUpdated, MatchReviewOpened
from comptoir.customers.models import (
    Account,
    ConsentStatement,
    Customer,
    DistinctPair,
    Identifier,
    Merge,
    Review,
    Segment,
)
from comptoir.customers.schemas import MergeOut, ReviewOut


def _pair(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a < b else (b, a)


def are_distinct(uow: UnitOfWork, a: str, b: str) -> bool:
    x, y = _pair(a, b)
    return uow.session.get(DistinctPair, (x, y)) is not None


def merge(
    uow: UnitOfWork,
    survivor_id: str,
    merged_ids: Sequence[str],
    *,
    reason: str,
    score: float | None = None,
    record_id: str | None = None,
) -> Merge:
    """Fold ``merged_ids`` into ``survivor_id``: their records, identifiers, consents, accounts and
    segments move over, each listed in the merge so that :func:`unmerge` can put it back."""
    merged_ids = sorted(set(merged_ids) - {survivor_id})
    if not merged_ids:
        raise InvalidInput("Name at least one customer to merge other than the survivor.", field="merged_ids")
    rows = _lock_mergeable(uow, [survivor_id, *merged_ids])
    now = clock.now()
    survivor_segments = set(golden.segments_of(uow, survivor_id))
    moved: dict[str, dict[str, Any]] = {}
    session = uow.session
    for customer_id in merged_ids:
        segments = golden.segments_of(uow, customer_id)
        added = sorted(set(segments) - survivor_segments)
        survivor_segments.update(added)
        moved[customer_id] = _holdings(uow, customer_id, segments, added)
        _fold_into(uow, customer_id, survivor_id, moved[customer_id], now)
        row = rows[customer_id]
        row.status, row.merged_into = "merged", survivor_id
        search.unindex_customer(uow, customer_id)
    actor = uow.actor
    merge_row = Merge(
        id=new_id("mrg"),
        survivor_id=survivor_id,
        merged_ids=merged_ids,
        moved=moved,
        reason=reason,
        score=score,
        record_id=record_id,
        merged_at=now,
        merged_channel=actor.channel,
        merged_by_key=actor.key_id,
        undone_at=None,
        undone_by_key=None,
    )
    session.add(merge_row)
    _repoint_reviews(uow, merged_ids, survivor_id)
    changed = golden.refresh(uow, rows[survivor_id])
    session.flush()
    uow.record(
        CustomersMerged(surviving_id=survivor_id, merged_ids=merged_ids, merge_id=merge_row.id, reason=reason)
    )
    if changed:
        uow.record(CustomerUpdated(customer_id=survivor_id, fields=changed))
    return merge_row


def _lock_mergeable(uow: UnitOfWork, customer_ids: list[str]) -> dict[str, Customer]:
    """Lock these customers' rows; each must exist and be active."""
    rows = records.lock_customers(uow, customer_ids)
    for customer_id in customer_ids:
        row = rows.get(customer_id)
        if row is None:
            raise not_found("Customer", customer_id)
        if row.status != "active":
            raise Conflict(f"Customer {customer_id} is {row.status}; only active customers can be merged.")
    return rows


def _holdings(uow: UnitOfWork, customer_id: str, segments: list[str], added: list[str]) -> dict[str, Any]:
    """What a merged customer holds (records, identifiers, consents, accounts, segments), as the merge
    lists it, and the segments the survivor gains from it."""
    session = uow.session
    return {
        "records": records.record_ids_of(uow, customer_id),
        "identifiers": [
            [k, v]
            for k, v in session.execute(
                select(Identifier.kind, Identifier.value).where(Identifier.customer_id == customer_id)
            )
        ],
        "consents": list(
            session.scalars(select(ConsentStatement.id).where(ConsentStatement.customer_id == customer_id))
        ),
        "accounts": list(session.scalars(select(Account.id).where(Account.customer_id == customer_id))),
        "segments": segments,
        "segments_added": added,
    }


def _fold_into(
    uow: UnitOfWork, customer_id: str, survivor_id: str, held: dict[str, Any], now: datetime
) -> None:
    """Move a merged customer's records, identifiers, consents and accounts to the survivor; its
    segments go, the survivor gaining those it did not have."""
    session = uow.session
    records.move_records(uow, held["records"], survivor_id, now)
    session.execute(
        update(Identifier).where(Identifier.customer_id == customer_id).values(customer_id=survivor_id)
    )
    session.execute(
        update(ConsentStatement)
        .where(ConsentStatement.customer_id == customer_id)
        .values(customer_id=survivor_id)
    )
    session.execute(update(Account).where(Account.customer_id == customer_id).values(customer_id=survivor_id))
    session.execute(delete(Segment).where(Segment.customer_id == customer_id))
    if held["segments_added"]:
        session.execute(
            insert(Segment),
            [{"customer_id": survivor_id, "segment": s, "added_at": now} for s in held["segments_added"]],
        )


def _repoint_reviews(uow: UnitOfWork, merged_ids: Sequence[str], survivor_id: str) -> None:
    """Open reviews follow the survivor; one whose two sides are now the same customer, or that
    repeats another open review of the same pair, is obsolete."""
    involved = [survivor_id, *merged_ids]
    reviews = uow.session.scalars(
        select(Review)
        .where(Review.status == "open", or_(Review.customer_a.in_(involved), Review.customer_b.in_(involved)))
        .order_by(Review.created_at, Review.id)
    ).all()
    seen: set[tuple[str, str]] = set()
    for review in reviews:
        a = survivor_id if review.customer_a in merged_ids else review.customer_a
        b = survivor_id if review.customer_b in merged_ids else review.customer_b
        pair = _pair(a, b)
        if a == b or pair in seen:
            review.status, review.decided_at = "obsolete", clock.now()
        else:
            review.customer_a, review.customer_b = pair
            seen.add(pair)


def unmerge(uow: UnitOfWork, merge_id: str) -> Merge:
    """Undo a merge: each merged customer gets back exactly what it brought, and is kept apart from now on."""
    session = uow.session
    merge_row = session.get(Merge, merge_id)
    if merge_row is None:
        raise not_found("Merge", merge_id)
    if merge_row.undone_at is not None:
        raise Conflict(f"Merge {merge_id} was already undone.")
    survivor_id = merge_row.survivor_id
    merged_ids: list[str] = list(merge_row.merged_ids)
    rows = records.lock_customers(uow, [survivor_id, *merged_ids])
    if rows[survivor_id].status != "active":
        raise Conflict(
            f"Customer {survivor_id} is {rows[survivor_id].status} since; undo that first.",
            slug="merge-not-undoable",
        )
    for customer_id in merged_ids:
        row = rows[customer_id]
        if row.status != "merged" or row.merged_into != survivor_id:
            raise Conflict(f"Customer {customer_id} has changed since the merge.", slug="merge-not-undoable")
    now = clock.now()
    moved: dict[str, Any] = merge_row.moved
    for customer_id in merged_ids:
        back = moved[customer_id]
        records.move_records(uow, back["records"], customer_id, now)
        for kind, value in back["identifiers"]:
            session.execute(
                update(Identifier)
                .where(
                    Identifier.kind == kind, Identifier.value == value, Identifier.customer_id == survivor_id
                )
                .values(customer_id=customer_id)
            )
        if back["consents"]:
            session.execute(
                update(ConsentStatement)
                .where(ConsentStatement.id.in_(back["consents"]))
                .values(customer_id=customer_id)
            )
        if back["accounts"]:
            session.execute(
                update(Account).where(Account.id.in_(back["accounts"])).values(customer_id=customer_id)
            )
        if back["segments_added"]:
            session.execute(
                delete(Segment).where(
                    Segment.customer_id == survivor_id, Segment.segment.in_(back["segments_added"])
                )
            )
        if back["segments"]:
            session.execute(
                insert(Segment),
                [{"customer_id": customer_id, "segment": s, "added_at": now} for s in back["segments"]],
            )
        row = rows[customer_id]
        row.status, row.merged_into = "active", None
        x, y = _pair(survivor_id, customer_id)
        if session.get(DistinctPair, (x, y)) is None:
            session.add(DistinctPair(customer_a=x, customer_b=y, decided_at=now, reason="unmerged"))
    merge_row.undone_at, merge_row.undone_by_key = now, uow.actor.key_id
    for customer_id in [survivor_id, *merged_ids]:
        changed = golden.refresh(uow, rows[customer_id])
        if changed and customer_id == survivor_id:
            uow.record(CustomerUpdated(customer_id=customer_id, fields=changed))
    session.flush()
    uow.record(CustomersUnmerged(surviving_id=survivor_id, restored_ids=merged_ids, merge_id=merge_id))
    return merge_row


def merge_out(row: Merge) -> MergeOut:
    return MergeOut(
        id=row.id,
        survivor_id=row.survivor_id,
        merged_ids=list(row.merged_ids),
        reason=row.reason,
        score=row.score,
        record_id=row.record_id,
        moved_records={k: list(v.get("records", [])) for k, v in row.moved.items()},
        merged_at=row.merged_at,
        merged_channel=row.merged_channel,
        undone_at=row.undone_at,
    )


def get_merge(uow: UnitOfWork, merge_id: str) -> MergeOut:
    row = uow.session.get(Merge, merge_id)
    if row is None:
        raise not_found("Merge", merge_id)
    return merge_out(row)


def merges_of(uow: UnitOfWork, customer_id: str) -> list[MergeOut]:
    """Merges into this customer or into any customer since merged into it, newest first."""
    ids = [customer_id, *golden.merged_into(uow, customer_id)]
    rows = uow.session.scalars(
        select(Merge).where(Merge.survivor_id.in_(ids)).order_by(Merge.merged_at.desc(), Merge.id.desc())
    ).all()
    return [merge_out(r) for r in rows]


# -- review queue -------------------------------------------------------------------------------------------


def open_review(uow: UnitOfWork, a: str, b: str, score: float, record_id: str | None) -> str | None:
    """Queue a possible duplicate for staff, unless they already ruled on the pair or it is queued."""
    x, y = _pair(a, b)
    if are_distinct(uow, x, y):
        return None
    existing = uow.session.scalar(
        select(Review.id).where(Review.customer_a == x, Review.customer_b == y, Review.status == "open")
    )
    if existing is not None:
        return None
    review = Review(
        id=new_id("rev"),
        customer_a=x,
        customer_b=y,
        score=score,
        record_id=record_id,
        status="open",
        created_at=clock.now(),
        decided_at=None,
        decided_by_key=None,
        merge_id=None,
    )
    uow.session.add(review)
    uow.record(MatchReviewOpened(review_id=review.id, customer_ids=[x, y], score=score))
    return review.id


def _locked_review(uow: UnitOfWork, review_id: str) -> Review:
    stmt = select(Review).where(Review.id == review_id)
    if uow.dialect == "postgresql":
        stmt = stmt.with_for_update()
    review = uow.session.scalar(stmt)
    if review is None:
        raise not_found("Review", review_id)
    if review.status != "open":
        raise Conflict(f"Review {review_id} is already {review.status}.", slug="review-decided")
    return review


def accept_review(uow: UnitOfWork, review_id: str) -> ReviewOut:
    review = _locked_review(uow, review_id)
    a, b = records.resolve(uow, review.customer_a).id, records.resolve(uow, review.customer_b).id
    now = clock.now()
    if a == b:
        review.status = "obsolete"
    else:
        survivor, other = _pair(a, b)  # the older customer survives (ids are time-ordered)
        merged = merge(
            uow, survivor, [other], reason="review", score=review.score, record_id=review.record_id
        )
        review.status, review.merge_id = "accepted", merged.id
    review.decided_at, review.decided_by_key = now, uow.actor.key_id
    uow.session.flush()
    return review_out(uow, review)


def reject_review(uow: UnitOfWork, review_id: str) -> ReviewOut:
    review = _locked_review(uow, review_id)
    now = clock.now()
    x, y = _pair(review.customer_a, review.customer_b)
    if uow.session.get(DistinctPair, (x, y)) is None:
        uow.session.add(DistinctPair(customer_a=x, customer_b=y, decided_at=now, reason="rejected"))
    review.status, review.decided_at, review.decided_by_key = "rejected", now, uow.actor.key_id
    uow.session.flush()
    return review_out(uow, review)


def review_out(uow: UnitOfWork, review: Review) -> ReviewOut:
    summaries = search.summaries_of(uow, [review.customer_a, review.customer_b])
    blank: dict[str, Any] = {"display_name": "—", "email": None, "phone": None, "postcode": None}
    blank |= {"city": None, "birth_date": None, "loyalty_card": None, "segments": []}

    def summary(customer_id: str) -> Any:
        return summaries.get(customer_id) or {"id": customer_id, **blank}

    return ReviewOut(
        id=review.id,
        customer_a=summary(review.customer_a),
        customer_b=summary(review.customer_b),
        score=review.score,
        status=review.status,
        created_at=review.created_at,
        decided_at=review.decided_at,
        merge_id=review.merge_id,
    )


def list_reviews(uow: UnitOfWork, *, status: str, cursor: str | None, limit: int) -> Page[ReviewOut]:
    rows, next_cursor = keyset_page(
        uow.session, select(Review).where(Review.status == status), Review.id, cursor=cursor, limit=limit
    )
    return Page[ReviewOut](items=[review_out(uow, r) for r in rows], next_cursor=next_cursor)


def get_review(uow: UnitOfWork, review_id: str) -> ReviewOut:
    review = uow.session.get(Review, review_id)
    if review is None:
        raise not_found("Review", review_id)
    return review_out(uow, review)


def reviews_involving(uow: UnitOfWork, customer_id: str) -> list[ReviewOut]:
    rows = uow.session.scalars(
        select(Review)
        .where(
            Review.status == "open", or_(Review.customer_a == customer_id, Review.customer_b == customer_id)
        )
        .order_by(Review.created_at)
    ).all()
    return [review_out(uow, r) for r in rows]
